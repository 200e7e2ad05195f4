using ProRL.Algorithms.Loss;
using ProRL.Training.Heads;
using Cpu = ProRL.Algorithms.Loss;

namespace ProRL.Training.Tests.Heads;

public class PolicyLossHeadTests
{
    private static readonly PolicyLossHeadOptions PgOnly = new() { KlEstimator = KlEstimator.None, EntropyInLoss = false };

    [Fact]
    public void Clipped_tokens_carry_no_gradient_and_unclipped_ones_carry_minus_A_times_ratio()
    {
        // Token 0: ratio 1.1 (inside [0.8, 1.4]); token 1: ratio 1.6 with A > 0 (clipped high); token 2: ratio 0.5 with
        // A < 0 (clipped low); token 3 is masked out.
        float[] old = [-1f, -2f, -0.5f, -3f];
        var c = new LossHeadHarness
        {
            Rows = 1, Tokens = 4,
            OldLogp = old,
            Logp = [old[0] + MathF.Log(1.1f), old[1] + MathF.Log(1.6f), old[2] + MathF.Log(0.5f), -7f],
            RefLogp = new float[4], Entropy = new float[4],
            Advantages = [1f, 1f, -2f, 5f],
            Mask = [1f, 1f, 1f, 0f],
        };
        var r = c.Run(PgOnly);
        // pg = (−1.1 − 1.4 + 2·0.8) / 3 tokens.
        Assert.Equal(-0.3f, r.Scalars[PolicyLossHead.Loss], 5);
        Assert.Equal(-0.3f, r.Scalars[PolicyLossHead.PolicyGradientLoss], 5);
        Assert.Equal(-1.1f / 3, r.LogpGradient[0], 5);
        Assert.Equal(0f, r.LogpGradient[1], 6);
        Assert.Equal(0f, r.LogpGradient[2], 6);
        Assert.Equal(0f, r.LogpGradient[3], 6);
        Assert.Equal(1f / 3, r.Scalars[PolicyLossHead.ClipFractionHigh], 5);
        Assert.Equal(1f / 3, r.Scalars[PolicyLossHead.ClipFractionLow], 5);
        Assert.Equal(0f, r.Scalars[PolicyLossHead.Kl]);
    }

    [Fact]
    public void Dual_clip_caps_the_loss_of_negative_advantages_at_minus_A_times_c()
    {
        var c = new LossHeadHarness
        {
            Rows = 1, Tokens = 2,
            OldLogp = [0f, 0f], Logp = [MathF.Log(3.5f), MathF.Log(2f)],
            RefLogp = new float[2], Entropy = new float[2],
            Advantages = [-1f, -1f], Mask = [1f, 1f], DualClip = 3f,
        };
        var r = c.Run(PgOnly with { DualClip = true });
        // Token 0: max(3.5, 1.4) = 3.5 capped at 3 (no gradient); token 1: max(2, 1.4) = 2 with gradient −A·ratio = 2.
        Assert.Equal((3f + 2f) / 2, r.Scalars[PolicyLossHead.Loss], 5);
        Assert.Equal(0f, r.LogpGradient[0], 6);
        Assert.Equal(2f / 2, r.LogpGradient[1], 5);
        Assert.Equal(0.5f, r.Scalars[PolicyLossHead.DualClipFraction], 6);
    }

    [Fact]
    public void K3_is_clamped_at_ten_and_then_has_no_gradient()
    {
        // d = ref − logp = 5: exp(5) − 6 ≈ 142 → 10.  d = 0.5: exp(0.5) − 1.5, gradient 1 − exp(0.5).
        var c = new LossHeadHarness
        {
            Rows = 1, Tokens = 2,
            Logp = [-6f, -1f], OldLogp = [-6f, -1f], RefLogp = [-1f, -0.5f],
            Entropy = new float[2], Advantages = new float[2], Mask = [1f, 1f], KlCoef = 1f,
        };
        var r = c.Run(new PolicyLossHeadOptions { KlEstimator = KlEstimator.K3, EntropyInLoss = false });
        double k3 = Math.Exp(0.5) - 1.5;
        Assert.Equal((10 + k3) / 2, r.Scalars[PolicyLossHead.Kl], 5);
        Assert.Equal((10 + k3) / 2, r.Scalars[PolicyLossHead.Loss], 5);
        Assert.Equal(0f, r.LogpGradient[0], 6);
        Assert.Equal((1 - Math.Exp(0.5)) / 2, r.LogpGradient[1], 5);
    }

    [Fact]
    public void Extreme_values_at_masked_positions_never_reach_the_loss_or_its_gradient()
    {
        var c = new LossHeadHarness
        {
            Rows = 1, Tokens = 3,
            Logp = [-0.5f, -1000f, -0.2f], OldLogp = [-0.4f, float.NaN, -0.3f], RefLogp = [-0.5f, float.PositiveInfinity, -0.1f],
            Entropy = [1f, 50f, 2f], Advantages = [1f, float.NaN, -1f], Mask = [1f, 0f, 1f],
        };
        var options = new PolicyLossHeadOptions { KlEstimator = KlEstimator.K3 };
        var r = c.Run(options);
        var (loss, dLogp, dEntropy) = HandLoss.Compute(c, options);
        Assert.Equal(loss, r.Scalars[PolicyLossHead.Loss], 5);
        for (int i = 0; i < 3; i++)
        {
            Assert.True(float.IsFinite(r.LogpGradient[i]) && float.IsFinite(r.EntropyGradient[i]), $"gradient {i} is not finite");
            Assert.Equal(dLogp[i], r.LogpGradient[i], 5);
            Assert.Equal(dEntropy[i], r.EntropyGradient[i], 6);
        }
    }

    public static TheoryData<KlEstimator, LossAggregation, bool> Combinations()
    {
        var data = new TheoryData<KlEstimator, LossAggregation, bool>();
        foreach (var kl in Enum.GetValues<KlEstimator>())
            foreach (var agg in Enum.GetValues<LossAggregation>())
                data.Add(kl, agg, kl == KlEstimator.K3 && agg == LossAggregation.TokenMean);
        return data;
    }

    [Theory]
    [MemberData(nameof(Combinations))]
    public void Loss_metrics_and_gradients_match_the_hand_derivation_and_the_CPU_policy_loss(KlEstimator kl, LossAggregation aggregation, bool dualClip)
    {
        var c = RandomCase(seed: 7 + (int)kl * 3 + (int)aggregation);
        var options = new PolicyLossHeadOptions { KlEstimator = kl, Aggregation = aggregation, DualClip = dualClip };
        var r = c.Run(options);

        var (loss, dLogp, dEntropy) = HandLoss.Compute(c, options);
        Assert.Equal(loss, r.Scalars[PolicyLossHead.Loss], 4);
        for (int i = 0; i < dLogp.Length; i++)
        {
            Assert.True(Math.Abs(dLogp[i] - r.LogpGradient[i]) <= 1e-5 + 1e-4 * Math.Abs(dLogp[i]), $"∂loss/∂logp[{i}]: hand {dLogp[i]}, graph {r.LogpGradient[i]}");
            Assert.True(Math.Abs(dEntropy[i] - r.EntropyGradient[i]) <= 1e-6, $"∂loss/∂entropy[{i}]: hand {dEntropy[i]}, graph {r.EntropyGradient[i]}");
        }

        var cpu = Cpu.PolicyLoss.Compute(
            new Cpu.PolicyLossBatch(c.Rows, c.Tokens, c.Logp, c.OldLogp, c.Advantages, c.Mask) { RefLogprobs = c.RefLogp, Entropy = c.Entropy },
            new Cpu.PolicyLossOptions
            {
                ClipLow = c.ClipLow, ClipHigh = c.ClipHigh, DualClip = dualClip ? c.DualClip : null,
                Aggregation = aggregation, KlEstimator = kl,
                KlCoef = c.KlCoef, EntropyCoef = c.EntropyCoef,
            });
        Assert.Equal(cpu.Loss, r.Scalars[PolicyLossHead.Loss], 4);
        Assert.Equal(cpu.PolicyGradientLoss, r.Scalars[PolicyLossHead.PolicyGradientLoss], 4);
        Assert.Equal(cpu.Kl, r.Scalars[PolicyLossHead.Kl], 4);
        Assert.Equal(cpu.Entropy!.Value, r.Scalars[PolicyLossHead.EntropyMean], 4);
        Assert.Equal(cpu.ClipFractionLow, r.Scalars[PolicyLossHead.ClipFractionLow], 5);
        Assert.Equal(cpu.ClipFractionHigh, r.Scalars[PolicyLossHead.ClipFractionHigh], 5);
        Assert.Equal(cpu.ApproxKlToOld, r.Scalars[PolicyLossHead.ApproxKlToOld], 5);
        if (dualClip) Assert.Equal(cpu.DualClipFraction, r.Scalars[PolicyLossHead.DualClipFraction], 5);
    }

    [Fact]
    public void Loss_scale_scales_loss_and_gradient_but_not_the_metrics()
    {
        var c = RandomCase(seed: 3);
        var scaled = new LossHeadHarness
        {
            Rows = c.Rows, Tokens = c.Tokens, Logp = c.Logp, OldLogp = c.OldLogp, RefLogp = c.RefLogp, Advantages = c.Advantages,
            Mask = c.Mask, Entropy = c.Entropy, LossScale = 0.25f,
        };
        var options = new PolicyLossHeadOptions();
        var a = c.Run(options);
        var b = scaled.Run(options);
        Assert.Equal(a.Scalars[PolicyLossHead.Loss] * 0.25f, b.Scalars[PolicyLossHead.Loss], 6);
        Assert.Equal(a.Scalars[PolicyLossHead.PolicyGradientLoss], b.Scalars[PolicyLossHead.PolicyGradientLoss], 6);
        for (int i = 0; i < a.LogpGradient.Length; i++) Assert.Equal(a.LogpGradient[i] * 0.25f, b.LogpGradient[i], 6);
    }

    [Fact]
    public void Sum_norm_with_a_fixed_length_divides_by_rows_times_that_length()
    {
        var c = RandomCase(seed: 11);
        var options = new PolicyLossHeadOptions { Aggregation = LossAggregation.SeqMeanTokenSumNorm, NormalizationLength = 64 };
        var r = c.Run(options);
        Assert.Equal(HandLoss.Compute(c, options).Loss, r.Scalars[PolicyLossHead.Loss], 5);
    }

    /// <summary>3 rows × 5 tokens, the last row fully masked; ratios spread over and beyond the clip range.</summary>
    private static LossHeadHarness RandomCase(int seed)
    {
        var rng = new Random(seed);
        const int rows = 3, tokens = 5, n = rows * tokens;
        float U(double lo, double hi) => (float)(lo + (hi - lo) * rng.NextDouble());
        var old = new float[n];
        var logp = new float[n];
        var reference = new float[n];
        var adv = new float[n];
        var mask = new float[n];
        var entropy = new float[n];
        for (int i = 0; i < n; i++)
        {
            old[i] = U(-3, -0.1);
            logp[i] = old[i] + U(-0.7, 1.3);
            reference[i] = logp[i] + U(-1.5, 3.2);
            adv[i] = U(-1.5, 1.5);
            entropy[i] = U(0.1, 3);
            mask[i] = i >= 2 * tokens ? 0 : (rng.NextDouble() < 0.8 || i % tokens == 0 ? 1 : 0);
        }
        return new LossHeadHarness
        {
            Rows = rows, Tokens = tokens, Logp = logp, OldLogp = old, RefLogp = reference, Advantages = adv, Mask = mask, Entropy = entropy,
        };
    }
}
