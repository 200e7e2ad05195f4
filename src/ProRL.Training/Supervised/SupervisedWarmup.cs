using ProRL.Training.Batching;
using ProRL.Training.Session;

namespace ProRL.Training.Supervised;

/// <summary>A prompt and the completion the model should learn to write for it.</summary>
public sealed record SupervisedExample(int[] PromptIds, int[] TargetIds);

/// <summary>
/// Supervised warm-up (`prorl sft` and the worker's optional first phase): mean next-token cross-entropy of the
/// target tokens, on the same training artifacts built with the cross-entropy head.
/// </summary>
public sealed class SupervisedWarmup(TrainingSession session, AdamWSettings optimizer, long padTokenId)
{
    /// <summary>One AdamW step on a batch of examples; returns the mean loss over its target tokens.</summary>
    public SupervisedStepResult Step(IReadOnlyList<SupervisedExample> batch, int microBatchSize = 32)
    {
        if (batch.Count == 0) throw new ArgumentException("A supervised step needs at least one example.", nameof(batch));
        var samples = batch.Select(e => new TrainingSample(0, e.PromptIds, e.TargetIds, new float[e.TargetIds.Length], 0, true)).ToList();
        int totalTokens = samples.Sum(s => s.CompletionIds.Length);
        if (totalTokens == 0) throw new ArgumentException("The supervised batch has no target tokens.", nameof(batch));
        double loss = 0;
        foreach (var micro in samples.Chunk(microBatchSize))
        {
            var packed = PackedBatch.Pack(micro, padTokenId);
            if (packed.ResponseTokens == 0) continue;
            float scale = (float)packed.ResponseTokens / totalTokens;
            var r = session.TrainStepCrossEntropy(packed.Tokens, packed.ResponseMask, scale);
            loss += r.Loss;
        }
        var opt = session.OptimizerStep(optimizer);
        return new SupervisedStepResult(loss, totalTokens, opt.Applied, opt.GradNorm, opt.SkipReason);
    }
}

public sealed record SupervisedStepResult(double Loss, int Tokens, bool Applied, double GradNorm, string? SkipReason);
