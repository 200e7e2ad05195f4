using ProRL.Worker.RunDirectory;
using ProRL.Worker.Services.Training;

namespace ProRL.EndToEnd.Tests;

/// <summary>
/// Checks a run directory while no worker runs on it (after a kill, a SIGTERM or a normal exit), and across successive
/// checks of the same run: what a restart would trust must be sound, and nothing committed may change or go back.
/// <list type="bullet">
/// <item>each of policy/, reference/, trainer/: the version <c>LATEST</c> names verifies against its manifest, SHA-256
/// included (a missing <c>LATEST</c> is allowed only before the first commit of that store);</item>
/// <item>the committed step (trainer <c>LATEST</c>) never goes back, and the policy is at that step or one behind (the
/// one window the protocol allows: trainer state committed, policy export not yet);</item>
/// <item>every committed trainer version verifies, keeps the ledger it had at earlier checks (committed = immutable),
/// and the ledgers of different versions are disjoint (no chunk applied twice);</item>
/// <item>an RL step's ledger is exactly the requests that step ordered (no chunk lost, none from another step).</item>
/// </list>
/// </summary>
internal sealed class RunDirectoryAudit(string runDirectory, int promptsPerChunk)
{
    private readonly Dictionary<long, string[]> _ledgers = [];

    public long CommittedStep { get; private set; }

    public IReadOnlyDictionary<long, string[]> Ledgers => _ledgers;

    public long Check()
    {
        var store = RunStore.Open(runDirectory);
        var trainer = VerifiedLatest(store.Trainer, "trainer");
        var policy = VerifiedLatest(store.Policy, "policy");
        VerifiedLatest(store.Reference, "reference");

        long step = trainer?.Version ?? 0;
        Assert.True(step >= CommittedStep, $"the committed step went back from {CommittedStep} to {step}");
        if (trainer is not null)
        {
            Assert.NotNull(policy);
            Assert.True(policy.Version == step || policy.Version == step - 1,
                $"policy LATEST is v{policy.Version} while the trainer committed step {step}");
        }
        CommittedStep = step;

        foreach (var version in store.Trainer.ListVersionFolders().Where(v => v <= step))
        {
            var committed = store.Trainer.TryOpen(version, VerifyLevel.Checksums, out var problem);
            Assert.True(committed is not null, $"committed trainer v{version} does not verify: {problem}");
            var ledger = ConsumptionLedger.ReadFrom(committed.FolderPath);
            Assert.Equal(version, ledger.Step);
            var ids = ledger.ChunkIds.ToArray();
            if (_ledgers.TryGetValue(version, out var seen))
                Assert.True(seen.SequenceEqual(ids), $"the ledger of committed trainer v{version} changed");
            else
                _ledgers[version] = ids;
            CheckLedgerOfStep(version, TrainerState.ReadFrom(committed.FolderPath).Phase, ids);
        }

        var duplicated = _ledgers.SelectMany(l => l.Value.Select(id => (id, step: l.Key)))
            .GroupBy(x => x.id).Where(g => g.Count() > 1)
            .Select(g => $"{g.Key} in steps {string.Join(", ", g.Select(x => x.step))}").ToList();
        Assert.True(duplicated.Count == 0, "chunks applied more than once: " + string.Join("; ", duplicated));
        return step;
    }

    /// <summary>The warm-up consumes no chunk; an RL step consumes exactly the requests it ordered.</summary>
    private void CheckLedgerOfStep(long step, string phase, string[] ids)
    {
        Assert.Equal(ids.Length, ids.Distinct().Count());
        if (phase == TrainerState.SftPhase)
            Assert.Empty(ids);
        else
            Assert.Equal(SmallRun.RequestIds(step, promptsPerChunk).Order(StringComparer.Ordinal), ids.Order(StringComparer.Ordinal));
    }

    private static CommittedVersion? VerifiedLatest(VersionStore store, string name)
    {
        var pointer = store.ReadLatestPointer();
        if (pointer is null)
        {
            // Before its first commit a store has no LATEST; after it, LATEST is replaced atomically and never missing.
            Assert.True(store.ListVersionFolders().Count <= 1, $"{name}/LATEST is missing but versions are committed");
            return null;
        }
        var version = store.TryOpen(pointer.Value, VerifyLevel.Checksums, out var problem);
        Assert.True(version is not null, $"{name}/LATEST names v{pointer}, which does not verify: {problem}");
        return version;
    }
}
