using System.Globalization;
using System.Text.Json.Nodes;
using ProRL.Worker.Chunks;
using ProRL.Worker.RunDirectory;

namespace ProRL.Worker.Services.Training;

/// <summary>Where a (re)started trainer stands: the last committed step, its state, and the scored chunks it still holds for the next step.</summary>
public sealed record TrainerResumePoint(long Step, CommittedVersion? State, IReadOnlyList<ClaimedChunk> HeldChunks, bool PolicyBehind);

/// <summary>A scored chunk the trainer holds, decoded.</summary>
public sealed record HeldChunk(ChunkId Id, ScoredChunk Scored);

/// <summary>
/// The trainer's side of the run directory, independent of the update math:
/// <list type="number">
/// <item>resume: clean up interrupted commits, read the last trainer state, complete the claims its ledger lists (so no
/// chunk is applied twice) and keep the others (so none is lost);</item>
/// <item>request rollouts for a step under deterministic ids, skipping requests that already exist anywhere downstream,
/// so a restart never orders the same rollouts twice;</item>
/// <item>collect the scored chunks of the step (stale ones of earlier steps, e.g. duplicates of a step redone after a
/// crash, are discarded);</item>
/// <item>commit a step: trainer state with its ledger first, then the policy, then delete the consumed chunks. A crash
/// between the two commits leaves the policy behind the trainer state, which <see cref="Resume"/> reports so that the
/// trainer exports the policy again.</item>
/// </list>
/// </summary>
public sealed class TrainerExchange(RunStore store)
{
    public const string ConsumerId = "trainer";
    private readonly Dictionary<ChunkId, HeldChunk> _held = [];

    public TrainerResumePoint Resume()
    {
        store.Trainer.CleanUpIncomplete();
        store.Policy.CleanUpIncomplete();
        var state = store.Trainer.ReadLatest();
        var applied = state is null ? new HashSet<ChunkId>() : ConsumptionLedger.ReadFrom(state.FolderPath).Ids;
        var held = store.Rewards.Reconcile(ConsumerId, applied);
        long step = state?.Version ?? 0;
        bool policyBehind = (store.Policy.ReadLatestPointer() ?? -1) < step;
        _held.Clear();
        foreach (var chunk in held) Hold(chunk);
        return new TrainerResumePoint(step, state, held, policyBehind);
    }

    public static ChunkId RequestId(long step, int round, int index) =>
        new(string.Create(CultureInfo.InvariantCulture, $"s{step:D6}-r{round:D2}-{index:D4}"));

    /// <summary>
    /// Splits <paramref name="tasks"/> into requests of at most <paramref name="tasksPerRequest"/> and publishes those not
    /// already ordered; returns every request id of the round.
    /// </summary>
    public IReadOnlyList<ChunkId> PublishRequests(long step, int round, long policyVersion, IReadOnlyList<JsonObject> tasks,
        SamplingSpec sampling, int tasksPerRequest)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(tasksPerRequest, 1);
        var ids = new List<ChunkId>();
        for (int index = 0, start = 0; start < tasks.Count; index++, start += tasksPerRequest)
        {
            var id = RequestId(step, round, index);
            ids.Add(id);
            if (IsOrdered(id)) continue;
            var slice = tasks.Skip(start).Take(tasksPerRequest).ToList();
            var seeded = sampling with { Seed = unchecked(sampling.Seed + (ulong)(step * 1_000_003 + round * 1009 + index)) };
            store.Requests.Publish(id, ChunkPayload.Serialize(new RolloutRequest(step, round, policyVersion, slice, seeded)));
        }
        return ids;
    }

    private bool IsOrdered(ChunkId id) =>
        _held.ContainsKey(id) || store.Requests.Contains(id) || store.Rollouts.Contains(id) || store.Rewards.Contains(id);

    /// <summary>Claims the ready scored chunks; keeps those of <paramref name="step"/>, discards those of earlier steps.
    /// Returns every chunk held for the step so far.</summary>
    public IReadOnlyList<HeldChunk> Collect(long step)
    {
        foreach (var claimed in store.Rewards.Claim(ConsumerId, int.MaxValue)) Hold(claimed);
        var stale = _held.Values.Where(h => h.Scored.Rollout.Step < step).Select(h => h.Id).ToList();
        if (stale.Count > 0)
        {
            store.Rewards.Complete(ConsumerId, stale);
            foreach (var id in stale) _held.Remove(id);
        }
        return _held.Values.Where(h => h.Scored.Rollout.Step == step).OrderBy(h => h.Id.Value, StringComparer.Ordinal).ToList();
    }

    /// <summary>Commits step <paramref name="step"/> (see the class summary) and forgets the consumed chunks.</summary>
    public void CommitStep(long step, IReadOnlyCollection<ChunkId> consumed, Action<string> writeTrainerState, Action<string>? writePolicy,
        IReadOnlyDictionary<string, string>? properties = null)
    {
        // Each half is skipped when already committed, so a commit interrupted by a full disk can be run again whole.
        if ((store.Trainer.ReadLatestPointer() ?? -1) < step)
            store.Trainer.Commit(step, folder =>
            {
                writeTrainerState(folder);
                ConsumptionLedger.For(step, consumed).WriteTo(folder);
            }, properties);
        if (writePolicy is not null && (store.Policy.ReadLatestPointer() ?? -1) < step) CommitPolicy(step, writePolicy, properties);
        store.Rewards.Complete(ConsumerId, consumed);
        foreach (var id in consumed) _held.Remove(id);
    }

    /// <summary>Commits policy v<paramref name="step"/> (also used after <see cref="TrainerResumePoint.PolicyBehind"/>).</summary>
    public CommittedVersion CommitPolicy(long step, Action<string> writePolicy, IReadOnlyDictionary<string, string>? properties = null) =>
        store.Policy.Commit(step, writePolicy, properties);

    private void Hold(ClaimedChunk claimed)
    {
        var what = Path.Combine(store.Rewards.Folder, claimed.Id.Value + ChunkQueue.Extension);
        try
        {
            var scored = ChunkPayload.Deserialize<ScoredChunk>(claimed.Payload, what);
            scored.CheckShape(what);
            _held[claimed.Id] = new HeldChunk(claimed.Id, scored);
        }
        catch (RunDirectoryException e)
        {
            store.Rewards.RejectClaimed(ConsumerId, claimed.Id);
            store.Events.Append(EventTypes.ChunkRejected, null, e.Message, new JsonObject { ["chunk"] = claimed.Id.Value });
        }
    }
}
