using ProRL.Algorithms.Loss;

namespace ProRL.Algorithms.Tests.Loss;

public class LossAggregatorTests
{
    // B = 2, T = 3. Row 0 keeps tokens 0, 1; row 1 keeps token 0. Masked positions hold NaN to prove they are never read.
    private static readonly double[] Values = [1, 2, double.NaN, 4, double.NaN, double.NaN];
    private static readonly float[] Mask = [1, 1, 0, 1, 0, 0];

    [Fact]
    public void Token_mean_divides_the_masked_sum_by_the_token_count()
    {
        // (1 + 2 + 4) / 3 = 7/3.
        Assert.Equal(7.0 / 3, LossAggregator.Aggregate(Values, Mask, 2, 3, LossAggregation.TokenMean), 12);
    }

    [Fact]
    public void Seq_mean_token_mean_averages_per_sequence_means()
    {
        // Row 0: (1 + 2)/2 = 1.5; row 1: 4/1 = 4; mean = 2.75.
        Assert.Equal(2.75, LossAggregator.Aggregate(Values, Mask, 2, 3, LossAggregation.SeqMeanTokenMean), 12);
    }

    [Fact]
    public void Seq_mean_token_sum_norm_divides_by_rows_times_the_constant_length()
    {
        // 7 / (2·3) with T_max = T; 7 / (2·10) = 0.35 with T_max = 10.
        Assert.Equal(7.0 / 6, LossAggregator.Aggregate(Values, Mask, 2, 3, LossAggregation.SeqMeanTokenSumNorm), 12);
        Assert.Equal(0.35, LossAggregator.Aggregate(Values, Mask, 2, 3, LossAggregation.SeqMeanTokenSumNorm, 10), 12);
    }

    [Fact]
    public void A_fully_masked_row_is_skipped_by_the_means_but_counted_by_sum_norm()
    {
        double[] values = [.. Values, 100, 100, 100];
        float[] mask = [.. Mask, 0, 0, 0];
        Assert.Equal(7.0 / 3, LossAggregator.Aggregate(values, mask, 3, 3, LossAggregation.TokenMean), 12);
        Assert.Equal(2.75, LossAggregator.Aggregate(values, mask, 3, 3, LossAggregation.SeqMeanTokenMean), 12);
        // 7 / (3·3).
        Assert.Equal(7.0 / 9, LossAggregator.Aggregate(values, mask, 3, 3, LossAggregation.SeqMeanTokenSumNorm), 12);
    }

    [Theory]
    [InlineData(LossAggregation.TokenMean)]
    [InlineData(LossAggregation.SeqMeanTokenMean)]
    [InlineData(LossAggregation.SeqMeanTokenSumNorm)]
    public void All_masked_or_empty_batches_throw_instead_of_returning_nan(LossAggregation aggregation)
    {
        Assert.Throws<ArgumentException>(() => LossAggregator.Aggregate([1, 2], [0, 0], 1, 2, aggregation));
        Assert.Throws<ArgumentException>(() => LossAggregator.Aggregate([], [], 0, 2, aggregation));
        Assert.Throws<ArgumentException>(() => LossAggregator.Aggregate([1, 2, 3], [1, 1, 1], 1, 2, aggregation));
    }
}
