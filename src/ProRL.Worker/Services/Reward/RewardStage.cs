using ProRL.Worker.Chunks;
using ProRL.Worker.RunDirectory;

namespace ProRL.Worker.Services.Reward;

/// <summary>
/// The reward step of the pipeline: claim a rollout chunk, score it, publish the scored chunk under the same id. Uses
/// the transform protocol of <see cref="ChunkQueue"/>, so a crash at any point yields exactly one scored chunk per
/// rollout chunk once the same consumer restarts.
/// </summary>
public sealed class RewardStage(RunStore store, string consumerId, ChunkScorer scorer)
{
    private readonly Queue<ClaimedChunk> _pending = new();

    public string ConsumerId { get; } = consumerId;

    /// <summary>Finishes what a previous incarnation staged and queues the chunks it had claimed. Returns how many were queued.</summary>
    public int Recover()
    {
        foreach (var chunk in store.Rollouts.RecoverTransforms(ConsumerId, store.Rewards)) _pending.Enqueue(chunk);
        return _pending.Count;
    }

    /// <summary>Scores one chunk (a recovered one first); false when there was none to score.</summary>
    public async Task<bool> ProcessNextAsync(CancellationToken cancellationToken)
    {
        if (_pending.Count == 0)
            foreach (var claimed in store.Rollouts.Claim(ConsumerId, 1)) _pending.Enqueue(claimed);
        if (!_pending.TryPeek(out var chunk)) return false;

        var what = Path.Combine(store.Rollouts.Folder, chunk.Id.Value + ChunkQueue.Extension);
        RolloutChunk rollout;
        try
        {
            rollout = ChunkPayload.Deserialize<RolloutChunk>(chunk.Payload, what);
        }
        catch (RunDirectoryException e)
        {
            // Checksummed but not a rollout chunk: a writer of another version. Keep it aside, tell the operator.
            Reject(chunk, e.Message);
            _pending.Dequeue();
            return true;
        }
        var scored = await scorer.ScoreAsync(rollout, cancellationToken);
        store.Rollouts.StageOutput(ConsumerId, chunk.Id, ChunkPayload.Serialize(scored));
        store.Rollouts.Forward(ConsumerId, chunk.Id, store.Rewards);
        _pending.Dequeue();
        return true;
    }

    private void Reject(ClaimedChunk chunk, string reason)
    {
        store.Rollouts.RejectClaimed(ConsumerId, chunk.Id);
        store.Events.Append(EventTypes.ChunkRejected, null, reason, new System.Text.Json.Nodes.JsonObject { ["chunk"] = chunk.Id.Value });
    }
}
