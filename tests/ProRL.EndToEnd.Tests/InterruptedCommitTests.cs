using ProRL.Onnx.IO;
using ProRL.Worker.RunDirectory;
using ProRL.Worker.Services.Training;
using Xunit.Abstractions;

namespace ProRL.EndToEnd.Tests;

/// <summary>
/// Kills in the narrow windows between two commits that belong together, reproduced exactly by leaving the run
/// directory as the kill would (random kills rarely land there): the restarted worker must complete what was cut.
/// </summary>
public class InterruptedCommitTests(ITestOutputHelper output)
{
    private const int PromptsPerChunk = 2;

    /// <summary>Killed after the bootstrap committed policy v0 and before it committed reference v0.</summary>
    [Fact]
    public async Task Kill_between_the_initial_policy_and_reference_commits_is_completed_on_restart()
    {
        var root = Directory.CreateTempSubdirectory("prorl-e2e-initial-").FullName;
        var run = Path.Combine(root, "run");
        var store = RunStore.Open(run);
        var modelHash = VersionManifest.Compute(TinyModel.Folder, 0).ContentHash();
        store.Policy.Commit(0, folder => RunStore.CopyFolder(TinyModel.Folder, folder),
            new Dictionary<string, string> { [ManifestProperties.ModelHash] = modelHash });

        var settings = SmallRun.Settings(TinyModel.Folder, run, PromptsPerChunk);
        settings["Sft:Steps"] = "0";
        settings["Run:MaxSteps"] = "2";
        await RunToEndAsync(settings, root);

        var reference = store.Reference.TryOpen(0, VerifyLevel.Checksums, out var problem);
        Assert.True(reference is not null, $"reference v0 was never committed: {problem}");
        Assert.Equal("0", reference.Property(ManifestProperties.SourcePolicyVersion));
        Assert.Equal(modelHash, reference.Manifest.ContentHash());
        Assert.Equal(2, new RunDirectoryAudit(run, PromptsPerChunk).Check());
        Directory.Delete(root, recursive: true);
    }

    /// <summary>
    /// Killed after the warm-up committed trainer and policy v1 and before it committed reference v1: RL must train
    /// against the warmed-up reference its trainer state names, not fall back to the random model of reference v0.
    /// </summary>
    [Fact]
    public async Task Kill_between_the_warm_up_policy_and_reference_commits_is_completed_on_restart()
    {
        var root = Directory.CreateTempSubdirectory("prorl-e2e-warmup-").FullName;
        var run = Path.Combine(root, "run");
        var settings = SmallRun.Settings(TinyModel.Folder, run, PromptsPerChunk);
        settings["ReferenceReset:Enabled"] = "false"; // only the warm-up commits references here
        settings["Run:MaxSteps"] = "1";
        await RunToEndAsync(settings, root);

        // Undo the last commit of the warm-up, as a kill just before it would have left the directory.
        var store = RunStore.Open(run);
        Assert.Equal(1, store.Reference.ReadLatestPointer());
        AtomicFile.WriteAllText(Path.Combine(store.Reference.Folder, VersionStore.LatestFileName), VersionStore.FolderName(0) + "\n");
        Directory.Delete(store.Reference.PathOf(1), recursive: true);

        settings["Run:MaxSteps"] = "2";
        await RunToEndAsync(settings, root);

        var reference = store.Reference.ReadLatest();
        Assert.NotNull(reference);
        Assert.Equal(1, reference.Version);
        Assert.Equal("1", reference.Property(ManifestProperties.SourcePolicyVersion));
        var policy = store.Policy.TryOpen(1, VerifyLevel.Checksums, out _);
        Assert.NotNull(policy);
        Assert.Equal(policy.Manifest.ContentHash(), reference.Manifest.ContentHash());
        var state = TrainerState.ReadFrom(store.Trainer.PathOf(2));
        Assert.Equal(1, state.ReferenceVersion);
        Assert.Equal(2, new RunDirectoryAudit(run, PromptsPerChunk).Check());
        Directory.Delete(root, recursive: true);
    }

    private async Task RunToEndAsync(Dictionary<string, string> settings, string root)
    {
        using var worker = WorkerProcess.Start(settings, root);
        int exit = await worker.WaitForExitAsync(TimeSpan.FromMinutes(1));
        output.WriteLine(worker.Output);
        Assert.True(exit == 0, $"the worker exited with {exit}");
    }
}
