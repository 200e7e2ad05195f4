using System.Text.Json.Nodes;
using ProRL.Worker.RunDirectory;

namespace ProRL.Worker.Tests.RunDirectory;

public sealed class RunStoreTests : IDisposable
{
    private readonly TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void Open_creates_the_layout_of_design_section_7()
    {
        var run = RunStore.Open(_temp.Combine("run"));
        foreach (var folder in new[] { "policy", "reference", "trainer", "requests", "rollouts", "rewards", "validation", "plots" })
            Assert.True(Directory.Exists(Path.Combine(run.Root, folder)), folder);
        Assert.Equal(Path.Combine(run.Root, "metrics.jsonl"), run.Metrics.File.Path);
        Assert.Equal(Path.Combine(run.Root, "events.jsonl"), run.Events.File.Path);
        Assert.Equal(Path.Combine(run.Root, "run.json"), run.RunInfoPath);
    }

    [Fact]
    public void Run_info_is_written_once_then_kept()
    {
        var run = RunStore.Open(_temp.Path);
        var first = run.EnsureRunInfo(RunInfo.New("models/tiny", "abc", new JsonObject { ["Run"] = new JsonObject { ["Seed"] = 1 } }));
        var second = run.EnsureRunInfo(RunInfo.New("models/tiny", "ABC", null));

        Assert.Equal(first.RunId, second.RunId);
        Assert.Equal(1, (int)second.Configuration!["Run"]!["Seed"]!);
        Assert.Equal(first.RunId, RunInfo.Load(run.RunInfoPath)!.RunId);
    }

    [Fact]
    public void Run_directory_of_another_model_is_refused_with_a_message_naming_the_option()
    {
        var run = RunStore.Open(_temp.Path);
        run.EnsureRunInfo(RunInfo.New("models/a", "hash-a", null));
        var error = Assert.Throws<RunDirectoryException>(() => run.EnsureRunInfo(RunInfo.New("models/b", "hash-b", null)));
        Assert.Contains("Model:Path", error.Message);
        Assert.Contains("Run:Directory", error.Message);
    }

    [Fact]
    public void Corrupt_run_info_names_the_file()
    {
        var run = RunStore.Open(_temp.Path);
        File.WriteAllText(run.RunInfoPath, "{ \"runId\": ");
        var error = Assert.Throws<RunDirectoryException>(() => RunInfo.Load(run.RunInfoPath));
        Assert.Contains(run.RunInfoPath, error.Message);
    }

    private static Action<string> Model(string text) => f => File.WriteAllText(Path.Combine(f, "model.onnx"), text);

    [Fact]
    public void Prune_never_deletes_the_latest_versions_the_reference_source_or_the_trainer_policy()
    {
        var run = RunStore.Open(_temp.Path);
        for (long v = 1; v <= 6; v++) run.Policy.Commit(v, Model($"p{v}"));
        var source = run.Policy.PathOf(2);
        run.Reference.Commit(2, f => RunStore.CopyFolder(source, f), new Dictionary<string, string> { [ManifestProperties.SourcePolicyVersion] = "2" });
        run.Trainer.Commit(4, f => File.WriteAllText(Path.Combine(f, "state.json"), "{}"));
        run.Trainer.Commit(5, f => File.WriteAllText(Path.Combine(f, "state.json"), "{}"));

        var result = run.Prune(new RetentionSettings(KeepPolicyVersions: 1, KeepReferenceVersions: 1, KeepTrainerVersions: 1), pinnedPolicyVersions: [3]);

        Assert.Equal([1L, 4L], result.Policy.Order());
        Assert.Equal([2L, 3L, 5L, 6L], run.Policy.ListVersionFolders());
        Assert.Equal([4L], result.Trainer);
        Assert.Empty(result.Reference);
        Assert.Equal("p2", File.ReadAllText(Path.Combine(run.Reference.ReadLatest()!.FolderPath, "model.onnx")));
    }

    [Fact]
    public void Copy_folder_copies_the_tree_but_not_the_source_manifest()
    {
        var run = RunStore.Open(_temp.Path);
        run.Policy.Commit(1, f =>
        {
            Directory.CreateDirectory(Path.Combine(f, "a", "b"));
            File.WriteAllText(Path.Combine(f, "a", "b", "c.bin"), "deep");
        });
        var copy = run.Reference.Commit(1, f => RunStore.CopyFolder(run.Policy.PathOf(1), f));
        Assert.Equal("deep", File.ReadAllText(Path.Combine(copy.FolderPath, "a", "b", "c.bin")));
        Assert.Equal(["a/b/c.bin"], copy.Manifest.Files.Select(e => e.Path));
    }
}
