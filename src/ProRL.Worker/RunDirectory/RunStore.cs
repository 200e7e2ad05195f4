using System.Globalization;

namespace ProRL.Worker.RunDirectory;

/// <summary>How many versions of each kind pruning keeps (besides what must never be deleted).</summary>
public sealed record RetentionSettings(int KeepPolicyVersions, int KeepReferenceVersions, int KeepTrainerVersions);

/// <summary>Versions deleted by one pruning pass.</summary>
public sealed record PruneResult(IReadOnlyList<long> Policy, IReadOnlyList<long> Reference, IReadOnlyList<long> Trainer);

/// <summary>Property names used in version manifests.</summary>
public static class ManifestProperties
{
    /// <summary>On a reference version: the policy version it is a copy of.</summary>
    public const string SourcePolicyVersion = "sourcePolicyVersion";
    public const string Step = "step";
    public const string ModelHash = "modelHash";
    /// <summary>On a reference version: the rule that made it (<c>Period</c>, <c>KlShare</c>, …, or <c>SupervisedWarmup</c>).</summary>
    public const string ResetRule = "resetRule";
    /// <summary>On a reference version: whether the optimizer state was re-initialised with it (<c>true</c>/<c>false</c>).</summary>
    public const string ResetOptimizer = "resetOptimizer";
}

/// <summary>
/// The run directory (DESIGN §7): the only channel between hosted services, possibly in different processes or hosts.
/// <code>
/// RUN/ run.json  policy/  reference/  trainer/  requests/  rollouts/  rewards/  validation/  plots/  metrics.jsonl  events.jsonl
/// </code>
/// </summary>
public sealed class RunStore
{
    private RunStore(string root)
    {
        Root = Path.GetFullPath(root);
        Directory.CreateDirectory(Root);
        Policy = new VersionStore(Path.Combine(Root, "policy"));
        Reference = new VersionStore(Path.Combine(Root, "reference"));
        Trainer = new VersionStore(Path.Combine(Root, "trainer"));
        Requests = new ChunkQueue(Path.Combine(Root, "requests"));
        Rollouts = new ChunkQueue(Path.Combine(Root, "rollouts"));
        Rewards = new ChunkQueue(Path.Combine(Root, "rewards"));
        ValidationFolder = Directory.CreateDirectory(Path.Combine(Root, "validation")).FullName;
        PlotsFolder = Directory.CreateDirectory(Path.Combine(Root, "plots")).FullName;
        Metrics = new MetricsLog(Path.Combine(Root, "metrics.jsonl"));
        Events = new EventLog(Path.Combine(Root, "events.jsonl"));
    }

    /// <summary>Opens (creating what is missing) the run directory at <paramref name="root"/>.</summary>
    public static RunStore Open(string root) => new(root);

    public string Root { get; }
    public string RunInfoPath => Path.Combine(Root, RunInfo.FileName);
    public VersionStore Policy { get; }
    public VersionStore Reference { get; }
    public VersionStore Trainer { get; }
    /// <summary>Rollout requests (the trainer's orders to rollout workers); an addition to DESIGN §7's layout.</summary>
    public ChunkQueue Requests { get; }
    public ChunkQueue Rollouts { get; }
    public ChunkQueue Rewards { get; }
    public string ValidationFolder { get; }
    public string PlotsFolder { get; }
    public MetricsLog Metrics { get; }
    public EventLog Events { get; }

    /// <summary>
    /// Returns the run's <c>run.json</c>, writing <paramref name="proposed"/> when there is none. A directory started for
    /// another model (different hash) is refused: resuming it would mix two models' checkpoints.
    /// </summary>
    public RunInfo EnsureRunInfo(RunInfo proposed)
    {
        var existing = RunInfo.Load(RunInfoPath);
        if (existing is null)
        {
            proposed.Save(RunInfoPath);
            return proposed;
        }
        if (existing.ModelHash is not null && proposed.ModelHash is not null &&
            !string.Equals(existing.ModelHash, proposed.ModelHash, StringComparison.OrdinalIgnoreCase))
            throw new RunDirectoryException(
                $"{RunInfoPath}: this run directory trains the model at '{existing.ModelPath}' (hash {existing.ModelHash}); " +
                $"Model:Path now names '{proposed.ModelPath}' (hash {proposed.ModelHash}). Set Run:Directory to a new folder to train another model.");
        return existing;
    }

    /// <summary>
    /// Deletes old versions. Never deleted: what each <c>LATEST</c> names, the policy version the committed reference was
    /// copied from, the policy version matching the committed trainer state, and <paramref name="pinnedPolicyVersions"/>
    /// (e.g. versions rollout workers still sample from).
    /// </summary>
    public PruneResult Prune(RetentionSettings settings, IEnumerable<long>? pinnedPolicyVersions = null)
    {
        var pins = new List<long>(pinnedPolicyVersions ?? []);
        var reference = Reference.ReadLatest(VerifyLevel.Sizes);
        if (reference?.Property(ManifestProperties.SourcePolicyVersion) is { } source &&
            long.TryParse(source, NumberStyles.None, CultureInfo.InvariantCulture, out var sourceVersion))
            pins.Add(sourceVersion);
        if (Trainer.ReadLatest(VerifyLevel.Sizes) is { } trainer) pins.Add(trainer.Version);
        return new PruneResult(
            Policy.Prune(settings.KeepPolicyVersions, pins),
            Reference.Prune(settings.KeepReferenceVersions),
            Trainer.Prune(settings.KeepTrainerVersions));
    }

    /// <summary>
    /// Commits the model at <paramref name="modelFolder"/> as policy v0 and as reference v0, each when the run has no
    /// committed version of that kind yet (the start of a run). Returns true when it committed either.
    /// Call it from the one host that runs the trainer.
    /// </summary>
    public bool EnsureInitialVersions(string modelFolder, IReadOnlyDictionary<string, string>? properties = null)
    {
        bool committed = false;
        if (Policy.ReadLatest(VerifyLevel.Sizes) is null)
        {
            Policy.Commit(0, f => CopyModel(modelFolder, f), properties);
            committed = true;
        }
        // Checked on its own: a kill between the two commits leaves a policy without a reference, and the reference
        // of a run starts as a copy of the model, exactly as policy v0 does.
        if (Reference.ReadLatest(VerifyLevel.Sizes) is null)
        {
            var referenceProperties = new Dictionary<string, string>(properties ?? new Dictionary<string, string>())
            {
                [ManifestProperties.SourcePolicyVersion] = "0",
            };
            Reference.Commit(0, f => CopyModel(modelFolder, f), referenceProperties);
            committed = true;
        }
        return committed;
    }

    /// <summary>
    /// The export as version 0: a copy whose padded vocabulary rows (if any) are masked as in every version the trainer
    /// exports, so that rollouts of v0 never sample them either.
    /// </summary>
    private static void CopyModel(string modelFolder, string destination)
    {
        CopyFolder(modelFolder, destination);
        ProRL.Training.Session.VocabularyMask.ApplyToFolder(destination);
    }

    /// <summary>Copies a folder tree (e.g. a committed policy into a reference version being committed).</summary>
    public static void CopyFolder(string source, string destination)
    {
        Directory.CreateDirectory(destination);
        foreach (var dir in Directory.EnumerateDirectories(source, "*", SearchOption.AllDirectories))
            Directory.CreateDirectory(Path.Combine(destination, Path.GetRelativePath(source, dir)));
        foreach (var file in Directory.EnumerateFiles(source, "*", SearchOption.AllDirectories))
        {
            var relative = Path.GetRelativePath(source, file);
            if (relative == VersionManifest.FileName) continue;
            File.Copy(file, Path.Combine(destination, relative), overwrite: true);
        }
    }
}
