using ProRL.Algorithms.Loss;

namespace ProRL.Algorithms.Tests.Loss;

public class ImportanceSamplingTests
{
    [Fact]
    public void Weights_are_the_probability_ratio_truncated_at_the_cap()
    {
        // trainer − rollout = [0, ln 3, −ln 2, (masked)] → raw [1, 3, 0.5] → w = [1, min(3, 2) = 2, 0.5, 0].
        float[] trainer = [-1f, -1f, -1f, -5f];
        float[] rollout = [-1f, (float)(-1 - Math.Log(3)), (float)(-1 + Math.Log(2)), 0f];
        var result = ImportanceSampling.Truncated(trainer, rollout, [1f, 1f, 1f, 0f], cap: 2);
        Assert.Equal(1, result.Weights[0], 5);
        Assert.Equal(2, result.Weights[1], 5);
        Assert.Equal(0.5, result.Weights[2], 5);
        Assert.Equal(0, result.Weights[3]);
        Assert.Equal(3.5 / 3, result.MeanWeight, 5);
        Assert.Equal(1.0 / 3, result.TruncatedFraction, 12);
        // (0 + ln 3 − ln 2)/3 = 0.1351550.
        Assert.Equal((Math.Log(3) - Math.Log(2)) / 3, result.MeanLogDifference, 5);
    }

    [Fact]
    public void Apply_multiplies_advantages_by_weights()
    {
        Assert.Equal([0.5f, -4f], ImportanceSampling.Apply([1f, -2f], [0.5f, 2f]));
    }

    [Fact]
    public void Bad_input_throws()
    {
        Assert.Throws<ArgumentException>(() => ImportanceSampling.Truncated([1f], [1f], [0f]));
        Assert.Throws<ArgumentException>(() => ImportanceSampling.Truncated([1f, 2f], [1f], [1f, 1f]));
        Assert.Throws<ArgumentOutOfRangeException>(() => ImportanceSampling.Truncated([1f], [1f], [1f], cap: 0));
        Assert.Throws<ArgumentException>(() => ImportanceSampling.Apply([1f], [1f, 2f]));
    }
}
