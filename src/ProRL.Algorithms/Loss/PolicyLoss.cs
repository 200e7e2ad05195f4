using ProRL.Algorithms.Common;

namespace ProRL.Algorithms.Loss;

/// <summary>
/// The policy loss computed on the CPU from per-token arrays: the reference the training graph's loss head is checked
/// against. All arrays are [B, T] flattened row-major (index b·T + t) with a 0/1 response mask m.
/// <para>Per token (only positions with m = 1 are evaluated):</para>
/// <list type="number">
/// <item>ratio = exp(logp − old_logp) (no clamp).</item>
/// <item>pg = max(−A·ratio, −A·clip(ratio, 1 − ε_low, 1 + ε_high)).</item>
/// <item>with dual-clip c (&gt; 1) and A &lt; 0: pg = min(pg, −A·c); for A ≥ 0 pg is unchanged.</item>
/// <item>with importance weights w: pg = w·pg (only the pg term is weighted). For w &gt; 0 this equals feeding w·A as the
/// advantage, so a graph without a weight input reproduces it with advantages pre-multiplied by w.</item>
/// <item>kl = <see cref="KlPenalty.Estimate"/>(logp, ref_logp) (k3 value clamped to [−10, 10]; k1, k2 unclamped).</item>
/// <item>total = pg + kl_coef·kl − entropy_coef·entropy.</item>
/// </list>
/// <para>Loss = <see cref="LossAggregator.Aggregate"/>(total) under the configured aggregation; since aggregation is linear
/// this equals agg(pg) + kl_coef·agg(kl) − entropy_coef·agg(entropy), and the metrics report those three aggregates.</para>
/// <para>Clip fractions are token-means over the masked-in tokens regardless of the aggregation: low = [A &lt; 0 and
/// ratio &lt; 1 − ε_low], high = [A &gt; 0 and ratio &gt; 1 + ε_high] (the tokens whose gradient the clip removes),
/// dual = [dual-clip on and A &lt; 0 and ratio &gt; c]. All comparisons are strict.</para>
/// <para>Numerics: inputs are float32, everything is computed in double. A float32 graph that evaluates every position and
/// multiplies by m agrees to about 1e-5 relative (its masked positions must hold finite values, since 0·∞ is NaN); a token
/// whose ratio sits exactly on a clip boundary may be counted differently in the clip fractions.</para>
/// <para>An empty batch, an all-masked batch, a mismatched array length, a non-0/1 mask value or a non-finite input throws
/// an <see cref="ArgumentException"/> naming the array; the result is never NaN.</para>
/// </summary>
public static class PolicyLoss
{
    /// <summary>
    /// The clipped surrogate loss of one token: max(−A·r, −A·clip(r, 1 − ε_low, 1 + ε_high)) with r = exp(logp − old_logp),
    /// then for A &lt; 0 with a dual-clip bound c: min(that, −A·c).
    /// </summary>
    public static double ClippedSurrogate(
        double logprob, double oldLogprob, double advantage, double clipLow, double clipHigh, double? dualClip = null)
    {
        double ratio = Math.Exp(logprob - oldLogprob);
        double clippedRatio = Math.Clamp(ratio, 1 - clipLow, 1 + clipHigh);
        double loss = Math.Max(-advantage * ratio, -advantage * clippedRatio);
        if (dualClip is { } c && advantage < 0) loss = Math.Min(loss, -advantage * c);
        return loss;
    }

    /// <summary>The loss and metrics of a batch; see the class summary for every formula.</summary>
    public static PolicyLossResult Compute(PolicyLossBatch batch, PolicyLossOptions options)
    {
        ArgumentNullException.ThrowIfNull(batch);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        var inputs = Inputs.From(batch, options);
        int count = batch.BatchSize * batch.Tokens;
        var pg = new double[count];
        var kl = new double[count];
        var entropy = new double[count];
        int clippedLow = 0, clippedHigh = 0, dualClipped = 0, tokens = 0;
        double movedFromOld = 0;

        for (int i = 0; i < count; i++)
        {
            if (inputs.Mask[i] == 0) continue;
            tokens++;
            double logp = inputs.Logp[i], oldLogp = inputs.OldLogp[i], advantage = inputs.Advantages[i];
            double ratio = Math.Exp(logp - oldLogp);
            double weight = inputs.Weights.IsEmpty ? 1 : inputs.Weights[i];
            pg[i] = weight * ClippedSurrogate(logp, oldLogp, advantage, options.ClipLow, options.ClipHigh, options.DualClip);
            kl[i] = inputs.RefLogp.IsEmpty ? 0 : KlPenalty.Estimate(logp, inputs.RefLogp[i], options.KlEstimator);
            entropy[i] = inputs.Entropy.IsEmpty ? 0 : inputs.Entropy[i];
            if (advantage < 0 && ratio < 1 - options.ClipLow) clippedLow++;
            if (advantage > 0 && ratio > 1 + options.ClipHigh) clippedHigh++;
            if (options.DualClip is { } c && advantage < 0 && ratio > c) dualClipped++;
            movedFromOld += oldLogp - logp;
        }

        var mask = batch.ResponseMask;
        double Aggregate(double[] values) => LossAggregator.Aggregate(
            values, mask.Span, batch.BatchSize, batch.Tokens, options.Aggregation, options.NormalizationLength);

        double pgLoss = Aggregate(pg);
        double klValue = Aggregate(kl);
        double? entropyValue = batch.Entropy.IsEmpty ? null : Aggregate(entropy);
        double loss = pgLoss + options.KlCoef * klValue - options.EntropyCoef * (entropyValue ?? 0);
        return new PolicyLossResult(
            loss, pgLoss, klValue, entropyValue,
            ClipFractionLow: (double)clippedLow / tokens,
            ClipFractionHigh: (double)clippedHigh / tokens,
            DualClipFraction: (double)dualClipped / tokens,
            ApproxKlToOld: movedFromOld / tokens,
            KlShare: KlShare(pgLoss, options.KlCoef * klValue),
            TokenCount: tokens,
            SequenceCount: CountSequences(inputs.Mask, batch.BatchSize, batch.Tokens));
    }

    /// <summary>|kl term| / (|pg term| + |kl term|), 0 when both are 0: the share of the loss the KL penalty makes up.</summary>
    public static double KlShare(double policyGradientTerm, double klTerm)
    {
        double total = Math.Abs(policyGradientTerm) + Math.Abs(klTerm);
        return total == 0 ? 0 : Math.Abs(klTerm) / total;
    }

    private static int CountSequences(ReadOnlySpan<float> mask, int batchSize, int tokens)
    {
        int sequences = 0;
        for (int b = 0; b < batchSize; b++)
            if (LossAggregator.CountTokens(mask.Slice(b * tokens, tokens)) > 0) sequences++;
        return sequences;
    }

    /// <summary>The batch's arrays, checked once: shapes, mask values, finiteness, and the optional arrays the options need.</summary>
    private readonly ref struct Inputs
    {
        public ReadOnlySpan<float> Logp { get; init; }
        public ReadOnlySpan<float> OldLogp { get; init; }
        public ReadOnlySpan<float> Advantages { get; init; }
        public ReadOnlySpan<float> Mask { get; init; }
        public ReadOnlySpan<float> RefLogp { get; init; }
        public ReadOnlySpan<float> Entropy { get; init; }
        public ReadOnlySpan<float> Weights { get; init; }

        public static Inputs From(PolicyLossBatch batch, PolicyLossOptions options)
        {
            Check.BatchDimensions(batch.BatchSize, batch.Tokens);
            if (options.KlEstimator != KlEstimator.None && batch.RefLogprobs.IsEmpty)
                throw new ArgumentException(
                    $"KL estimator {options.KlEstimator} needs {nameof(PolicyLossBatch.RefLogprobs)}; give them or use None.",
                    nameof(batch));
            if (options.EntropyCoef != 0 && batch.Entropy.IsEmpty)
                throw new ArgumentException(
                    $"An entropy coefficient of {options.EntropyCoef} needs {nameof(PolicyLossBatch.Entropy)}.", nameof(batch));
            var inputs = new Inputs
            {
                Logp = Required(batch.Logprobs, nameof(batch.Logprobs), batch),
                OldLogp = Required(batch.OldLogprobs, nameof(batch.OldLogprobs), batch),
                Advantages = Required(batch.Advantages, nameof(batch.Advantages), batch),
                Mask = Required(batch.ResponseMask, nameof(batch.ResponseMask), batch),
                RefLogp = options.KlEstimator == KlEstimator.None ? default : Optional(batch.RefLogprobs, nameof(batch.RefLogprobs), batch),
                Entropy = Optional(batch.Entropy, nameof(batch.Entropy), batch),
                Weights = Optional(batch.ImportanceWeights, nameof(batch.ImportanceWeights), batch),
            };
            Check.Mask(inputs.Mask, nameof(batch.ResponseMask));
            if (LossAggregator.CountTokens(inputs.Mask) == 0)
                throw new ArgumentException("Every token of the batch is masked: the loss is undefined.", nameof(batch));
            for (int i = 0; i < inputs.Weights.Length; i++)
                if (inputs.Weights[i] < 0)
                    throw new ArgumentException($"{nameof(batch.ImportanceWeights)}[{i}] is {inputs.Weights[i]}; weights must be ≥ 0.", nameof(batch));
            return inputs;
        }

        private static ReadOnlySpan<float> Required(ReadOnlyMemory<float> values, string name, PolicyLossBatch batch)
        {
            Check.Shape(values.Length, batch.BatchSize, batch.Tokens, name);
            Check.Finite(values.Span, name);
            return values.Span;
        }

        private static ReadOnlySpan<float> Optional(ReadOnlyMemory<float> values, string name, PolicyLossBatch batch) =>
            values.IsEmpty ? default : Required(values, name, batch);
    }
}
