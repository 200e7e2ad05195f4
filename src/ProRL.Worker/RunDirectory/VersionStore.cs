using System.Globalization;
using ProRL.Onnx.IO;

namespace ProRL.Worker.RunDirectory;

/// <summary>A version that a reader may trust: its folder matched its manifest when it was read.</summary>
public sealed record CommittedVersion(long Version, string FolderPath, VersionManifest Manifest)
{
    public string? Property(string name) => Manifest.Properties is { } p && p.TryGetValue(name, out var v) ? v : null;
}

/// <summary>The steps of <see cref="VersionStore.Commit"/>, in order; a crash after any of them is recoverable.</summary>
public enum CommitStep
{
    ContentsWritten,
    ManifestWritten,
    Synced,
    FolderRenamed,
    LatestReplaced,
}

/// <summary>
/// One kind of versioned state (<c>policy/</c>, <c>reference/</c>, <c>trainer/</c>): folders <c>v000042/</c>, each with a
/// <c>manifest.json</c>, and a <c>LATEST</c> file naming the newest committed one.
/// <para>
/// Commit: write into a hidden temporary folder, write the manifest, fsync, rename the folder into place, then replace
/// <c>LATEST</c> atomically. The replacement of <c>LATEST</c> is the commit point.
/// </para>
/// <para>
/// Read: the version <c>LATEST</c> names, if its folder matches its manifest; otherwise the newest older version that
/// does; when <c>LATEST</c> is missing or unreadable, the newest version folder that matches its manifest. Folders newer
/// than the committed version are leftovers of an interrupted commit: readers ignore them and the next commit deletes them.
/// </para>
/// One process writes a store; any number read it.
/// </summary>
public sealed class VersionStore
{
    public const string LatestFileName = "LATEST";
    private const string VersionPrefix = "v";

    public VersionStore(string folder)
    {
        Folder = Path.GetFullPath(folder);
        Directory.CreateDirectory(Folder);
    }

    public string Folder { get; }

    /// <summary>Called after each step of a commit (diagnostics; tests use it to simulate a crash at that step).</summary>
    public Action<CommitStep>? StepCompleted { get; set; }

    public static string FolderName(long version) => VersionPrefix + version.ToString("D6", CultureInfo.InvariantCulture);

    public static long? ParseFolderName(string name) =>
        name.Length > 1 && name[0] == 'v' && name.Skip(1).All(char.IsAsciiDigit) &&
        long.TryParse(name.AsSpan(1), NumberStyles.None, CultureInfo.InvariantCulture, out var v) ? v : null;

    public string PathOf(long version) => Path.Combine(Folder, FolderName(version));

    /// <summary>Every version folder present (committed or not), ascending.</summary>
    public IReadOnlyList<long> ListVersionFolders() =>
        Directory.EnumerateDirectories(Folder)
            .Select(d => ParseFolderName(Path.GetFileName(d)))
            .OfType<long>()
            .Order()
            .ToList();

    /// <summary>The version <c>LATEST</c> names, or null when it is missing or does not name a version.</summary>
    public long? ReadLatestPointer()
    {
        var path = Path.Combine(Folder, LatestFileName);
        try
        {
            return File.Exists(path) ? ParseFolderName(File.ReadAllText(path).Trim()) : null;
        }
        catch (IOException)
        {
            return null;
        }
    }

    /// <summary>Loads and checks one version; null (with the reason) when it cannot be trusted.</summary>
    public CommittedVersion? TryOpen(long version, VerifyLevel level, out string? problem)
    {
        var folder = PathOf(version);
        var manifestPath = Path.Combine(folder, VersionManifest.FileName);
        if (!File.Exists(manifestPath))
        {
            problem = $"{folder}: no {VersionManifest.FileName}";
            return null;
        }
        try
        {
            var manifest = VersionManifest.Load(manifestPath);
            if (manifest.Version != version)
            {
                problem = $"{manifestPath}: records version {manifest.Version}, the folder is {FolderName(version)}";
                return null;
            }
            var mismatch = manifest.FindMismatch(folder, level);
            problem = mismatch is null ? null : $"{folder}: {mismatch}";
            return mismatch is null ? new CommittedVersion(version, folder, manifest) : null;
        }
        catch (Exception e) when (e is RunDirectoryException or IOException or UnauthorizedAccessException)
        {
            problem = e.Message;
            return null;
        }
    }

    /// <summary>The newest version a reader may trust (see the class summary), or null when there is none.</summary>
    public CommittedVersion? ReadLatest(VerifyLevel level = VerifyLevel.Checksums)
    {
        var pointer = ReadLatestPointer();
        var candidates = ListVersionFolders().Where(v => pointer is null || v <= pointer).Reverse();
        foreach (var version in candidates)
        {
            var opened = TryOpen(version, level, out _);
            if (opened is not null) return opened;
        }
        return null;
    }

    /// <summary>
    /// Commits <paramref name="version"/>: <paramref name="writeContents"/> fills the given (temporary) folder; the
    /// version must be newer than the committed one. Leftovers of an interrupted commit are deleted first.
    /// </summary>
    public CommittedVersion Commit(long version, Action<string> writeContents, IReadOnlyDictionary<string, string>? properties = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(version);
        long started = System.Diagnostics.Stopwatch.GetTimestamp(); // prorl.checkpoint.commit.duration
        var committed = CleanUpIncomplete();
        if (committed is not null && version <= committed.Version)
            throw new InvalidOperationException(
                $"{Folder}: cannot commit {FolderName(version)}: {FolderName(committed.Version)} is already committed.");

        var temp = Path.Combine(Folder, TempNames.Prefix + FolderName(version) + "-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(temp);
        writeContents(temp);
        StepCompleted?.Invoke(CommitStep.ContentsWritten);

        var manifest = VersionManifest.Compute(temp, version, properties);
        File.WriteAllBytes(Path.Combine(temp, VersionManifest.FileName), manifest.ToJsonBytes());
        StepCompleted?.Invoke(CommitStep.ManifestWritten);

        DurableIO.FsyncTree(temp);
        StepCompleted?.Invoke(CommitStep.Synced);

        var target = PathOf(version);
        Directory.Move(temp, target);
        DurableIO.FsyncDirectory(Folder);
        StepCompleted?.Invoke(CommitStep.FolderRenamed);

        AtomicFile.WriteAllText(Path.Combine(Folder, LatestFileName), FolderName(version) + "\n");
        DurableIO.FsyncDirectory(Folder);
        StepCompleted?.Invoke(CommitStep.LatestReplaced);
        Telemetry.WorkerInstruments.RecordCommit(Folder, started);
        return new CommittedVersion(version, target, manifest);
    }

    /// <summary>
    /// Deletes what interrupted commits left: temporary folders and files, and version folders newer than the committed
    /// one. Rewrites <c>LATEST</c> when it is missing or names a version that cannot be trusted. Returns the committed
    /// version. Only the store's writer may call this.
    /// </summary>
    public CommittedVersion? CleanUpIncomplete()
    {
        foreach (var entry in Directory.EnumerateFileSystemEntries(Folder))
        {
            if (!TempNames.IsTemporary(Path.GetFileName(entry))) continue;
            if (Directory.Exists(entry)) Directory.Delete(entry, recursive: true);
            else File.Delete(entry);
        }
        var committed = ReadLatest(VerifyLevel.Sizes);
        foreach (var version in ListVersionFolders().Where(v => committed is null || v > committed.Version))
            DurableIO.DeleteDirectoryAtomically(PathOf(version));
        if (committed is not null && ReadLatestPointer() != committed.Version)
            AtomicFile.WriteAllText(Path.Combine(Folder, LatestFileName), FolderName(committed.Version) + "\n");
        return committed;
    }

    /// <summary>
    /// Deletes old versions, keeping the <paramref name="keepNewest"/> newest up to the committed one, the committed one
    /// itself, every version in <paramref name="pinned"/>, and everything newer than the committed version (that is the
    /// writer's to clean). Returns the versions deleted.
    /// </summary>
    public IReadOnlyList<long> Prune(int keepNewest, IEnumerable<long>? pinned = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(keepNewest, 1);
        var committed = ReadLatest(VerifyLevel.Sizes);
        if (committed is null) return [];
        var keep = new HashSet<long>(pinned ?? []) { committed.Version };
        var olderOrEqual = ListVersionFolders().Where(v => v <= committed.Version).OrderDescending().ToList();
        foreach (var v in olderOrEqual.Take(keepNewest)) keep.Add(v);
        var deleted = olderOrEqual.Where(v => !keep.Contains(v)).ToList();
        foreach (var version in deleted) DurableIO.DeleteDirectoryAtomically(PathOf(version));
        return deleted;
    }
}
