using ProRL.Algorithms.Loss;

namespace ProRL.Algorithms.Tests.Loss;

public class PolicyLossTests
{
    // B = 2, T = 2; old_logp = ref_logp = −1 everywhere.
    // Row 0, A = +1: ratios 1 and 1.5.   Row 1, A = −1: ratio 0.5 at t0; t1 is masked.
    // pg:  row0 t0 = max(−1, −1) = −1; row0 t1 = max(−1.5, −1.4) = −1.4 (high clip); row1 t0 = max(0.5, 0.8) = 0.8 (low clip).
    // k3 with d = ref − logp = −ln r: exp(d) − d − 1 = 1/r + ln r − 1:
    //      r = 1 → 0;  r = 1.5 → 0.6666667 + 0.4054651 − 1 = 0.0721318;  r = 0.5 → 2 − 0.6931472 − 1 = 0.3068528.
    private static readonly double[] Ratios = [1, 1.5, 0.5, 1];
    private const double K3At15 = 2.0 / 3 + 0.40546510810816438 - 1, K3At05 = 2 - 0.69314718055994531 - 1;

    private static PolicyLossBatch Batch(float[]? weights = null, float[]? advantages = null) =>
        new(2, 2,
            Logprobs: Ratios.Select(r => (float)(-1 + Math.Log(r))).ToArray(),
            OldLogprobs: new[] { -1f, -1f, -1f, -1f },
            Advantages: advantages ?? [1f, 1f, -1f, 0f],
            ResponseMask: new[] { 1f, 1f, 1f, 0f })
        {
            RefLogprobs = new float[] { -1f, -1f, -1f, -1f },
            Entropy = new float[] { 0.5f, 0.7f, 0.9f, 123f },
            ImportanceWeights = weights,
        };

    private static PolicyLossOptions Options(LossAggregation aggregation = LossAggregation.TokenMean) =>
        new() { ClipLow = 0.2, ClipHigh = 0.4, KlCoef = 0.1, EntropyCoef = 0.01, Aggregation = aggregation };

    [Fact]
    public void Token_mean_loss_and_metrics_match_hand_values()
    {
        var result = PolicyLoss.Compute(Batch(), Options());

        // pg = (−1 − 1.4 + 0.8)/3 = −0.5333333; kl = (0 + 0.0721318 + 0.3068528)/3 = 0.1263282; entropy = 2.1/3 = 0.7.
        double pg = -1.6 / 3, kl = (K3At15 + K3At05) / 3, entropy = 0.7;
        Assert.Equal(pg, result.PolicyGradientLoss, 5);
        Assert.Equal(kl, result.Kl, 5);
        Assert.Equal(entropy, result.Entropy!.Value, 5);
        // loss = −0.5333333 + 0.1·0.1263282 − 0.01·0.7 = −0.5277005.
        Assert.Equal(pg + 0.1 * kl - 0.01 * entropy, result.Loss, 5);
        Assert.Equal(-0.5277005, result.Loss, 5);
        // One of three tokens clipped low (row 1), one clipped high (row 0, t1).
        Assert.Equal(1.0 / 3, result.ClipFractionLow, 12);
        Assert.Equal(1.0 / 3, result.ClipFractionHigh, 12);
        Assert.Equal(0, result.DualClipFraction);
        // mean(old − logp) = (0 − ln 1.5 − ln 0.5)/3 = (−0.4054651 + 0.6931472)/3 = 0.0958940.
        Assert.Equal(0.0958940, result.ApproxKlToOld, 5);
        // KL share = 0.01263282 / (0.5333333 + 0.01263282).
        Assert.Equal(0.1 * kl / (-pg + 0.1 * kl), result.KlShare, 5);
        Assert.Equal(3, result.TokenCount);
        Assert.Equal(2, result.SequenceCount);
    }

    [Fact]
    public void Seq_mean_token_mean_weighs_each_sequence_equally()
    {
        var result = PolicyLoss.Compute(Batch(), Options(LossAggregation.SeqMeanTokenMean));
        // pg: row 0 (−1 − 1.4)/2 = −1.2, row 1 0.8 → −0.2.  kl: (0.0721318/2 + 0.3068528)/2.  entropy: (0.6 + 0.9)/2 = 0.75.
        Assert.Equal(-0.2, result.PolicyGradientLoss, 5);
        Assert.Equal((K3At15 / 2 + K3At05) / 2, result.Kl, 5);
        Assert.Equal(0.75, result.Entropy!.Value, 5);
        Assert.Equal(-0.2 + 0.1 * result.Kl - 0.01 * 0.75, result.Loss, 5);
        // Clip fractions stay token-means whatever the aggregation.
        Assert.Equal(1.0 / 3, result.ClipFractionHigh, 12);
    }

    [Fact]
    public void Seq_mean_token_sum_norm_divides_by_batch_times_constant_length()
    {
        var options = Options(LossAggregation.SeqMeanTokenSumNorm) with { NormalizationLength = 8 };
        var result = PolicyLoss.Compute(Batch(), options);
        // pg = −1.6 / (2·8) = −0.1.
        Assert.Equal(-0.1, result.PolicyGradientLoss, 5);
        Assert.Equal((K3At15 + K3At05) / 16, result.Kl, 5);
    }

    [Fact]
    public void Importance_weights_scale_only_the_policy_gradient_term()
    {
        var result = PolicyLoss.Compute(Batch(weights: [1f, 0.5f, 2f, 1f]), Options());
        // pg = (−1·1 − 1.4·0.5 + 0.8·2)/3 = (−1 − 0.7 + 1.6)/3 = −0.0333333; KL unchanged.
        Assert.Equal(-0.1 / 3, result.PolicyGradientLoss, 5);
        Assert.Equal((K3At15 + K3At05) / 3, result.Kl, 5);
    }

    [Fact]
    public void Positive_weights_are_equivalent_to_weighted_advantages()
    {
        // The property the ONNX loss head relies on: w·max(−A·r, −A·clip r) = max(−wA·r, −wA·clip r) for w > 0.
        float[] weights = [0.3f, 1.7f, 2f, 1f];
        var options = Options() with { DualClip = 1.2 };
        var weighted = PolicyLoss.Compute(Batch(weights: weights), options);
        var folded = PolicyLoss.Compute(Batch(advantages: ImportanceSampling.Apply([1f, 1f, -1f, 0f], weights)), options);
        Assert.Equal(folded.PolicyGradientLoss, weighted.PolicyGradientLoss, 6);
        Assert.Equal(folded.ClipFractionHigh, weighted.ClipFractionHigh);
    }

    [Fact]
    public void Dual_clip_bounds_the_loss_of_negative_advantages_with_large_ratios()
    {
        // One token, A = −1, r = 4: max(4, 1.4) = 4; with c = 3 → 3.
        var batch = new PolicyLossBatch(1, 1, new[] { (float)Math.Log(4) }, new[] { 0f }, new[] { -1f }, new[] { 1f });
        var options = new PolicyLossOptions { KlEstimator = KlEstimator.None, DualClip = 3 };
        var result = PolicyLoss.Compute(batch, options);
        Assert.Equal(3, result.PolicyGradientLoss, 5);
        Assert.Equal(1, result.DualClipFraction);
        Assert.Equal(0, result.ClipFractionLow);
        Assert.Equal(4, PolicyLoss.Compute(batch, options with { DualClip = null }).PolicyGradientLoss, 5);
        Assert.Null(result.Entropy);
        Assert.Equal(0, result.Kl);
    }

    [Fact]
    public void Bad_batches_throw_argument_exceptions_naming_the_problem()
    {
        var options = Options();
        var allMasked = Batch() with { ResponseMask = new float[4] };
        Assert.Contains("masked", Assert.Throws<ArgumentException>(() => PolicyLoss.Compute(allMasked, options)).Message);
        var empty = new PolicyLossBatch(0, 2, Array.Empty<float>(), Array.Empty<float>(), Array.Empty<float>(), Array.Empty<float>());
        Assert.Throws<ArgumentException>(() => PolicyLoss.Compute(empty, options));
        var shortAdvantages = Batch() with { Advantages = new float[3] };
        Assert.Contains("Advantages", Assert.Throws<ArgumentException>(() => PolicyLoss.Compute(shortAdvantages, options)).Message);
        var nanLogprob = Batch() with { Logprobs = new[] { -1f, float.NaN, -1f, -1f } };
        Assert.Contains("Logprobs[1]", Assert.Throws<ArgumentException>(() => PolicyLoss.Compute(nanLogprob, options)).Message);
        var fractionalMask = Batch() with { ResponseMask = new[] { 1f, 0.5f, 1f, 0f } };
        Assert.Throws<ArgumentException>(() => PolicyLoss.Compute(fractionalMask, options));
        var noReference = Batch() with { RefLogprobs = default };
        Assert.Contains("RefLogprobs", Assert.Throws<ArgumentException>(() => PolicyLoss.Compute(noReference, options)).Message);
        var noEntropy = Batch() with { Entropy = default };
        Assert.Contains("Entropy", Assert.Throws<ArgumentException>(() => PolicyLoss.Compute(noEntropy, options)).Message);
        Assert.Contains("DualClip", Assert.Throws<ArgumentException>(() => PolicyLoss.Compute(Batch(), options with { DualClip = 0.9 })).Message);
    }

    [Fact]
    public void Kl_share_is_the_kl_fraction_of_the_absolute_terms()
    {
        Assert.Equal(0.25, PolicyLoss.KlShare(-0.3, 0.1), 12);
        Assert.Equal(0, PolicyLoss.KlShare(0, 0));
    }
}
