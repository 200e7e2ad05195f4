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
/// <param name="Tensor">The tensor v is restricted to; null for a direction over all of them.</param>
/// <param name="LossPlus">f(x+hv), for callers that bound the central difference's rounding error by the losses' size.</param>
/// <param name="LossMinus">f(x−hv).</param>
public sealed record DirectionalCheck(int Direction, double Analytic, double Numeric, string? Tensor = null, double LossPlus = 0, double LossMinus = 0)
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
/// The one random-direction gradient check: an analytic gradient against central finite differences along random unit
/// directions. <see cref="AlongDirections"/> is the check itself, over any loss function (the training artifacts' check
/// uses it on their float64 training graph); <see cref="AlongRandomDirections"/> applies it to the gradients
/// <see cref="GradientBuilder"/> adds to a model, running both on ONNX Runtime (CPU). The model is not changed.
/// </summary>
public static class GradientCheck
{
    /// <summary>
    /// For each entry of <paramref name="directions"/> (null: a random unit direction over every tensor of
    /// <paramref name="names"/>; a name: one restricted to that tensor, so that a wrong gradient of a small tensor cannot
    /// hide in a direction dominated by large ones), compares ⟨<paramref name="gradient"/>, d⟩ with
    /// (loss(x + hd) − loss(x − hd)) / 2h at <paramref name="point"/>. Directions are Gaussian, normalised, drawn from
    /// <paramref name="random"/> in the order of <paramref name="names"/>; the loss is evaluated at x + hd, then x − hd.
    /// </summary>
    public static IReadOnlyList<DirectionalCheck> AlongDirections(IReadOnlyList<string> names, IReadOnlyDictionary<string, double[]> point,
        IReadOnlyDictionary<string, double[]> gradient, Func<IReadOnlyDictionary<string, double[]>, double> loss, IReadOnlyList<string?> directions,
        double step, Random random)
    {
        if (!(step > 0) || !double.IsFinite(step)) throw new ArgumentOutOfRangeException(nameof(step), step, "the finite-difference step must be a positive number");
        foreach (var only in directions)
            if (only is not null && !names.Contains(only)) throw new ArgumentException($"direction restricted to '{only}', which is not among the checked tensors", nameof(directions));
        var checks = new List<DirectionalCheck>();
        foreach (var only in directions)
        {
            var direction = RandomUnitDirection(random, names, point, only);
            double dot = 0;
            foreach (var name in names)
            {
                var g = gradient[name];
                var d = direction[name];
                if (g.Length != d.Length) throw new ArgumentException($"gradient of '{name}' has {g.Length} values, the tensor {d.Length}", nameof(gradient));
                for (int j = 0; j < d.Length; j++) dot += g[j] * d[j];
            }
            double plus = loss(Shifted(names, point, direction, step)), minus = loss(Shifted(names, point, direction, -step));
            checks.Add(new DirectionalCheck(checks.Count, dot, (plus - minus) / (2 * step), only, plus, minus));
        }
        return checks;
    }

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

        var point = wrt.ToDictionary(w => w, w => OrtTensors.ToDoubles(inputs[w]), StringComparer.Ordinal);
        var gradient = wrt.ToDictionary(w => w, w => OrtTensors.ToDoubles(analytic[grads[w]]), StringComparer.Ordinal);
        double LossAt(IReadOnlyDictionary<string, double[]> values)
        {
            var shifted = new Dictionary<string, Tensor>(inputs, StringComparer.Ordinal);
            foreach (var w in wrt) shifted[w] = OrtTensors.FromDoubles(inputs[w].Name, inputs[w].DataType, inputs[w].Dims, values[w]);
            return Loss(shifted);
        }
        var checks = AlongDirections(wrt, point, gradient, LossAt, Enumerable.Repeat<string?>(null, options.Directions).ToList(), options.Step,
            new Random(options.Seed));
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

    private static Dictionary<string, double[]> RandomUnitDirection(Random random, IReadOnlyList<string> names,
        IReadOnlyDictionary<string, double[]> point, string? only)
    {
        var direction = names.ToDictionary(n => n, n => point[n].Select(_ => only is null || only == n ? Gaussian(random) : 0.0).ToArray(),
            StringComparer.Ordinal);
        double norm = Math.Sqrt(names.Sum(n => direction[n].Sum(v => v * v)));
        foreach (var d in direction.Values)
            for (int j = 0; j < d.Length; j++) d[j] /= Math.Max(norm, 1e-300);
        return direction;
    }

    private static double Gaussian(Random random) =>
        Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());

    private static Dictionary<string, double[]> Shifted(IReadOnlyList<string> names, IReadOnlyDictionary<string, double[]> point,
        IReadOnlyDictionary<string, double[]> direction, double step)
    {
        var shifted = new Dictionary<string, double[]>(point.Count, StringComparer.Ordinal);
        foreach (var (name, values) in point)
        {
            if (!direction.TryGetValue(name, out var d))
            {
                shifted[name] = values;
                continue;
            }
            var moved = new double[values.Length];
            for (int j = 0; j < values.Length; j++) moved[j] = values[j] + step * d[j];
            shifted[name] = moved;
        }
        return shifted;
    }
}
