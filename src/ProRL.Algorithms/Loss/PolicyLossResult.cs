namespace ProRL.Algorithms.Loss;

/// <summary>The scalar loss and its metrics; see <see cref="PolicyLoss"/> for the definitions.</summary>
/// <param name="Loss">PolicyGradientLoss + kl_coef·Kl − entropy_coef·Entropy (= the aggregate of the per-token total).</param>
/// <param name="PolicyGradientLoss">Aggregate of the per-token clipped surrogate loss.</param>
/// <param name="Kl">Aggregate of the per-token KL estimate (0 when the estimator is None).</param>
/// <param name="Entropy">Aggregate of the per-token entropy; null when no entropy was given.</param>
/// <param name="ClipFractionLow">Token-mean of [A &lt; 0 and ratio &lt; 1 − ε_low].</param>
/// <param name="ClipFractionHigh">Token-mean of [A &gt; 0 and ratio &gt; 1 + ε_high].</param>
/// <param name="DualClipFraction">Token-mean of [dual-clip on and A &lt; 0 and ratio &gt; c].</param>
/// <param name="ApproxKlToOld">Token-mean of old_logp − logp (how far the update moved from the rollout policy).</param>
/// <param name="KlShare">|kl_coef·Kl| / (|PolicyGradientLoss| + |kl_coef·Kl|), 0 when both are 0: the KL share of the loss.</param>
/// <param name="TokenCount">Σ m, the number of tokens that count.</param>
/// <param name="SequenceCount">Rows with at least one token that counts.</param>
public sealed record PolicyLossResult(
    double Loss,
    double PolicyGradientLoss,
    double Kl,
    double? Entropy,
    double ClipFractionLow,
    double ClipFractionHigh,
    double DualClipFraction,
    double ApproxKlToOld,
    double KlShare,
    int TokenCount,
    int SequenceCount);
