namespace ProRL.Algorithms.Loss;

/// <summary>
/// Per-token estimator of KL(π ‖ π_ref) from the sampled token's log-probabilities (Schulman's k1/k2/k3); see
/// <see cref="KlPenalty.Estimate"/>.
/// </summary>
public enum KlEstimator
{
    /// <summary>No KL term: the per-token KL is 0.</summary>
    None,

    /// <summary>k1 = logp − ref_logp (unbiased, high variance, can be negative).</summary>
    K1,

    /// <summary>k2 = ½ (logp − ref_logp)².</summary>
    K2,

    /// <summary>k3 = exp(ref_logp − logp) − (ref_logp − logp) − 1, clamped to [−10, 10] (low variance, ≥ 0).</summary>
    K3,
}
