using ProRL.Algorithms.Loss;
using ProRL.Training.Heads;

namespace ProRL.Training.Session;

/// <summary>What the aggregations count in a [B, T−1] response mask: rows, rows with at least one token, and tokens.</summary>
public readonly record struct MaskCounts(int Rows, int Sequences, long Tokens)
{
    public static MaskCounts Of(ReadOnlySpan<float> mask, int rows)
    {
        if (rows < 1 || mask.Length % rows != 0)
            throw new ArgumentException($"A mask of {mask.Length} values cannot be {rows} rows.", nameof(mask));
        int width = mask.Length / rows, sequences = 0;
        long tokens = 0;
        for (int r = 0; r < rows; r++)
        {
            int count = 0;
            foreach (var m in mask.Slice(r * width, width)) if (m != 0) count++;
            tokens += count;
            if (count > 0) sequences++;
        }
        return new MaskCounts(rows, sequences, tokens);
    }

    public static MaskCounts operator +(MaskCounts a, MaskCounts b) => new(a.Rows + b.Rows, a.Sequences + b.Sequences, a.Tokens + b.Tokens);
}

/// <summary>
/// The <c>loss_scale</c> that makes micro-batch losses (and gradients) add up to the loss of the whole mini-batch: each
/// micro-batch's aggregate is a mean over its own tokens / sequences / rows, so it is weighted by its share of the
/// mini-batch's. (Sequence-mean-token-sum-norm with the row length as T_max assumes every micro-batch has the same T.)
/// </summary>
public static class MicroBatchScale
{
    public static float LossScale(LossAggregation aggregation, MaskCounts microBatch, MaskCounts miniBatch)
    {
        (double part, double whole) = aggregation switch
        {
            LossAggregation.TokenMean => (microBatch.Tokens, miniBatch.Tokens),
            LossAggregation.SeqMeanTokenMean => (microBatch.Sequences, miniBatch.Sequences),
            LossAggregation.SeqMeanTokenSumNorm => (microBatch.Rows, miniBatch.Rows),
            _ => throw new ArgumentOutOfRangeException(nameof(aggregation), aggregation, "Unknown loss aggregation."),
        };
        if (whole <= 0) throw new ArgumentException("The mini-batch has nothing to aggregate (no tokens, sequences or rows).", nameof(miniBatch));
        return (float)(part / whole);
    }
}
