using ProRL.Algorithms.Common;

namespace ProRL.Algorithms.Loss;

/// <summary>Reduces per-token values of a [B, T] batch to a scalar under a response mask.</summary>
public static class LossAggregator
{
    /// <summary>
    /// Aggregates per-token values l (length B·T, row-major) under the 0/1 response mask m:
    /// <list type="bullet">
    /// <item>TokenMean: Σ_{b,t} m·l / Σ_{b,t} m.</item>
    /// <item>SeqMeanTokenMean: let S = {b : Σ_t m[b,t] ≥ 1}; (1/|S|) Σ_{b∈S} (Σ_t m·l / Σ_t m). Fully masked rows are left
    /// out of the mean.</item>
    /// <item>SeqMeanTokenSumNorm: Σ_{b,t} m·l / (B · T_max), B the number of rows (fully masked rows included) and
    /// T_max = <paramref name="normalizationLength"/> or, when null, the row length T.</item>
    /// </list>
    /// An empty batch or a mask with no 1 throws an <see cref="ArgumentException"/> in every mode (never NaN).
    /// </summary>
    public static double Aggregate(
        ReadOnlySpan<double> values, ReadOnlySpan<float> mask, int batchSize, int tokens,
        LossAggregation aggregation, int? normalizationLength = null)
    {
        Check.BatchDimensions(batchSize, tokens);
        Check.Shape(values.Length, batchSize, tokens, nameof(values));
        Check.Shape(mask.Length, batchSize, tokens, nameof(mask));
        if (CountTokens(mask) == 0)
            throw new ArgumentException("Every token of the batch is masked: there is nothing to aggregate.", nameof(mask));
        return aggregation switch
        {
            LossAggregation.TokenMean => MaskedSum(values, mask) / CountTokens(mask),
            LossAggregation.SeqMeanTokenMean => MeanOfSequenceMeans(values, mask, batchSize, tokens),
            LossAggregation.SeqMeanTokenSumNorm => MaskedSum(values, mask) / ((double)batchSize * NormalizationLength(normalizationLength, tokens)),
            _ => throw new ArgumentOutOfRangeException(nameof(aggregation), aggregation, "Unknown loss aggregation."),
        };
    }

    /// <summary>Number of unmasked tokens (Σ m).</summary>
    public static int CountTokens(ReadOnlySpan<float> mask)
    {
        int count = 0;
        foreach (var m in mask) if (m != 0) count++;
        return count;
    }

    /// <summary>Σ m·l over the masked-in tokens (masked-out values are never read, so they cannot leak NaN).</summary>
    private static double MaskedSum(ReadOnlySpan<double> values, ReadOnlySpan<float> mask)
    {
        double sum = 0;
        for (int i = 0; i < values.Length; i++)
            if (mask[i] != 0) sum += mask[i] * values[i];
        return sum;
    }

    private static double MeanOfSequenceMeans(ReadOnlySpan<double> values, ReadOnlySpan<float> mask, int batchSize, int tokens)
    {
        double sumOfMeans = 0;
        int sequences = 0;
        for (int b = 0; b < batchSize; b++)
        {
            var rowMask = mask.Slice(b * tokens, tokens);
            int count = CountTokens(rowMask);
            if (count == 0) continue;
            sumOfMeans += MaskedSum(values.Slice(b * tokens, tokens), rowMask) / count;
            sequences++;
        }
        return sumOfMeans / sequences;
    }

    private static int NormalizationLength(int? normalizationLength, int tokens)
    {
        if (normalizationLength is { } length && length <= 0)
            throw new ArgumentOutOfRangeException(nameof(normalizationLength), length, "T_max must be at least 1.");
        return normalizationLength ?? tokens;
    }
}
