using ProRL.Algorithms.Evaluation;

namespace ProRL.Algorithms.Tests.Evaluation;

public class BootstrapIntervalTests
{
    [Theory]
    // Positions q·(n − 1) over [1, 2, 3, 4]: 0.5 → 1.5 → 2.5; 1/3 → 1 → 2; 0.1 → 0.3 → 1.3.
    [InlineData(0.0, 1.0)]
    [InlineData(0.5, 2.5)]
    [InlineData(1.0 / 3, 2.0)]
    [InlineData(0.1, 1.3)]
    [InlineData(1.0, 4.0)]
    public void Quantile_interpolates_linearly(double q, double expected)
    {
        Assert.Equal(expected, BootstrapInterval.Quantile([1, 2, 3, 4], q), 12);
    }

    [Fact]
    public void Constant_values_give_a_zero_width_interval()
    {
        var ci = BootstrapInterval.OfMean([0.5, 0.5, 0.5], resamples: 200);
        Assert.Equal(new ConfidenceInterval(0.5, 0.5, 0.5, 0.95), ci);
    }

    [Fact]
    public void Interval_is_seeded_and_covers_the_normal_approximation()
    {
        // 100 problems, half solved: mean 0.5, standard error 0.05, so the 95 % interval is about 0.5 ± 0.098.
        double[] values = Enumerable.Range(0, 100).Select(i => i % 2 == 0 ? 1.0 : 0.0).ToArray();
        var first = BootstrapInterval.OfMean(values, resamples: 2000, seed: 7);
        var again = BootstrapInterval.OfMean(values, resamples: 2000, seed: 7);
        var other = BootstrapInterval.OfMean(values, resamples: 2000, seed: 8);
        Assert.Equal(first, again);
        Assert.NotEqual(first, other);
        Assert.Equal(0.5, first.Estimate);
        Assert.InRange(first.Lower, 0.38, 0.43);
        Assert.InRange(first.Upper, 0.57, 0.62);
    }

    [Fact]
    public void Pass_at_k_interval_is_centred_on_the_mean_pass_at_k()
    {
        ProblemSamples[] problems = [new(8, 1), new(8, 0), new(8, 8), new(8, 3)];
        var ci = BootstrapInterval.OfPassAtK(problems, 4, resamples: 500, seed: 1);
        Assert.Equal(PassAtK.Mean(problems, 4), ci.Estimate, 12);
        Assert.True(ci.Lower <= ci.Estimate && ci.Estimate <= ci.Upper);
        Assert.InRange(ci.Lower, 0, 1);
        Assert.InRange(ci.Upper, 0, 1);
    }

    [Fact]
    public void Bad_input_throws()
    {
        Assert.Throws<ArgumentException>(() => BootstrapInterval.OfMean([]));
        Assert.Throws<ArgumentOutOfRangeException>(() => BootstrapInterval.OfMean([1.0], level: 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => BootstrapInterval.OfMean([1.0], resamples: 0));
        Assert.Throws<ArgumentException>(() => BootstrapInterval.OfMean([double.NaN]));
    }
}
