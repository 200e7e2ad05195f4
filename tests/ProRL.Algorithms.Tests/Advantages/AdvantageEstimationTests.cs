using ProRL.Algorithms.Advantages;

namespace ProRL.Algorithms.Tests.Advantages;

public class AdvantageEstimationTests
{
    private static AdvantageOptions Options(AdvantageEstimator estimator, bool unbiased = true) =>
        new() { Estimator = estimator, UnbiasedStd = unbiased };

    [Fact]
    public void Grpo_normalises_by_the_unbiased_group_std_plus_epsilon()
    {
        // Group [1, 0, 1, 0]: mean 0.5; squares 4·0.25 = 1; unbiased var 1/3; std = 0.5773503.
        // A = ±0.5 / (0.5773503 + 1e-6) = ±0.8660239.
        var a = AdvantageEstimation.Compute([1, 0, 1, 0], 4, Options(AdvantageEstimator.Grpo));
        double expected = 0.5 / (Math.Sqrt(1.0 / 3) + 1e-6);
        Assert.Equal([expected, -expected, expected, -expected], a);
        Assert.Equal(0.8660239, a[0], 6);
    }

    [Fact]
    public void Grpo_with_population_std_divides_by_n()
    {
        // Group [1, 0, 1, 0]: population std = sqrt(1/4) = 0.5, so A = ±0.5 / 0.500001 ≈ ±0.999998.
        var a = AdvantageEstimation.Compute([1, 0, 1, 0], 4, Options(AdvantageEstimator.Grpo, unbiased: false));
        Assert.Equal(0.5 / 0.500001, a[0], 12);
        Assert.Equal(-0.5 / 0.500001, a[1], 12);
    }

    [Theory]
    [InlineData(AdvantageEstimator.Grpo)]
    [InlineData(AdvantageEstimator.DrGrpo)]
    [InlineData(AdvantageEstimator.Rloo)]
    [InlineData(AdvantageEstimator.ReinforcePlusPlusBaseline)]
    public void Identical_rewards_give_zero_advantage_not_nan(AdvantageEstimator estimator)
    {
        // Two groups of equal rewards (0.1 three times is the case where a naive mean leaves a rounding residue).
        var a = AdvantageEstimation.Compute([0.1, 0.1, 0.1, 1, 1, 1], 3, Options(estimator));
        Assert.All(a, v => Assert.Equal(0, v));
    }

    [Theory]
    [InlineData(AdvantageEstimator.Grpo)]
    [InlineData(AdvantageEstimator.DrGrpo)]
    [InlineData(AdvantageEstimator.Rloo)]
    [InlineData(AdvantageEstimator.ReinforcePlusPlusBaseline)]
    public void Groups_of_one_response_get_zero_advantage(AdvantageEstimator estimator)
    {
        var a = AdvantageEstimation.Compute([1, 0, 0.5], 1, Options(estimator));
        Assert.Equal([0, 0, 0], a);
    }

    [Fact]
    public void DrGrpo_subtracts_the_group_mean_only()
    {
        // [1, 0, 0, 0]: mean 0.25 → [0.75, −0.25, −0.25, −0.25]; [2, 4]: mean 3 → [−1, 1].
        var a = AdvantageEstimation.Compute([1, 0, 0, 0, 2, 4], [0, 0, 0, 0, 1, 1], Options(AdvantageEstimator.DrGrpo));
        Assert.Equal([0.75, -0.25, -0.25, -0.25, -1, 1], a);
    }

    [Fact]
    public void Rloo_uses_the_mean_of_the_other_responses()
    {
        // [1, 0, 0, 0]: A0 = 1 − (0+0+0)/3 = 1; A1 = 0 − (1+0+0)/3 = −1/3.
        var a = AdvantageEstimation.Compute([1, 0, 0, 0], 4, Options(AdvantageEstimator.Rloo));
        Assert.Equal(1, a[0], 12);
        Assert.All(a[1..], v => Assert.Equal(-1.0 / 3, v, 12));
    }

    [Fact]
    public void ReinforcePlusPlus_centres_by_group_then_normalises_over_the_batch()
    {
        // Groups of 2: [1, 0] mean 0.5; [0.5, 0.5] mean 0.5; [1, 0.5] mean 0.75.
        // Centred: [0.5, −0.5, 0, 0, 0.25, −0.25]; batch mean 0; squares 0.25+0.25+0.0625+0.0625 = 0.625;
        // unbiased var 0.625/5 = 0.125; std 0.3535534. A = centred / (0.3535534 + 1e-6).
        var a = AdvantageEstimation.Compute([1, 0, 0.5, 0.5, 1, 0.5], 2, Options(AdvantageEstimator.ReinforcePlusPlusBaseline));
        double std = Math.Sqrt(0.125) + 1e-6;
        Assert.Equal([0.5 / std, -0.5 / std, 0, 0, 0.25 / std, -0.25 / std], a);
        Assert.Equal(1.4142096, a[0], 6);
    }

    [Fact]
    public void Group_ids_need_not_be_contiguous()
    {
        // ids [7, 3, 7, 3]: group 7 = rewards {1, 0} → ±0.5; group 3 = {0, 0} → 0.
        var a = AdvantageEstimation.Compute([1, 0, 0, 0], [7, 3, 7, 3], Options(AdvantageEstimator.DrGrpo));
        Assert.Equal([0.5, 0, -0.5, 0], a);
    }

    [Fact]
    public void Broadcast_puts_the_sequence_advantage_on_unmasked_tokens()
    {
        var perToken = AdvantageEstimation.BroadcastToTokens([2, -1], [1, 1, 0, 0, 1, 1], tokens: 3);
        Assert.Equal([2f, 2f, 0f, 0f, -1f, -1f], perToken);
    }

    [Fact]
    public void Bad_input_throws_argument_exceptions()
    {
        var options = Options(AdvantageEstimator.Grpo);
        Assert.Throws<ArgumentException>(() => AdvantageEstimation.Compute([], 1, options));
        Assert.Throws<ArgumentException>(() => AdvantageEstimation.Compute([1, 0, 1], 2, options));
        Assert.Throws<ArgumentException>(() => AdvantageEstimation.Compute([1, double.NaN], 2, options));
        Assert.Throws<ArgumentException>(() => AdvantageEstimation.Compute([1, 0], [0], options));
        Assert.Throws<ArgumentException>(() => AdvantageEstimation.BroadcastToTokens([1], [1, 0.5f], 2));
        Assert.Throws<ArgumentException>(() => AdvantageEstimation.BroadcastToTokens([], [], 2));
        var error = Assert.Throws<ArgumentException>(() =>
            AdvantageEstimation.Compute([1, 0], 2, new AdvantageOptions { StdEpsilon = 0 }));
        Assert.Contains("StdEpsilon", error.Message);
    }
}
