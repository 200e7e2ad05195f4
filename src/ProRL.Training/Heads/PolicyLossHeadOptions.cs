using ProRL.Algorithms.Loss;

namespace ProRL.Training.Heads;

/// <summary>Build-time choices of the policy-loss head (the coefficients and clip bounds are runtime inputs).</summary>
public sealed record PolicyLossHeadOptions
{
    public KlEstimator KlEstimator { get; init; } = KlEstimator.K3;
    public LossAggregation Aggregation { get; init; } = LossAggregation.TokenMean;

    /// <summary>T_max of <see cref="LossAggregation.SeqMeanTokenSumNorm"/>; null means the row length T−1.</summary>
    public int? NormalizationLength { get; init; }

    /// <summary>Adds the runtime input <c>dual_clip</c> (c &gt; 1): for A &lt; 0 the per-token loss is capped at −A·c.</summary>
    public bool DualClip { get; init; }

    /// <summary>
    /// Puts −entropy_coef·entropy into the loss (runtime input <c>entropy_coef</c>). Off saves the entropy's backward pass
    /// over [B, T, V]; the entropy metric is reported either way.
    /// </summary>
    public bool EntropyInLoss { get; init; } = true;

    public void Validate()
    {
        if (!Enum.IsDefined(KlEstimator))
            throw new ArgumentException($"KlEstimator {KlEstimator} is unknown; allowed: {string.Join(", ", Enum.GetNames<KlEstimator>())}.");
        if (!Enum.IsDefined(Aggregation))
            throw new ArgumentException($"Aggregation {Aggregation} is unknown; allowed: {string.Join(", ", Enum.GetNames<LossAggregation>())}.");
        if (NormalizationLength is <= 0)
            throw new ArgumentException($"NormalizationLength must be null (the row length) or at least 1, not {NormalizationLength}.");
    }
}
