using ProRL.Algorithms.Loss;
using ProRL.Onnx.Graph;

namespace ProRL.Training.Heads;

/// <summary>
/// ProRL's policy loss as graph nodes on the eval head's per-token log-probabilities and entropies ([B, T−1]), the same
/// formulas as ProRL.Algorithms' <c>PolicyLoss</c> (m the response mask, A the advantages):
/// <list type="bullet">
/// <item>ratio = exp(logp − old_logp); pg = max(−A·ratio, −A·clip(ratio, 1 − clip_low, 1 + clip_high)); with dual clip and
/// A &lt; 0: pg = min(pg, −A·c).</item>
/// <item>kl per the build-time estimator (k1 = logp − ref, k2 = ½(logp − ref)², k3 = exp(ref − logp) − (ref − logp) − 1
/// clamped to [−10, 10]).</item>
/// <item>loss = loss_scale · (agg(pg) + kl_coef·agg(kl) − entropy_coef·agg(entropy)), agg the build-time aggregation.
/// loss_scale lets micro-batches add up to the mini-batch's loss (e.g. micro tokens / mini-batch tokens for token-mean).</item>
/// </list>
/// Log-ratios are zeroed at masked-out positions before exponentiation so that padding can never produce inf (or NaN
/// gradients). Metrics (not scaled): pg_loss, kl, entropy_mean (aggregated like the loss), clip_fraction_low/high and
/// dual_clip_fraction (token-means of the tokens whose gradient the clip removes), approx_kl_to_old (token-mean of
/// old_logp − logp).
/// </summary>
public static class PolicyLossHead
{
    public const string ResponseMask = "response_mask", OldLogprobs = "old_logprobs", RefLogprobs = "ref_logprobs", Advantages = "advantages";
    public const string ClipLow = "clip_low", ClipHigh = "clip_high", DualClipBound = "dual_clip", KlCoef = "kl_coef", EntropyCoef = "entropy_coef", LossScale = "loss_scale";
    public const string Loss = "loss", PolicyGradientLoss = "pg_loss", Kl = "kl", EntropyMean = "entropy_mean";
    public const string ClipFractionLow = "clip_fraction_low", ClipFractionHigh = "clip_fraction_high", DualClipFraction = "dual_clip_fraction";
    public const string ApproxKlToOld = "approx_kl_to_old";

    /// <summary>The runtime scalar inputs the head adds, for the given options (in a stable order).</summary>
    public static IReadOnlyList<string> ScalarInputs(PolicyLossHeadOptions options)
    {
        var names = new List<string> { ClipLow, ClipHigh };
        if (options.DualClip) names.Add(DualClipBound);
        names.Add(KlCoef);
        if (options.EntropyInLoss) names.Add(EntropyCoef);
        names.Add(LossScale);
        return names;
    }

    /// <summary>Adds the head's inputs, nodes and outputs (loss first, then the metrics); returns the output names.</summary>
    public static IReadOnlyList<string> Append(HeadGraph h, EvalHeadValues eval, PolicyLossHeadOptions options)
    {
        options.Validate();
        var shape = EvalHead.TokenShape;
        var mask = h.Input(ResponseMask, shape);
        var counted = h.Greater(mask, h.Const("zero", 0));
        var zero = h.Const("zero", 0);
        // Like the CPU loss, masked-out positions are never read: whatever the caller left there (NaN included) becomes 0.
        var oldLogp = h.Where(counted, h.Input(OldLogprobs, shape), zero);
        var refLogp = h.Where(counted, h.Input(RefLogprobs, shape), zero);
        var advantages = h.Where(counted, h.Input(Advantages, shape), zero);
        var scalars = ScalarInputs(options).ToDictionary(n => n, n => h.Input(n));
        var logp = eval.Logprobs;

        var ratio = h.Exp(h.Where(counted, h.Sub(logp, oldLogp), zero));
        var negA = h.Neg(advantages);
        var low = h.Sub(h.Const("one", 1), scalars[ClipLow]);
        var high = h.Add(h.Const("one", 1), scalars[ClipHigh]);
        var clippedRatio = h.Max(h.Min(ratio, high), low);
        var pg = h.Max(h.Mul(negA, ratio), h.Mul(negA, clippedRatio));
        var negativeA = h.Less(advantages, zero);
        if (options.DualClip)
            pg = h.Where(negativeA, h.Min(pg, h.Mul(negA, scalars[DualClipBound])), pg);

        var agg = new MaskedAggregator(h, mask, options.Aggregation, options.NormalizationLength);
        var pgLoss = agg.Aggregate(pg);
        var total = pgLoss;
        string kl;
        if (options.KlEstimator == KlEstimator.None) kl = h.Op("Identity", zero);
        else
        {
            var d = h.Where(counted, h.Sub(refLogp, logp), zero);
            kl = agg.Aggregate(KlPerToken(h, d, options.KlEstimator));
            total = h.Add(total, h.Mul(scalars[KlCoef], kl));
        }
        var entropy = agg.Aggregate(eval.Entropy);
        if (options.EntropyInLoss) total = h.Sub(total, h.Mul(scalars[EntropyCoef], entropy));
        var loss = h.Mul(total, scalars[LossScale]);

        var outputs = new List<string>
        {
            h.Output(loss, Loss),
            h.Output(pgLoss, PolicyGradientLoss),
            h.Output(kl, Kl),
            h.Output(entropy, EntropyMean),
            h.Output(agg.TokenMean(Indicator(h, h.And(negativeA, h.Less(ratio, low)))), ClipFractionLow),
            h.Output(agg.TokenMean(Indicator(h, h.And(h.Greater(advantages, zero), h.Greater(ratio, high)))), ClipFractionHigh),
        };
        if (options.DualClip)
            outputs.Add(h.Output(agg.TokenMean(Indicator(h, h.And(negativeA, h.Greater(ratio, scalars[DualClipBound])))), DualClipFraction));
        outputs.Add(h.Output(agg.TokenMean(h.Sub(oldLogp, logp)), ApproxKlToOld));
        return outputs;
    }

    /// <summary>The per-token KL estimate from d = ref_logp − logp.</summary>
    private static string KlPerToken(HeadGraph h, string d, KlEstimator estimator) => estimator switch
    {
        KlEstimator.K1 => h.Neg(d),
        KlEstimator.K2 => h.Mul(h.Mul(d, d), h.Const("half", 0.5)),
        // The k3 value itself is clamped (the lower bound never binds: exp(d) − d − 1 ≥ 0).
        KlEstimator.K3 => h.Max(h.Min(h.Sub(h.Sub(h.Exp(d), d), h.Const("one", 1)), h.Const("k3_max", 10)), h.Const("k3_min", -10)),
        _ => throw new ArgumentOutOfRangeException(nameof(estimator), estimator, "No per-token KL for this estimator."),
    };

    private static string Indicator(HeadGraph h, string condition) => h.ToElementType(condition);
}
