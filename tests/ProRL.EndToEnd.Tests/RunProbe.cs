using ProRL.Worker.RunDirectory;
using ProRL.Worker.Services.Training;

namespace ProRL.EndToEnd.Tests;

/// <summary>The phases of a worker step that can be told from the run directory's files.</summary>
public enum StepPhase
{
    /// <summary>Before the first committed step: start-up, bootstrap, supervised warm-up.</summary>
    StartUp,
    /// <summary>A rollout service holds a claimed request: it is sampling (or about to publish) a rollout chunk.</summary>
    MidRollout,
    /// <summary>A reward service holds a claimed rollout chunk: it is scoring it.</summary>
    MidScoring,
    /// <summary>The trainer holds every scored chunk of the next step and has not started its commit: the update runs.</summary>
    MidOptimizerStep,
    /// <summary>A trainer version (optimizer checkpoint, state, ledger) is being written.</summary>
    MidCheckpointWrite,
    /// <summary>A policy version (the exported model) is being written.</summary>
    MidPolicyExport,
    /// <summary>A reference version is being written (reset or warm-up).</summary>
    MidReferenceCommit,
}

/// <summary>
/// Reads, from the files alone, which phases a worker on <paramref name="runDirectory"/> is in: after a SIGKILL the
/// files left behind are the evidence of where the kill landed.
/// </summary>
internal sealed class RunProbe(string runDirectory, int promptsPerChunk)
{
    private string Sub(params string[] parts) => Path.Combine([runDirectory, .. parts]);

    public long CommittedStep => new VersionStore(Sub("trainer")).ReadLatestPointer() ?? 0;

    /// <summary>
    /// The phases the files show, each with the paths that show it. Files in <paramref name="before"/> (the evidence of an
    /// earlier kill, present before this start) do not count: they say nothing about where this process was.
    /// </summary>
    public IReadOnlySet<StepPhase> Phases(Evidence? before = null)
    {
        var now = Collect();
        return now.Where(e => e.Key == StepPhase.StartUp || e.Value.Except(before?.Paths(e.Key) ?? []).Any()).Select(e => e.Key).ToHashSet();
    }

    /// <summary>What the files show now (see <see cref="Phases"/>).</summary>
    public Evidence Collect()
    {
        var evidence = new Evidence();
        long committed = CommittedStep;
        if (new VersionStore(Sub("trainer")).ReadLatestPointer() is null) evidence.Add(StepPhase.StartUp, ["trainer/LATEST missing"]);
        evidence.Add(StepPhase.MidCheckpointWrite, Temporaries(Sub("trainer")));
        evidence.Add(StepPhase.MidPolicyExport, Temporaries(Sub("policy")));
        evidence.Add(StepPhase.MidReferenceCommit, Temporaries(Sub("reference")));
        evidence.Add(StepPhase.MidRollout, ClaimsOf(Sub("requests"), "rollout"));
        evidence.Add(StepPhase.MidScoring, ClaimsOf(Sub("rollouts"), "reward"));
        if (!evidence.Has(StepPhase.MidCheckpointWrite) && TrainerHoldsWholeStep(committed + 1, out var held))
            evidence.Add(StepPhase.MidOptimizerStep, held);
        return evidence;
    }

    public bool In(StepPhase phase) => phase switch
    {
        StepPhase.MidCheckpointWrite => Temporaries(Sub("trainer")).Any(),
        StepPhase.MidPolicyExport => Temporaries(Sub("policy")).Any(),
        StepPhase.MidRollout => ClaimsOf(Sub("requests"), "rollout").Any(),
        StepPhase.MidScoring => ClaimsOf(Sub("rollouts"), "reward").Any(),
        _ => Collect().Has(phase),
    };

    private bool TrainerHoldsWholeStep(long step, out IReadOnlyList<string> held)
    {
        var claims = ClaimsOf(Sub("rewards"), TrainerExchange.ConsumerId).ToHashSet();
        held = SmallRun.RequestIds(step, promptsPerChunk).Select(id => "rewards/claimed/trainer/" + id).ToList();
        return SmallRun.RequestIds(step, promptsPerChunk).All(claims.Contains);
    }

    /// <summary>Ids of the chunks claimed in <paramref name="queue"/> by consumers whose id starts with <paramref name="consumerPrefix"/>.</summary>
    private static IEnumerable<string> ClaimsOf(string queue, string consumerPrefix)
    {
        var claimed = Path.Combine(queue, "claimed");
        if (!Directory.Exists(claimed)) return [];
        try
        {
            return Directory.EnumerateDirectories(claimed, consumerPrefix + "*")
                .SelectMany(Directory.EnumerateFiles)
                .Select(Path.GetFileName)
                .OfType<string>()
                .Where(n => !n.StartsWith('.') && n.EndsWith(ChunkQueue.Extension, StringComparison.Ordinal))
                .Select(n => n[..^ChunkQueue.Extension.Length])
                .ToList();
        }
        catch (DirectoryNotFoundException)
        {
            return []; // a claim folder vanished while listing: nothing claimed there
        }
    }

    private static IReadOnlyList<string> Temporaries(string folder) =>
        Directory.Exists(folder)
            ? Directory.EnumerateFileSystemEntries(folder).Where(e => TempNames.IsTemporary(Path.GetFileName(e))).ToList()
            : [];
}

/// <summary>Paths in a run directory that show a worker in a phase (see <see cref="RunProbe.Collect"/>).</summary>
internal sealed class Evidence : Dictionary<StepPhase, HashSet<string>>
{
    public void Add(StepPhase phase, IEnumerable<string> paths)
    {
        var list = paths.ToList();
        if (list.Count > 0) this[phase] = [.. list];
    }

    public bool Has(StepPhase phase) => ContainsKey(phase);

    public IEnumerable<string> Paths(StepPhase phase) => TryGetValue(phase, out var paths) ? paths : [];
}
