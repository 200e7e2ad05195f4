namespace ProRL.Algorithms.Loss;

/// <summary>
/// How per-token values l[b, t] of a [B, T] batch (row-major, response mask m) become one scalar. See
/// <see cref="LossAggregator.Aggregate"/> for the formulas.
/// </summary>
public enum LossAggregation
{
    /// <summary>DAPO: Σ m·l / Σ m over the whole batch (every token weighs the same).</summary>
    TokenMean,

    /// <summary>Mean over sequences with at least one unmasked token of (Σ_t m·l / Σ_t m) (every sequence weighs the same).</summary>
    SeqMeanTokenMean,

    /// <summary>Dr. GRPO: Σ m·l / (B · T_max), T_max a constant (default the row length T), so length does not rescale.</summary>
    SeqMeanTokenSumNorm,
}
