using ProRL.Onnx.Graph;
using ProRL.Onnx.Tensors;
using ProRL.Training.Heads;

namespace ProRL.Training.Optimizer;

/// <summary>A trainable parameter: its name (as in the source model) and shape.</summary>
public sealed record ParameterSpec(string Name, long[] Shape)
{
    public long ElementCount => Tensor.ElementCount(Shape);
}

/// <summary>
/// Builds <c>optimizer_model.onnx</c>: one AdamW step over all parameters with global-norm gradient clipping.
/// <para>Runtime scalar inputs: <c>learning_rate</c>, <c>beta1</c>, <c>beta2</c>, <c>epsilon</c>, <c>weight_decay</c>,
/// <c>max_grad_norm</c> (≤ 0 turns clipping off) and <c>step</c> (t ≥ 1, the number of this update, for bias
/// correction). Per parameter p: inputs p, <c>p.grad</c>, <c>p.exp_avg</c>, <c>p.exp_avg_sq</c>; outputs
/// <c>p.new</c>, <c>p.exp_avg.new</c>, <c>p.exp_avg_sq.new</c>. Output <c>grad_norm</c> is the pre-clip global L2 norm.</para>
/// <para>The update (PyTorch's AdamW): g ← g·min(1, max_norm/(‖g‖ + 1e-6)); m ← β1·m + (1 − β1)·g;
/// v ← β2·v + (1 − β2)·g²; p ← p − lr·wd·p − lr·(m/(1 − β1^t)) / (√(v/(1 − β2^t)) + ε). Parameters listed as not decayed
/// skip the lr·wd·p term.</para>
/// </summary>
public static class AdamWGraph
{
    public const string LearningRate = "learning_rate", Beta1 = "beta1", Beta2 = "beta2", Epsilon = "epsilon";
    public const string WeightDecay = "weight_decay", MaxGradNorm = "max_grad_norm", Step = "step", GradNorm = "grad_norm";

    /// <summary>Scalar inputs in a stable order.</summary>
    public static readonly IReadOnlyList<string> ScalarInputs = [LearningRate, Beta1, Beta2, Epsilon, WeightDecay, MaxGradNorm, Step];

    public static string GradName(string parameter) => parameter + ".grad";
    public static string FirstMomentName(string parameter) => parameter + ".exp_avg";
    public static string SecondMomentName(string parameter) => parameter + ".exp_avg_sq";
    public static string UpdatedName(string value) => value + ".new";

    public static OnnxModel Build(IReadOnlyList<ParameterSpec> parameters, ISet<string>? notDecayed = null,
        TensorDataType elementType = TensorDataType.Float)
    {
        if (parameters.Count == 0) throw new ArgumentException("AdamW needs at least one parameter.", nameof(parameters));
        var model = new OnnxModel(new OnnxGraph { Name = "adamw" });
        var h = new HeadGraph(model.Graph, elementType);
        var s = ScalarInputs.ToDictionary(n => n, n => h.Input(n));
        var inputs = parameters.Select(p =>
        {
            var shape = p.Shape.Select(d => (Dim)d).ToArray();
            return (Spec: p, Param: h.Input(p.Name, shape), Grad: h.Input(GradName(p.Name), shape),
                M: h.Input(FirstMomentName(p.Name), shape), V: h.Input(SecondMomentName(p.Name), shape), Shape: shape);
        }).ToList();

        var one = h.Const("one", 1);
        string? sumOfSquares = null;
        foreach (var p in inputs)
        {
            var axes = Enumerable.Range(0, p.Spec.Shape.Length).Select(i => (long)i).ToArray();
            var squares = h.Mul(p.Grad, p.Grad);
            var sum = axes.Length == 0 ? squares : h.ReduceSum(squares, axes);
            sumOfSquares = sumOfSquares is null ? sum : h.Add(sumOfSquares, sum);
        }
        var norm = h.Op("Sqrt", sumOfSquares!);
        var clipCoefficient = h.Min(one, h.Div(s[MaxGradNorm], h.Add(norm, h.Const("tiny", 1e-6))));
        var scale = h.Where(h.Greater(s[MaxGradNorm], h.Const("zero", 0)), clipCoefficient, one);

        var oneMinusBeta1 = h.Sub(one, s[Beta1]);
        var oneMinusBeta2 = h.Sub(one, s[Beta2]);
        var stepSize = h.Div(s[LearningRate], h.Sub(one, h.Op("Pow", s[Beta1], s[Step])));
        var secondCorrection = h.Sub(one, h.Op("Pow", s[Beta2], s[Step]));
        var decayFactor = h.Sub(one, h.Mul(s[LearningRate], s[WeightDecay]));

        foreach (var p in inputs)
        {
            var g = h.Mul(p.Grad, scale);
            var m = h.Add(h.Mul(s[Beta1], p.M), h.Mul(oneMinusBeta1, g));
            var v = h.Add(h.Mul(s[Beta2], p.V), h.Mul(oneMinusBeta2, h.Mul(g, g)));
            var denominator = h.Add(h.Op("Sqrt", h.Div(v, secondCorrection)), s[Epsilon]);
            var decayed = notDecayed?.Contains(p.Spec.Name) == true ? p.Param : h.Mul(p.Param, decayFactor);
            var updated = h.Sub(decayed, h.Mul(stepSize, h.Div(m, denominator)));
            h.Output(updated, UpdatedName(p.Param), p.Shape);
            h.Output(m, UpdatedName(p.M), p.Shape);
            h.Output(v, UpdatedName(p.V), p.Shape);
        }
        h.Output(norm, GradNorm);
        return model;
    }
}
