using ProRL.Algorithms.Common;

namespace ProRL.Algorithms.Loss;

/// <summary>
/// Settings of the policy loss (bindable from the <c>Algorithm</c> configuration section; the KL coefficient is usually
/// replaced each step by the KL controller's value, e.g. <c>options with { KlCoef = controller.Coefficient }</c>).
/// </summary>
public sealed record PolicyLossOptions
{
    /// <summary>ε_low: the ratio is clipped from below at 1 − ε_low. Default 0.2.</summary>
    public double ClipLow { get; set; } = 0.2;

    /// <summary>ε_high: the ratio is clipped from above at 1 + ε_high (DAPO's clip-higher). Default 0.4 (DESIGN §6).</summary>
    public double ClipHigh { get; set; } = 0.4;

    /// <summary>Dual-clip bound c (&gt; 1; verl's clip_ratio_c, usually 3) for negative advantages; null turns it off.</summary>
    public double? DualClip { get; set; }

    /// <summary>How per-token losses are reduced to the scalar loss. Default token-mean (DAPO).</summary>
    public LossAggregation Aggregation { get; set; } = LossAggregation.TokenMean;

    /// <summary>T_max of <see cref="LossAggregation.SeqMeanTokenSumNorm"/>; null means the row length T.</summary>
    public int? NormalizationLength { get; set; }

    /// <summary>Per-token KL estimator of the penalty. Default k3.</summary>
    public KlEstimator KlEstimator { get; set; } = KlEstimator.K3;

    /// <summary>Coefficient of the KL term. Default 1e-4.</summary>
    public double KlCoef { get; set; } = 1e-4;

    /// <summary>Coefficient of the entropy bonus (subtracted from the loss). Default 0.</summary>
    public double EntropyCoef { get; set; }

    /// <summary>Throws an <see cref="ArgumentException"/> naming the first invalid option.</summary>
    public void Validate()
    {
        Check.Option(double.IsFinite(ClipLow) && ClipLow is >= 0 and < 1, nameof(ClipLow), ClipLow, "must be in [0, 1)");
        Check.Option(double.IsFinite(ClipHigh) && ClipHigh >= 0, nameof(ClipHigh), ClipHigh, "must be a number ≥ 0");
        Check.Option(DualClip is null || (double.IsFinite(DualClip.Value) && DualClip > 1), nameof(DualClip), DualClip,
            "must be null (off) or a number > 1");
        Check.Option(Enum.IsDefined(Aggregation), nameof(Aggregation), Aggregation,
            $"allowed values are {string.Join(", ", Enum.GetNames<LossAggregation>())}");
        Check.Option(NormalizationLength is null || NormalizationLength > 0, nameof(NormalizationLength), NormalizationLength,
            "must be null (the row length) or at least 1");
        Check.Option(Enum.IsDefined(KlEstimator), nameof(KlEstimator), KlEstimator,
            $"allowed values are {string.Join(", ", Enum.GetNames<KlEstimator>())}");
        Check.Option(double.IsFinite(KlCoef) && KlCoef >= 0, nameof(KlCoef), KlCoef, "must be a number ≥ 0");
        Check.Option(double.IsFinite(EntropyCoef) && EntropyCoef >= 0, nameof(EntropyCoef), EntropyCoef, "must be a number ≥ 0");
    }
}
