namespace ProRL.Algorithms.Loss;

/// <summary>Per-token KL estimators between the policy and the reference, from sampled-token log-probabilities.</summary>
public static class KlPenalty
{
    /// <summary>Bounds applied to the k3 value (only k3 is clamped; k1 and k2 are not).</summary>
    public const double K3Min = -10, K3Max = 10;

    /// <summary>
    /// The per-token KL estimate, with d = ref_logp − logp:
    /// <list type="bullet">
    /// <item>None: 0.</item>
    /// <item>K1: logp − ref_logp = −d.</item>
    /// <item>K2: ½ (logp − ref_logp)² = ½ d².</item>
    /// <item>K3: clamp(exp(d) − d − 1, −10, 10). What is clamped is the k3 value itself, not d nor the exponent; the lower
    /// bound never binds because exp(d) − d − 1 ≥ 0. For d above ~88 float32 exp overflows to +∞, which the clamp turns
    /// into 10, the same result as in double.</item>
    /// </list>
    /// </summary>
    public static double Estimate(double logprob, double refLogprob, KlEstimator estimator)
    {
        double d = refLogprob - logprob;
        return estimator switch
        {
            KlEstimator.None => 0,
            KlEstimator.K1 => -d,
            KlEstimator.K2 => 0.5 * d * d,
            KlEstimator.K3 => Math.Clamp(Math.Exp(d) - d - 1, K3Min, K3Max),
            _ => throw new ArgumentOutOfRangeException(nameof(estimator), estimator, "Unknown KL estimator."),
        };
    }
}
