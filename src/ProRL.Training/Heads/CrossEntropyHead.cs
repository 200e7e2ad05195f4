using ProRL.Algorithms.Loss;
namespace ProRL.Training.Heads;

/// <summary>
/// Supervised (SFT) head: loss = loss_scale · (−Σ m·logp / max(Σ m, 1)), the mean negative log-likelihood of the target
/// tokens selected by <c>target_mask</c> [B, T−1] (logp from the eval head; bind temperature 1 for plain NLL).
/// </summary>
public static class CrossEntropyHead
{
    public const string TargetMask = "target_mask", LossScale = PolicyLossHead.LossScale, Loss = PolicyLossHead.Loss;

    /// <summary>Adds the inputs <c>target_mask</c> and <c>loss_scale</c> and the output <c>loss</c>; returns the output names.</summary>
    public static IReadOnlyList<string> Append(HeadGraph h, EvalHeadValues eval)
    {
        var mask = h.Input(TargetMask, EvalHead.TokenShape);
        var scale = h.Input(LossScale);
        var meanLogp = new MaskedAggregator(h, mask, LossAggregation.TokenMean).TokenMean(eval.Logprobs);
        return [h.Output(h.Mul(h.Neg(meanLogp), scale), Loss)];
    }
}
