using System.Security.Cryptography;
using System.Text;
using ProRL.Worker.RunDirectory;

namespace ProRL.Worker.Tests.RunDirectory;

public sealed class VersionStoreTests : IDisposable
{
    private readonly TempFolder _temp = new();
    private readonly VersionStore _store;

    public VersionStoreTests() => _store = new VersionStore(_temp.Combine("policy"));

    public void Dispose() => _temp.Dispose();

    private static Action<string> Contents(string text) => folder =>
    {
        File.WriteAllText(Path.Combine(folder, "model.onnx"), text);
        Directory.CreateDirectory(Path.Combine(folder, "sub"));
        File.WriteAllText(Path.Combine(folder, "sub", "weights.bin"), text + text);
    };

    private static string ReadModel(CommittedVersion v) => File.ReadAllText(Path.Combine(v.FolderPath, "model.onnx"));

    /// <summary>Everything in the store folder except LATEST and committed-looking version folders.</summary>
    private string[] Leftovers() => Directory.EnumerateFileSystemEntries(_store.Folder)
        .Select(Path.GetFileName).OfType<string>()
        .Where(n => n != VersionStore.LatestFileName && VersionStore.ParseFolderName(n) is null)
        .ToArray();

    [Fact]
    public void Empty_store_has_no_committed_version()
    {
        Assert.Null(_store.ReadLatest());
        Assert.Null(_store.ReadLatestPointer());
    }

    [Fact]
    public void Commit_writes_folder_manifest_with_sizes_and_sha256_and_latest()
    {
        var committed = _store.Commit(42, Contents("abc"), new Dictionary<string, string> { ["step"] = "42" });

        Assert.Equal(Path.Combine(_store.Folder, "v000042"), committed.FolderPath);
        Assert.Equal("v000042\n", File.ReadAllText(Path.Combine(_store.Folder, "LATEST")));
        var manifest = VersionManifest.Load(Path.Combine(committed.FolderPath, "manifest.json"));
        Assert.Equal(42, manifest.Version);
        Assert.Equal(["model.onnx", "sub/weights.bin"], manifest.Files.Select(f => f.Path));
        Assert.Equal([3L, 6L], manifest.Files.Select(f => f.Size));
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes("abcabc"))), manifest.Files[1].Sha256);
        Assert.Equal("42", _store.ReadLatest()!.Property("step"));
        Assert.Empty(Leftovers());
    }

    [Fact]
    public void Reader_returns_the_newest_committed_version()
    {
        _store.Commit(1, Contents("one"));
        _store.Commit(2, Contents("two"));
        var latest = _store.ReadLatest()!;
        Assert.Equal(2, latest.Version);
        Assert.Equal("two", ReadModel(latest));
    }

    [Fact]
    public void Commit_refuses_a_version_that_is_not_newer()
    {
        _store.Commit(5, Contents("five"));
        var error = Assert.Throws<InvalidOperationException>(() => _store.Commit(5, Contents("again")));
        Assert.Contains("v000005 is already committed", error.Message);
        Assert.Throws<InvalidOperationException>(() => _store.Commit(3, Contents("older")));
        Assert.Equal("five", ReadModel(_store.ReadLatest()!));
    }

    private sealed class SimulatedCrash : Exception;

    [Theory]
    [InlineData(CommitStep.ContentsWritten)]
    [InlineData(CommitStep.ManifestWritten)]
    [InlineData(CommitStep.Synced)]
    [InlineData(CommitStep.FolderRenamed)]
    [InlineData(CommitStep.LatestReplaced)]
    public void Crash_after_any_commit_step_leaves_the_last_committed_state_and_the_next_writer_cleans_up(CommitStep crashAfter)
    {
        _store.Commit(1, Contents("one"));
        var crashing = new VersionStore(_store.Folder) { StepCompleted = step => { if (step == crashAfter) throw new SimulatedCrash(); } };

        Assert.Throws<SimulatedCrash>(() => crashing.Commit(2, Contents("two")));

        // A reader (another process) sees v1 until LATEST names v2.
        var reader = new VersionStore(_store.Folder);
        bool committed = crashAfter == CommitStep.LatestReplaced;
        Assert.Equal(committed ? 2 : 1, reader.ReadLatest()!.Version);
        Assert.Equal(committed ? "two" : "one", ReadModel(reader.ReadLatest()!));

        // The restarted writer redoes the step (or goes on), and nothing of the interrupted commit remains.
        var restarted = new VersionStore(_store.Folder);
        long next = committed ? 3 : 2;
        restarted.Commit(next, Contents("next"));
        Assert.Equal(next, reader.ReadLatest()!.Version);
        Assert.Equal("next", ReadModel(reader.ReadLatest()!));
        Assert.Empty(Leftovers());
        Assert.Equal(committed ? [1L, 2L, 3L] : [1L, 2L], restarted.ListVersionFolders());
    }

    [Fact]
    public void Folder_renamed_but_latest_not_replaced_is_not_trusted_and_is_deleted_by_the_next_writer()
    {
        _store.Commit(1, Contents("one"));
        var crashing = new VersionStore(_store.Folder) { StepCompleted = s => { if (s == CommitStep.FolderRenamed) throw new SimulatedCrash(); } };
        Assert.Throws<SimulatedCrash>(() => crashing.Commit(2, Contents("two")));
        Assert.True(Directory.Exists(_store.PathOf(2)));

        Assert.Equal(1, _store.CleanUpIncomplete()!.Version);
        Assert.False(Directory.Exists(_store.PathOf(2)));
    }

    [Fact]
    public void Missing_latest_falls_back_to_the_newest_folder_that_matches_its_manifest_and_cleanup_restores_latest()
    {
        _store.Commit(1, Contents("one"));
        _store.Commit(2, Contents("two"));
        File.WriteAllText(Path.Combine(_store.PathOf(2), "model.onnx"), "TWO!"); // v2 no longer matches its manifest
        File.Delete(Path.Combine(_store.Folder, "LATEST"));

        Assert.Equal(1, _store.ReadLatest()!.Version);
        _store.CleanUpIncomplete();
        Assert.Equal(1, _store.ReadLatestPointer());
        Assert.False(Directory.Exists(_store.PathOf(2)));
    }

    [Fact]
    public void Unreadable_latest_falls_back_to_the_newest_valid_folder()
    {
        _store.Commit(1, Contents("one"));
        _store.Commit(2, Contents("two"));
        File.WriteAllText(Path.Combine(_store.Folder, "LATEST"), "garbage");
        Assert.Null(_store.ReadLatestPointer());
        Assert.Equal(2, _store.ReadLatest()!.Version);
    }

    [Fact]
    public void Corrupt_manifest_makes_the_reader_fall_back_to_the_previous_version()
    {
        _store.Commit(1, Contents("one"));
        _store.Commit(2, Contents("two"));
        var manifest = Path.Combine(_store.PathOf(2), "manifest.json");
        File.WriteAllText(manifest, File.ReadAllText(manifest)[..20]); // torn JSON

        Assert.Equal(1, _store.ReadLatest()!.Version);
        Assert.Null(_store.TryOpen(2, VerifyLevel.Sizes, out var problem));
        Assert.Contains(manifest, problem);
    }

    [Fact]
    public void Manifest_of_another_version_is_not_trusted()
    {
        _store.Commit(1, Contents("one"));
        _store.Commit(2, Contents("two"));
        File.Copy(Path.Combine(_store.PathOf(1), "manifest.json"), Path.Combine(_store.PathOf(2), "manifest.json"), overwrite: true);
        Assert.Null(_store.TryOpen(2, VerifyLevel.Sizes, out var problem));
        Assert.Contains("records version 1", problem);
    }

    [Fact]
    public void Same_size_tampering_is_caught_by_checksums_but_not_by_sizes()
    {
        _store.Commit(1, Contents("one"));
        _store.Commit(2, Contents("two"));
        File.WriteAllText(Path.Combine(_store.PathOf(2), "sub", "weights.bin"), "twotwX");

        Assert.Equal(2, _store.ReadLatest(VerifyLevel.Sizes)!.Version);
        Assert.Equal(1, _store.ReadLatest(VerifyLevel.Checksums)!.Version);
        Assert.Null(_store.TryOpen(2, VerifyLevel.Checksums, out var problem));
        Assert.Contains("sub/weights.bin", problem);
    }

    [Fact]
    public void Truncated_or_missing_file_is_caught_by_sizes()
    {
        _store.Commit(1, Contents("one"));
        _store.Commit(2, Contents("two"));
        File.WriteAllText(Path.Combine(_store.PathOf(2), "model.onnx"), "tw");
        Assert.Equal(1, _store.ReadLatest(VerifyLevel.Sizes)!.Version);
        File.Delete(Path.Combine(_store.PathOf(2), "model.onnx"));
        Assert.Null(_store.TryOpen(2, VerifyLevel.Sizes, out var problem));
        Assert.Contains("'model.onnx' is missing", problem);
    }

    [Fact]
    public void Latest_naming_a_missing_folder_falls_back_to_older_versions()
    {
        _store.Commit(1, Contents("one"));
        File.WriteAllText(Path.Combine(_store.Folder, "LATEST"), "v000009\n");
        Assert.Equal(1, _store.ReadLatest()!.Version);
    }

    [Fact]
    public void Next_writer_removes_leftover_temporary_folders_and_files()
    {
        _store.Commit(1, Contents("one"));
        Directory.CreateDirectory(Path.Combine(_store.Folder, ".tmp-v000002-deadbeef", "sub"));
        File.WriteAllText(Path.Combine(_store.Folder, ".tmp-v000002-deadbeef", "sub", "half"), "x");
        File.WriteAllText(Path.Combine(_store.Folder, ".LATEST.tmp-0123"), "v0000");
        Directory.CreateDirectory(_store.PathOf(7)); // an uncommitted folder without manifest

        Assert.Equal(1, _store.ReadLatest()!.Version);
        _store.Commit(2, Contents("two"));
        Assert.Empty(Leftovers());
        Assert.Equal([1L, 2L], _store.ListVersionFolders());
    }

    [Fact]
    public void Manifest_entries_that_escape_the_version_folder_are_rejected()
    {
        _store.Commit(1, Contents("one"));
        var path = Path.Combine(_store.PathOf(1), "manifest.json");
        File.WriteAllText(path, File.ReadAllText(path).Replace("\"model.onnx\"", "\"../model.onnx\""));
        var error = Assert.Throws<RunDirectoryException>(() => VersionManifest.Load(path));
        Assert.Contains("../model.onnx", error.Message);
        Assert.Null(_store.ReadLatest());
    }

    [Fact]
    public void Prune_keeps_the_newest_the_committed_and_pinned_versions_and_never_touches_newer_folders()
    {
        for (long v = 1; v <= 6; v++) _store.Commit(v, Contents($"v{v}"));
        Directory.CreateDirectory(_store.PathOf(9)); // not committed: the writer's business, not pruning's

        var deleted = _store.Prune(keepNewest: 2, pinned: [2]);

        Assert.Equal([1L, 3L, 4L], deleted.Order());
        Assert.Equal([2L, 5L, 6L, 9L], _store.ListVersionFolders());
        Assert.Equal(6, _store.ReadLatest()!.Version);
    }

    [Fact]
    public void Prune_never_deletes_what_latest_names_even_when_newer_folders_exist()
    {
        for (long v = 1; v <= 3; v++) _store.Commit(v, Contents($"v{v}"));
        File.WriteAllText(Path.Combine(_store.Folder, "LATEST"), "v000001\n"); // as if v2, v3 were never committed
        _store.Prune(keepNewest: 1);
        Assert.Equal([1L, 2L, 3L], _store.ListVersionFolders());
    }

    [Theory]
    [InlineData(0, "v000000")]
    [InlineData(42, "v000042")]
    [InlineData(1234567, "v1234567")]
    public void Folder_names_round_trip(long version, string name)
    {
        Assert.Equal(name, VersionStore.FolderName(version));
        Assert.Equal(version, VersionStore.ParseFolderName(name));
    }

    [Theory]
    [InlineData("v")]
    [InlineData("x000001")]
    [InlineData("v00a001")]
    [InlineData(".tmp-v000001-abc")]
    public void Other_names_are_not_version_folders(string name) => Assert.Null(VersionStore.ParseFolderName(name));

    [Fact]
    public void Directory_sync_reports_a_missing_folder()
    {
        DurableIO.FsyncDirectory(_temp.Path);
        Assert.Throws<DirectoryNotFoundException>(() => DurableIO.FsyncDirectory(_temp.Combine("absent")));
    }
}
