using ProRL.Algorithms.Loss;

namespace ProRL.Algorithms.Tests.Loss;

public class ClippedSurrogateAndKlTests
{
    private const double Low = 0.2, High = 0.4;

    [Theory]
    // r = 1, A = 2: max(−2·1, −2·1) = −2.
    [InlineData(1.0, 2.0, null, -2.0)]
    // r = 1.5 > 1.4, A = 1: max(−1.5, −1.4) = −1.4 (clipped high).
    [InlineData(1.5, 1.0, null, -1.4)]
    // r = 0.5, A = 1: clip → 0.8; max(−0.5, −0.8) = −0.5 (the low clip never binds for A > 0).
    [InlineData(0.5, 1.0, null, -0.5)]
    // r = 0.5, A = −1: max(0.5, 0.8) = 0.8 (clipped low).
    [InlineData(0.5, -1.0, null, 0.8)]
    // r = 1.5, A = −1: max(1.5, 1.4) = 1.5; dual-clip min(1.5, 3) = 1.5.
    [InlineData(1.5, -1.0, 3.0, 1.5)]
    // r = 4, A = −1: max(4, 1.4) = 4 without dual-clip ...
    [InlineData(4.0, -1.0, null, 4.0)]
    // ... and min(4, −(−1)·3) = 3 with c = 3.
    [InlineData(4.0, -1.0, 3.0, 3.0)]
    // r = 4, A = 1, c = 3: dual-clip ignores A > 0: max(−4, −1.4) = −1.4.
    [InlineData(4.0, 1.0, 3.0, -1.4)]
    // r = 4, A = −0.5, c = 3: max(2, 0.7) = 2; min(2, 1.5) = 1.5.
    [InlineData(4.0, -0.5, 3.0, 1.5)]
    public void Clipped_surrogate_matches_hand_values(double ratio, double advantage, double? dualClip, double expected)
    {
        double oldLogprob = -1.3;
        double logprob = oldLogprob + Math.Log(ratio);
        Assert.Equal(expected, PolicyLoss.ClippedSurrogate(logprob, oldLogprob, advantage, Low, High, dualClip), 12);
    }

    [Theory]
    // logp = −1, ref = −2: d = ref − logp = −1. k1 = 1; k2 = 0.5; k3 = e^−1 + 1 − 1 = 0.3678794.
    [InlineData(-1.0, -2.0, KlEstimator.K1, 1.0)]
    [InlineData(-1.0, -2.0, KlEstimator.K2, 0.5)]
    [InlineData(-1.0, -2.0, KlEstimator.K3, 0.36787944117144233)]
    // logp = −2, ref = −1: d = 1. k1 = −1; k2 = 0.5; k3 = e − 1 − 1 = 0.7182818.
    [InlineData(-2.0, -1.0, KlEstimator.K1, -1.0)]
    [InlineData(-2.0, -1.0, KlEstimator.K2, 0.5)]
    [InlineData(-2.0, -1.0, KlEstimator.K3, 0.71828182845904509)]
    // d = 5: e^5 − 6 = 142.41 → clamped to 10; d = 800 overflows exp to +∞ → still 10, never NaN.
    [InlineData(-6.0, -1.0, KlEstimator.K3, 10.0)]
    [InlineData(-801.0, -1.0, KlEstimator.K3, 10.0)]
    // k1/k2 are not clamped: d = 5 → k1 = −5, k2 = 12.5.
    [InlineData(-6.0, -1.0, KlEstimator.K1, -5.0)]
    [InlineData(-6.0, -1.0, KlEstimator.K2, 12.5)]
    [InlineData(-6.0, -1.0, KlEstimator.None, 0.0)]
    public void Kl_estimators_match_hand_values(double logprob, double refLogprob, KlEstimator estimator, double expected)
    {
        Assert.Equal(expected, KlPenalty.Estimate(logprob, refLogprob, estimator), 12);
    }

    [Fact]
    public void K3_is_zero_when_policies_agree_and_never_negative()
    {
        Assert.Equal(0, KlPenalty.Estimate(-0.7, -0.7, KlEstimator.K3));
        for (double d = -30; d <= 30; d += 0.25)
            Assert.InRange(KlPenalty.Estimate(-1, -1 + d, KlEstimator.K3), 0, 10);
    }
}
