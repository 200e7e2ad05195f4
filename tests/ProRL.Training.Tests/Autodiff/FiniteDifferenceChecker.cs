using Microsoft.ML.OnnxRuntime;
using ProRL.Onnx.Graph;
using ProRL.Onnx.IO;
using ProRL.Onnx.Tensors;
using ProRL.Training.Autodiff;

namespace ProRL.Training.Tests.Autodiff;

/// <summary>
/// Element-by-element central finite-difference check of the gradients <see cref="GradientBuilder"/> adds, run on
/// ONNX Runtime. Meant for float64 models (see <see cref="Float64Conversion.ToFloat64"/>); reusable for
/// whole-model checks (<see cref="MaxElementsPerTensor"/> bounds the cost on large parameters).
/// </summary>
public sealed class FiniteDifferenceChecker
{
    public double Step { get; init; } = 1e-6;
    public double AbsoluteTolerance { get; init; } = 1e-6;
    public double RelativeTolerance { get; init; } = 1e-5;
    /// <summary>Larger tensors are checked on this many randomly chosen elements.</summary>
    public int MaxElementsPerTensor { get; init; } = 48;
    public int Seed { get; init; } = 99;

    /// <summary>
    /// Builds the gradients of <paramref name="scalarLoss"/> with respect to <paramref name="wrt"/> (inputs or
    /// initializers), compares each checked element with (f(x+h) − f(x−h)) / 2h, fails the test listing the worst
    /// mismatches, and returns the analytic gradients by wrt name.
    /// </summary>
    public Dictionary<string, double[]> AssertGradients(OnnxModel model, string scalarLoss, IReadOnlyList<string> wrt,
        IReadOnlyDictionary<string, Tensor> feeds, GradientOptions? options = null)
    {
        var (work, inputs) = GradientCheck.PromoteToInputs(model, wrt, feeds);
        var backward = ProRL.Onnx.IO.OnnxModelIO.Load(OnnxModelIO.ToBytes(work), ".", "backward");
        var grads = GradientBuilder.AddGradients(backward, scalarLoss, wrt, options);
        backward = GradientCheck.WithOutputs(backward, wrt.Select(w => grads[w]));
        using var backwardSession = new InferenceSession(OnnxModelIO.ToBytes(backward));
        var analytic = OrtTensors.Run(backwardSession, inputs, wrt.Select(w => grads[w]).ToList())
            .ToDictionary(p => wrt.First(w => grads[w] == p.Key), p => OrtTensors.ToDoubles(p.Value));

        using var forwardSession = new InferenceSession(OnnxModelIO.ToBytes(GradientCheck.WithOutputs(work, [scalarLoss])));
        double Loss(Dictionary<string, Tensor> x) => OrtTensors.ToDoubles(OrtTensors.Run(forwardSession, x, [scalarLoss])[scalarLoss]).Sum();

        var random = new Random(Seed);
        var failures = new List<(double Excess, string Text)>();
        foreach (var w in wrt)
        {
            var x = inputs[w];
            var values = OrtTensors.ToDoubles(x);
            Assert.Equal(values.Length, analytic[w].Length);
            foreach (int j in ElementsToCheck(values.Length, random))
            {
                double Perturbed(double h)
                {
                    var copy = (double[])values.Clone();
                    copy[j] += h;
                    var shifted = new Dictionary<string, Tensor>(inputs) { [w] = OrtTensors.FromDoubles(w, x.DataType, x.Dims, copy) };
                    return Loss(shifted);
                }
                double numeric = (Perturbed(Step) - Perturbed(-Step)) / (2 * Step);
                double error = Math.Abs(numeric - analytic[w][j]);
                double allowed = AbsoluteTolerance + RelativeTolerance * Math.Abs(numeric);
                if (!(error <= allowed))
                    failures.Add((error / allowed, $"{w}[{j}]: analytic {analytic[w][j]:G10}, numeric {numeric:G10}"));
            }
        }
        Assert.True(failures.Count == 0,
            $"{failures.Count} gradient elements differ from finite differences:\n" +
            string.Join("\n", failures.OrderByDescending(f => f.Excess).Take(8).Select(f => f.Text)));
        return analytic;
    }

    /// <summary>
    /// Checks the vector–Jacobian product of a non-scalar <paramref name="output"/>: the loss is Σ output ⊙ R with a
    /// fixed random R, so that every output element's gradient has its own random weight.
    /// </summary>
    public Dictionary<string, double[]> AssertVectorJacobian(OnnxModel model, string output, IReadOnlyList<string> wrt,
        IReadOnlyDictionary<string, Tensor> feeds)
    {
        using var session = new InferenceSession(OnnxModelIO.ToBytes(GradientCheck.WithOutputs(model, [output])));
        var value = OrtTensors.Run(session, feeds, [output])[output];
        var copy = ProRL.Onnx.IO.OnnxModelIO.Load(OnnxModelIO.ToBytes(model), ".", "vjp");
        var random = new Random(Seed + 1);
        var weights = Enumerable.Range(0, (int)value.ElementCount()).Select(_ => random.NextDouble() * 2 - 1).ToArray();
        var r = copy.Graph.Const("vjp_weights", OrtTensors.FromDoubles("vjp_weights", value.DataType, value.Dims, weights));
        var loss = copy.Graph.Op("ReduceSum", [copy.Graph.Op("Mul", [output, r])], Attr.Int("keepdims", 0));
        return AssertGradients(copy, loss, wrt, feeds);
    }

    private IEnumerable<int> ElementsToCheck(int count, Random random) =>
        count <= MaxElementsPerTensor
            ? Enumerable.Range(0, count)
            : Enumerable.Range(0, count).OrderBy(_ => random.Next()).Take(MaxElementsPerTensor).Order();
}
