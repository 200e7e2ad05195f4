using ProRL.Onnx.IO;

namespace ProRL.Worker.RunDirectory;

/// <summary>A chunk held by a consumer, with its verified payload.</summary>
public sealed record ClaimedChunk(ChunkId Id, byte[] Payload);

/// <summary>
/// A folder of chunk files (<c>rollouts/</c>, <c>rewards/</c>) shared by any number of writers and consumers, possibly
/// on several hosts over a shared filesystem. Every transition is one atomic rename:
/// <list type="bullet">
/// <item>publish: write a hidden temporary file, fsync, rename to <c>{id}.chunk</c>;</item>
/// <item>claim: rename <c>{id}.chunk</c> into <c>claimed/{consumer}/</c>; of several consumers racing, exactly one wins;</item>
/// <item>complete: delete the claim, once its effect is durable elsewhere;</item>
/// <item>transform (chunk in, chunk out, e.g. scoring): stage the output as <c>claimed/{consumer}/{id}.out</c>, delete the
/// input claim, rename the output into the destination queue. After a crash, <see cref="RecoverTransforms"/> finishes
/// what was staged and hands back the inputs still to process, so each input yields exactly one output.</item>
/// </list>
/// A chunk that fails its checksum is moved to <c>rejected/</c> and never handed out.
/// </summary>
public sealed class ChunkQueue
{
    public const string Extension = ".chunk";
    private const string StagedExtension = ".out";
    private const string ClaimedFolderName = "claimed";
    private const string RejectedFolderName = "rejected";
    private long _sequence;

    public ChunkQueue(string folder)
    {
        Folder = Path.GetFullPath(folder);
        Directory.CreateDirectory(Folder);
    }

    public string Folder { get; }

    public string RejectedFolder => Path.Combine(Folder, RejectedFolderName);

    /// <summary>Publishes a new chunk under a fresh unique id for <paramref name="writerId"/> (see <see cref="ProcessIdentity"/>).</summary>
    public ChunkId Publish(string writerId, ReadOnlySpan<byte> payload)
    {
        var id = ChunkId.New(writerId, Interlocked.Increment(ref _sequence));
        Publish(id, payload);
        return id;
    }

    /// <summary>Publishes a chunk under a given id (replacing a ready chunk of the same id).</summary>
    public void Publish(ChunkId id, ReadOnlySpan<byte> payload)
    {
        AtomicFile.WriteAllBytes(ReadyPath(id), ChunkFile.Encode(payload));
        DurableIO.FsyncDirectory(Folder);
    }

    /// <summary>Ready (published, unclaimed) chunks, oldest first.</summary>
    public IReadOnlyList<ChunkId> ListReady() => ListIds(Folder, Extension);

    /// <summary>Claims up to <paramref name="maxCount"/> ready chunks, oldest first; chunks lost to a faster consumer are skipped.</summary>
    public IReadOnlyList<ClaimedChunk> Claim(string consumerId, int maxCount)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(maxCount);
        var claimed = new List<ClaimedChunk>();
        foreach (var id in ListReady())
        {
            if (claimed.Count >= maxCount) break;
            var chunk = TryClaim(consumerId, id);
            if (chunk is not null) claimed.Add(chunk);
        }
        return claimed;
    }

    /// <summary>Claims one chunk; null when it is gone (claimed by another consumer) or was corrupt (then rejected).</summary>
    public ClaimedChunk? TryClaim(string consumerId, ChunkId id)
    {
        var claimPath = ClaimPath(consumerId, id);
        Directory.CreateDirectory(Path.GetDirectoryName(claimPath)!);
        try
        {
            // Overwrite mode maps to rename(2), which is atomic: of two consumers renaming the same file, one gets ENOENT.
            File.Move(ReadyPath(id), claimPath, overwrite: true);
        }
        catch (FileNotFoundException)
        {
            return null;
        }
        return ReadOrReject(claimPath, id);
    }

    /// <summary>The chunks <paramref name="consumerId"/> holds (after a restart: what it claimed but did not complete).</summary>
    public IReadOnlyList<ClaimedChunk> Claimed(string consumerId) =>
        ListIds(ClaimFolder(consumerId), Extension)
            .Select(id => ReadOrReject(ClaimPath(consumerId, id), id))
            .OfType<ClaimedChunk>()
            .ToList();

    /// <summary>Deletes claims whose effect is durable (e.g. recorded in a committed trainer state).</summary>
    public void Complete(string consumerId, IEnumerable<ChunkId> ids)
    {
        foreach (var id in ids) File.Delete(ClaimPath(consumerId, id));
        SyncIfExists(ClaimFolder(consumerId));
    }

    /// <summary>Returns claims to the ready set, for another consumer to take.</summary>
    public void Release(string consumerId, IEnumerable<ChunkId> ids)
    {
        foreach (var id in ids)
        {
            var claim = ClaimPath(consumerId, id);
            if (File.Exists(claim)) File.Move(claim, ReadyPath(id), overwrite: true);
        }
        DurableIO.FsyncDirectory(Folder);
    }

    /// <summary>
    /// Restart of a final consumer: claims listed in <paramref name="applied"/> (read from its committed state) are
    /// completed, never handed out again; the other claims are returned to be used.
    /// </summary>
    public IReadOnlyList<ClaimedChunk> Reconcile(string consumerId, IReadOnlySet<ChunkId> applied)
    {
        Complete(consumerId, ListIds(ClaimFolder(consumerId), Extension).Where(applied.Contains));
        return Claimed(consumerId);
    }

    /// <summary>Stages the output of transforming claimed chunk <paramref name="id"/> (step 1 of a transform).</summary>
    public void StageOutput(string consumerId, ChunkId id, ReadOnlySpan<byte> payload)
    {
        AtomicFile.WriteAllBytes(StagedPath(consumerId, id), ChunkFile.Encode(payload));
        DurableIO.FsyncDirectory(ClaimFolder(consumerId));
    }

    /// <summary>Deletes the input claim and publishes the staged output into <paramref name="destination"/> under the same id.</summary>
    public void Forward(string consumerId, ChunkId id, ChunkQueue destination)
    {
        var staged = StagedPath(consumerId, id);
        if (!File.Exists(staged)) throw new InvalidOperationException($"{staged}: nothing staged for chunk {id}.");
        // The staged file holds everything the output needs, so the input may go first; the rename that follows is
        // the single step that makes the output visible, and it removes the staged file with it.
        File.Delete(ClaimPath(consumerId, id));
        File.Move(staged, destination.ReadyPath(id), overwrite: true);
        DurableIO.FsyncDirectory(ClaimFolder(consumerId));
        DurableIO.FsyncDirectory(destination.Folder);
    }

    /// <summary>
    /// Restart of a transforming consumer: forwards every staged output, then returns the input claims still to process.
    /// </summary>
    public IReadOnlyList<ClaimedChunk> RecoverTransforms(string consumerId, ChunkQueue destination)
    {
        foreach (var id in ListIds(ClaimFolder(consumerId), StagedExtension)) Forward(consumerId, id, destination);
        return Claimed(consumerId);
    }

    /// <summary>
    /// Deletes temporary files that writers left when they died mid-write. Age-based, because live writers on other hosts
    /// may be writing theirs right now. Returns how many were deleted.
    /// </summary>
    public int DeleteStaleTemporaries(TimeSpan olderThan)
    {
        var cutoff = DateTime.UtcNow - olderThan;
        var stale = Directory.EnumerateFiles(Folder, "*", SearchOption.AllDirectories)
            .Where(f => TempNames.IsTemporary(Path.GetFileName(f)) && File.GetLastWriteTimeUtc(f) < cutoff)
            .ToList();
        foreach (var file in stale) File.Delete(file);
        return stale.Count;
    }

    /// <summary>True when chunk <paramref name="id"/> is anywhere in this queue: ready, claimed, staged or rejected.</summary>
    public bool Contains(ChunkId id)
    {
        if (File.Exists(ReadyPath(id)) || File.Exists(Path.Combine(RejectedFolder, id.Value + Extension))) return true;
        var claims = Path.Combine(Folder, ClaimedFolderName);
        return Directory.Exists(claims) && Directory.EnumerateDirectories(claims).Any(consumer =>
            File.Exists(Path.Combine(consumer, id.Value + Extension)) || File.Exists(Path.Combine(consumer, id.Value + StagedExtension)));
    }

    /// <summary>Consumers that hold claims (or staged outputs) right now.</summary>
    public IReadOnlyList<string> ListConsumersWithClaims()
    {
        var root = Path.Combine(Folder, ClaimedFolderName);
        return Directory.Exists(root)
            ? Directory.EnumerateDirectories(root).Where(d => Directory.EnumerateFiles(d).Any()).Select(Path.GetFileName).OfType<string>().Order(StringComparer.Ordinal).ToList()
            : [];
    }

    private ClaimedChunk? ReadOrReject(string path, ChunkId id)
    {
        try
        {
            return new ClaimedChunk(id, ChunkFile.Decode(File.ReadAllBytes(path), path));
        }
        catch (RunDirectoryException)
        {
            MoveToRejected(path, id);
            return null;
        }
    }

    /// <summary>Sets a claimed chunk aside in <c>rejected/</c> (valid framing, unusable content), for an operator to inspect.</summary>
    public void RejectClaimed(string consumerId, ChunkId id) => MoveToRejected(ClaimPath(consumerId, id), id);

    private void MoveToRejected(string path, ChunkId id)
    {
        Directory.CreateDirectory(RejectedFolder);
        File.Move(path, Path.Combine(RejectedFolder, id.Value + Extension), overwrite: true);
    }

    private static IReadOnlyList<ChunkId> ListIds(string folder, string extension) =>
        Directory.Exists(folder)
            ? Directory.EnumerateFiles(folder, "*" + extension)
                .Select(Path.GetFileName)
                .OfType<string>()
                .Where(name => !TempNames.IsTemporary(name) && name.EndsWith(extension, StringComparison.Ordinal))
                .Select(name => name[..^extension.Length])
                .Where(ChunkId.IsValid)
                .Order(StringComparer.Ordinal)
                .Select(name => new ChunkId(name))
                .ToList()
            : [];

    private static void SyncIfExists(string folder)
    {
        if (Directory.Exists(folder)) DurableIO.FsyncDirectory(folder);
    }

    private string ReadyPath(ChunkId id) => Path.Combine(Folder, id.Value + Extension);

    private string ClaimFolder(string consumerId)
    {
        if (!ChunkId.IsValid(consumerId)) throw new ArgumentException($"'{consumerId}' is not a valid consumer id.", nameof(consumerId));
        return Path.Combine(Folder, ClaimedFolderName, consumerId);
    }

    private string ClaimPath(string consumerId, ChunkId id) => Path.Combine(ClaimFolder(consumerId), id.Value + Extension);

    private string StagedPath(string consumerId, ChunkId id) => Path.Combine(ClaimFolder(consumerId), id.Value + StagedExtension);
}
