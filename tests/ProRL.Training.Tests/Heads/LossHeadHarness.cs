using Microsoft.ML.OnnxRuntime;
using ProRL.Algorithms.Loss;
using ProRL.Onnx.Graph;
using ProRL.Onnx.IO;
using ProRL.Onnx.Tensors;
using ProRL.Training.Autodiff;
using ProRL.Training.Heads;

namespace ProRL.Training.Tests.Heads;

/// <summary>
/// Runs the policy-loss head alone: its per-token log-probabilities and entropies are graph inputs, so the graph's
/// gradients with respect to them can be compared with hand-derived ones.
/// </summary>
internal sealed class LossHeadHarness
{
    public const string LogpInput = "logp_in", EntropyInput = "entropy_in";

    public required int Rows { get; init; }
    public required int Tokens { get; init; }
    public required float[] Logp { get; init; }
    public required float[] OldLogp { get; init; }
    public required float[] RefLogp { get; init; }
    public required float[] Advantages { get; init; }
    public required float[] Mask { get; init; }
    public required float[] Entropy { get; init; }
    public float ClipLow { get; init; } = 0.2f;
    public float ClipHigh { get; init; } = 0.4f;
    public float DualClip { get; init; } = 3f;
    public float KlCoef { get; init; } = 0.1f;
    public float EntropyCoef { get; init; } = 0.01f;
    public float LossScale { get; init; } = 1f;

    public sealed record Result(IReadOnlyDictionary<string, float> Scalars, float[] LogpGradient, float[] EntropyGradient);

    public Result Run(PolicyLossHeadOptions options)
    {
        var model = new OnnxModel(new OnnxGraph { Name = "loss_head" });
        var h = new HeadGraph(model.Graph);
        Dim[] shape = ["batch_size", "target_length"];
        h.Input(LogpInput, shape);
        h.Input(EntropyInput, shape);
        var outputs = PolicyLossHead.Append(h, new EvalHeadValues(LogpInput, EntropyInput), options);
        var grads = GradientBuilder.AddGradients(model, PolicyLossHead.Loss, [LogpInput, EntropyInput]);
        h.Output(grads[LogpInput], "d_logp", shape);
        h.Output(grads[EntropyInput], "d_entropy", shape);

        long[] dims = [Rows, Tokens];
        var inputs = new Dictionary<string, Tensor>
        {
            [LogpInput] = Tensor.FromFloats(LogpInput, dims, Logp),
            [EntropyInput] = Tensor.FromFloats(EntropyInput, dims, Entropy),
            [PolicyLossHead.OldLogprobs] = Tensor.FromFloats("o", dims, OldLogp),
            [PolicyLossHead.RefLogprobs] = Tensor.FromFloats("r", dims, RefLogp),
            [PolicyLossHead.Advantages] = Tensor.FromFloats("a", dims, Advantages),
            [PolicyLossHead.ResponseMask] = Tensor.FromFloats("m", dims, Mask),
        };
        var scalarValues = new Dictionary<string, float>
        {
            [PolicyLossHead.ClipLow] = ClipLow, [PolicyLossHead.ClipHigh] = ClipHigh, [PolicyLossHead.DualClipBound] = DualClip,
            [PolicyLossHead.KlCoef] = KlCoef, [PolicyLossHead.EntropyCoef] = EntropyCoef, [PolicyLossHead.LossScale] = LossScale,
        };
        foreach (var name in PolicyLossHead.ScalarInputs(options)) inputs[name] = Tensor.Scalar(name, scalarValues[name]);

        using var session = new InferenceSession(OnnxModelIO.ToBytes(model));
        var results = OrtTensors.Run(session, inputs, [.. outputs, "d_logp", "d_entropy"]);
        return new Result(
            outputs.ToDictionary(o => o, o => results[o].ToFloats()[0]),
            results["d_logp"].ToFloats(), results["d_entropy"].ToFloats());
    }
}

/// <summary>
/// The loss and its gradient derived by hand, token by token (an oracle independent of the graph code): per-token
/// loss l_i and derivatives ∂l_i/∂logp_i, ∂l_i/∂H_i, then aggregation weights w_i with loss = scale·Σ w_i·l_i.
/// </summary>
internal static class HandLoss
{
    public static (double Loss, double[] DLogp, double[] DEntropy) Compute(LossHeadHarness c, PolicyLossHeadOptions o)
    {
        int n = c.Rows * c.Tokens;
        var weights = Weights(c, o);
        double loss = 0;
        var dLogp = new double[n];
        var dEntropy = new double[n];
        for (int i = 0; i < n; i++)
        {
            if (c.Mask[i] == 0) continue;
            double a = c.Advantages[i], ratio = Math.Exp(c.Logp[i] - c.OldLogp[i]);
            double lo = 1 - c.ClipLow, hi = 1 + c.ClipHigh;
            double unclipped = -a * ratio, clipped = -a * Math.Clamp(ratio, lo, hi);
            // The unclipped branch carries gradient −A·ratio; the clipped branch is flat outside [lo, hi].
            double pg = Math.Max(unclipped, clipped);
            double dpg = unclipped >= clipped ? -a * ratio : 0;
            if (o.DualClip && a < 0 && -a * c.DualClip < pg) { pg = -a * c.DualClip; dpg = 0; }

            double d = c.RefLogp[i] - c.Logp[i], kl = 0, dkl = 0;
            switch (o.KlEstimator)
            {
                case KlEstimator.K1: kl = -d; dkl = 1; break;
                case KlEstimator.K2: kl = 0.5 * d * d; dkl = -d; break;
                case KlEstimator.K3:
                    kl = Math.Exp(d) - d - 1;
                    dkl = 1 - Math.Exp(d);
                    if (kl > 10) { kl = 10; dkl = 0; }
                    break;
            }
            double entropyCoef = o.EntropyInLoss ? c.EntropyCoef : 0;
            double klCoef = o.KlEstimator == KlEstimator.None ? 0 : c.KlCoef;
            double perToken = pg + klCoef * kl - entropyCoef * c.Entropy[i];
            loss += c.LossScale * weights[i] * perToken;
            dLogp[i] = c.LossScale * weights[i] * (dpg + klCoef * dkl);
            dEntropy[i] = -c.LossScale * weights[i] * entropyCoef;
        }
        return (loss, dLogp, dEntropy);
    }

    /// <summary>w_i such that agg(x) = Σ w_i x_i.</summary>
    private static double[] Weights(LossHeadHarness c, PolicyLossHeadOptions o)
    {
        var w = new double[c.Rows * c.Tokens];
        double total = c.Mask.Sum();
        int sequences = Enumerable.Range(0, c.Rows).Count(b => RowCount(c, b) > 0);
        for (int b = 0; b < c.Rows; b++)
            for (int t = 0; t < c.Tokens; t++)
            {
                int i = b * c.Tokens + t;
                w[i] = c.Mask[i] * o.Aggregation switch
                {
                    LossAggregation.TokenMean => 1 / total,
                    LossAggregation.SeqMeanTokenMean => RowCount(c, b) == 0 ? 0 : 1 / (RowCount(c, b) * sequences),
                    LossAggregation.SeqMeanTokenSumNorm => 1.0 / (c.Rows * (o.NormalizationLength ?? c.Tokens)),
                    _ => throw new ArgumentOutOfRangeException(nameof(o)),
                };
            }
        return w;
    }

    private static double RowCount(LossHeadHarness c, int row) => c.Mask.Skip(row * c.Tokens).Take(c.Tokens).Sum();
}
