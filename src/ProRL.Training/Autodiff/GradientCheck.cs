using Microsoft.ML.OnnxRuntime;
using ProRL.Onnx.Graph;
using ProRL.Onnx.IO;
using ProRL.Onnx.Tensors;

namespace ProRL.Training.Autodiff;

/// <summary>Options of <see cref="GradientCheck"/>.</summary>
public sealed record GradientCheckOptions
{
    /// <summary>Number of random directions to probe.</summary>
    public int Directions { get; init; } = 3;
    /// <summary>Central-difference step along each (unit-norm) direction.</summary>
    public double Step { get; init; } = 1e-4;
    public int Seed { get; init; } = 12345;
    /// <summary>Run the check on the float64 variant of a float32 model (<see cref="Float64Conversion"/>).</summary>
    public bool UseFloat64 { get; init; } = true;
}

/// <summary>One probed direction v: the analytic ⟨∇f, v⟩ against the central difference (f(x+hv) − f(x−hv)) / 2h.</summary>
public sealed record DirectionalCheck(int Direction, double Analytic, double Numeric)
{
    public double AbsoluteError => Math.Abs(Analytic - Numeric);
    /// <summary>Error relative to the larger magnitude (absolute when both are below 1e-12).</summary>
    public double RelativeError => AbsoluteError / Math.Max(1e-12, Math.Max(Math.Abs(Analytic), Math.Abs(Numeric)));
}

public sealed record GradientCheckReport(IReadOnlyList<DirectionalCheck> Checks)
{
    public DirectionalCheck Worst => Checks.MaxBy(c => c.RelativeError) ?? throw new InvalidOperationException("No checks were run.");

    /// <summary>True when every direction has |analytic − numeric| ≤ absolute + relative·|numeric|.</summary>
    public bool Within(double relative, double absolute) =>
        Checks.All(c => c.AbsoluteError <= absolute + relative * Math.Abs(c.Numeric));
}

/// <summary>
/// Checks the gradients <see cref="GradientBuilder"/> produces for a model against central finite differences
/// along random directions, running both on ONNX Runtime (CPU). The model is not changed.
/// </summary>
public static class GradientCheck
{
    /// <summary>
    /// Probes <paramref name="options"/>.Directions random unit directions in the space of all
    /// <paramref name="wrt"/> values jointly. <paramref name="feeds"/> holds every graph input the model needs
    /// (float32 feeds are widened when the check runs in float64); initializers among <paramref name="wrt"/> are
    /// perturbed around their stored values.
    /// </summary>
    public static GradientCheckReport AlongRandomDirections(OnnxModel model, string scalarLoss, IReadOnlyList<string> wrt,
        IReadOnlyDictionary<string, Tensor> feeds, GradientCheckOptions? options = null)
    {
        options ??= new GradientCheckOptions();
        var converted = options.UseFloat64 ? Float64Conversion.ToFloat64(model) : model;
        var widened = feeds.ToDictionary(p => p.Key, p => options.UseFloat64 ? Widen(p.Value) : p.Value, StringComparer.Ordinal);
        var (work, inputs) = PromoteToInputs(converted, wrt, widened);

        var forward = WithOutputs(work, [scalarLoss]);
        var backward = work.Clone();
        var grads = GradientBuilder.AddGradients(backward, scalarLoss, wrt);
        backward = WithOutputs(backward, [scalarLoss, .. wrt.Select(w => grads[w])]);
        foreach (var runnable in new[] { forward, backward })
            if (FusedOps.Lower(runnable) > 0) runnable.Graph.RemoveUnused();

        using var forwardSession = new InferenceSession(OnnxModelIO.ToBytes(forward));
        using var backwardSession = new InferenceSession(OnnxModelIO.ToBytes(backward));
        var analytic = OrtTensors.Run(backwardSession, inputs, wrt.Select(w => grads[w]).ToList());
        double Loss(Dictionary<string, Tensor> x) => OrtTensors.ToDoubles(OrtTensors.Run(forwardSession, x, [scalarLoss])[scalarLoss]).Sum();

        var random = new Random(options.Seed);
        var checks = new List<DirectionalCheck>();
        for (int k = 0; k < options.Directions; k++)
        {
            var direction = RandomUnitDirection(random, wrt.Select(w => inputs[w].ElementCount()).ToArray());
            double dot = 0;
            var plus = new Dictionary<string, Tensor>(inputs, StringComparer.Ordinal);
            var minus = new Dictionary<string, Tensor>(inputs, StringComparer.Ordinal);
            for (int i = 0; i < wrt.Count; i++)
            {
                var x = inputs[wrt[i]];
                var values = OrtTensors.ToDoubles(x);
                var g = OrtTensors.ToDoubles(analytic[grads[wrt[i]]]);
                for (int j = 0; j < values.Length; j++) dot += g[j] * direction[i][j];
                plus[wrt[i]] = Shifted(x, values, direction[i], options.Step);
                minus[wrt[i]] = Shifted(x, values, direction[i], -options.Step);
            }
            checks.Add(new DirectionalCheck(k, dot, (Loss(plus) - Loss(minus)) / (2 * options.Step)));
        }
        return new GradientCheckReport(checks);
    }

    private static Tensor Widen(Tensor t) => t.DataType == TensorDataType.Float
        ? OrtTensors.FromDoubles(t.Name, TensorDataType.Double, t.Dims, OrtTensors.ToDoubles(t))
        : t;

    /// <summary>
    /// A copy of the model where the initializers among <paramref name="wrt"/> are graph inputs, with feeds that
    /// add their stored values to <paramref name="feeds"/> (so that they can be perturbed).
    /// </summary>
    public static (OnnxModel Model, Dictionary<string, Tensor> Feeds) PromoteToInputs(OnnxModel model,
        IReadOnlyList<string> wrt, IReadOnlyDictionary<string, Tensor> feeds)
    {
        var copy = model.Clone();
        var graph = copy.Graph;
        var inputs = new Dictionary<string, Tensor>(feeds, StringComparer.Ordinal);
        foreach (var w in wrt)
        {
            if (graph.Initializer(w) is { } t)
            {
                graph.RemoveInitializer(w);
                graph.Inputs.Add(new ValueInfo(w, t.DataType, t.Dims.Select(d => (Dim)d).ToArray()));
                inputs[w] = t;
            }
            else if (!inputs.ContainsKey(w))
            {
                throw new ArgumentException($"Model '{graph.Name}': no feed for the differentiated input '{w}'.", nameof(wrt));
            }
        }
        return (copy, inputs);
    }

    /// <summary>A copy of the model whose outputs are exactly <paramref name="names"/>, without the nodes they do not need.</summary>
    public static OnnxModel WithOutputs(OnnxModel model, IEnumerable<string> names)
    {
        var copy = model.Clone();
        var graph = copy.Graph;
        var shapes = new ShapeInference(graph);
        graph.Outputs.Clear();
        foreach (var n in names)
            graph.Outputs.Add(new ValueInfo(n, shapes[n].Type ?? TensorDataType.Double, null));
        graph.RemoveUnused();
        return copy;
    }

    private static double[][] RandomUnitDirection(Random random, long[] sizes)
    {
        var direction = sizes.Select(n => Enumerable.Range(0, (int)n).Select(_ => Gaussian(random)).ToArray()).ToArray();
        double norm = Math.Sqrt(direction.Sum(d => d.Sum(v => v * v)));
        foreach (var d in direction)
            for (int j = 0; j < d.Length; j++) d[j] /= Math.Max(norm, 1e-300);
        return direction;
    }

    private static double Gaussian(Random random) =>
        Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());

    private static Tensor Shifted(Tensor x, double[] values, double[] direction, double step)
    {
        var shifted = new double[values.Length];
        for (int j = 0; j < values.Length; j++) shifted[j] = values[j] + step * direction[j];
        return OrtTensors.FromDoubles(x.Name, x.DataType, x.Dims, shifted);
    }
}
