using ProRL.Algorithms.Common;

namespace ProRL.Algorithms.Loss;

/// <summary>Truncated importance-sampling weights and their statistics.</summary>
/// <param name="Weights">Per-token w ([B, T] row-major); 0 at masked-out positions.</param>
/// <param name="MeanWeight">Token-mean of w over the masked-in tokens.</param>
/// <param name="TruncatedFraction">Token-mean of [exp(trainer − rollout) &gt; cap].</param>
/// <param name="MeanLogDifference">Token-mean of trainer_logp − rollout_logp (the engines' mismatch; 0 when they agree).</param>
public sealed record ImportanceWeights(float[] Weights, double MeanWeight, double TruncatedFraction, double MeanLogDifference);

/// <summary>
/// Truncated importance sampling (TIS) between the rollout engine's log-probabilities of the sampled tokens and the
/// trainer's log-probabilities of the same tokens under the same (old) policy: the two engines' numerics differ, so the
/// samples are slightly off-policy for the trainer. w = min(exp(trainer_logp − rollout_logp), cap).
/// </summary>
public static class ImportanceSampling
{
    /// <summary>Per-token truncated weights w = min(exp(trainer − rollout), cap) under the response mask.</summary>
    public static ImportanceWeights Truncated(
        ReadOnlySpan<float> trainerLogprobs, ReadOnlySpan<float> rolloutLogprobs, ReadOnlySpan<float> responseMask,
        double cap = 2.0)
    {
        if (!(double.IsFinite(cap) && cap > 0))
            throw new ArgumentOutOfRangeException(nameof(cap), cap, "The truncation cap must be a positive number.");
        if (trainerLogprobs.Length != rolloutLogprobs.Length || trainerLogprobs.Length != responseMask.Length)
            throw new ArgumentException(
                $"Lengths differ: trainer {trainerLogprobs.Length}, rollout {rolloutLogprobs.Length}, mask {responseMask.Length}.",
                nameof(rolloutLogprobs));
        Check.Mask(responseMask, nameof(responseMask));
        int tokens = LossAggregator.CountTokens(responseMask);
        if (tokens == 0) throw new ArgumentException("Every token is masked: no weights to compute.", nameof(responseMask));

        var weights = new float[trainerLogprobs.Length];
        double weightSum = 0, logDifferenceSum = 0;
        int truncated = 0;
        for (int i = 0; i < weights.Length; i++)
        {
            if (responseMask[i] == 0) continue;
            double logDifference = trainerLogprobs[i] - rolloutLogprobs[i];
            if (!double.IsFinite(logDifference))
                throw new ArgumentException($"Log-probabilities at {i} are not finite.", nameof(trainerLogprobs));
            double raw = Math.Exp(logDifference);
            if (raw > cap) truncated++;
            weights[i] = (float)Math.Min(raw, cap);
            weightSum += weights[i];
            logDifferenceSum += logDifference;
        }
        return new ImportanceWeights(weights, weightSum / tokens, (double)truncated / tokens, logDifferenceSum / tokens);
    }

    /// <summary>Per-token A·w: folds the weights into the advantages (equivalent for the loss while w &gt; 0).</summary>
    public static float[] Apply(ReadOnlySpan<float> advantages, ReadOnlySpan<float> weights)
    {
        if (advantages.Length != weights.Length)
            throw new ArgumentException($"{advantages.Length} advantages but {weights.Length} weights.", nameof(weights));
        var weighted = new float[advantages.Length];
        for (int i = 0; i < weighted.Length; i++) weighted[i] = advantages[i] * weights[i];
        return weighted;
    }
}
