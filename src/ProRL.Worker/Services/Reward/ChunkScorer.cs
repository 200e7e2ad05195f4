using ProRL.Tasks.Datasets;
using ProRL.Tasks.Model;
using ProRL.Tasks.Verification;
using ProRL.Worker.Chunks;

namespace ProRL.Worker.Services.Reward;

/// <summary>Scores every sample of a rollout chunk with the domain verifiers. Never throws on model output.</summary>
public sealed class ChunkScorer(RewardScorer scorer)
{
    public async Task<ScoredChunk> ScoreAsync(RolloutChunk chunk, CancellationToken cancellationToken)
    {
        var groups = await Task.WhenAll(chunk.Groups.Select((group, g) => ScoreGroupAsync(group, $"{chunk.Writer}/group{g}", cancellationToken)));
        return new ScoredChunk(chunk, groups);
    }

    private async Task<IReadOnlyList<SampleScore>> ScoreGroupAsync(RolloutGroup group, string fallbackId, CancellationToken cancellationToken)
    {
        TaskItem task;
        try
        {
            task = TaskJson.FromJson(group.Task, fallbackId);
        }
        catch (FormatException e)
        {
            // A task row the verifiers cannot read is the writer's bug, not the model's: score 0 and say so.
            return group.Samples.Select(_ => new SampleScore(0, $"task row unreadable: {e.Message}", FormatOk: false)).ToList();
        }
        var results = await Task.WhenAll(group.Samples.Select(s => scorer.ScoreAsync(task, s.Text, cancellationToken).AsTask()));
        return results.Select(r => new SampleScore(r.Reward, r.Reason, r.Fraction, r.FormatOk, r.ExtractedAnswer)).ToList();
    }
}
