using ProRL.Onnx.Graph;
using ProRL.Onnx.Tensors;
using ProRL.Training.Autodiff;

namespace ProRL.Training.Tests.Autodiff;

public class GradientCheckTests
{
    /// <summary>f(a, b) = Σ a³ + Σ a·b over two small tensors, with its hand-derived gradient (3a² + b, a).</summary>
    private static double Cubic(IReadOnlyDictionary<string, double[]> x) =>
        x["a"].Sum(v => v * v * v) + x["a"].Zip(x["b"], (a, b) => a * b).Sum();

    [Fact]
    public void The_core_check_agrees_with_a_hand_derived_gradient_and_catches_a_wrong_one_in_a_restricted_direction()
    {
        var point = new Dictionary<string, double[]> { ["a"] = [0.3, -1.2, 2.0], ["b"] = [0.5, 0.25, -0.75] };
        var right = new Dictionary<string, double[]>
        {
            ["a"] = point["a"].Zip(point["b"], (a, b) => 3 * a * a + b).ToArray(),
            ["b"] = point["a"].ToArray(),
        };
        var checks = GradientCheck.AlongDirections(["a", "b"], point, right, Cubic, [null, null, "b"], 1e-5, new Random(3));
        Assert.Equal([null, null, "b"], checks.Select(c => c.Tensor));
        Assert.All(checks, c => Assert.True(Math.Abs(c.Analytic - c.Numeric) <= 1e-8 * Math.Max(1, Math.Abs(c.Numeric)), $"{c}"));
        Assert.All(checks, c => Assert.Equal(c.Numeric, (c.LossPlus - c.LossMinus) / 2e-5, 12));

        // A wrong gradient of the small tensor b only: the direction restricted to b sees it whole.
        var wrong = new Dictionary<string, double[]>(right) { ["b"] = right["b"].Select(v => v * 1.01).ToArray() };
        var bad = GradientCheck.AlongDirections(["a", "b"], point, wrong, Cubic, [null, "b"], 1e-5, new Random(3));
        Assert.True(Math.Abs(bad[1].Analytic - bad[1].Numeric) > 1e-4 * Math.Abs(bad[1].Numeric), $"{bad[1]}");
        Assert.Throws<ArgumentException>(() => GradientCheck.AlongDirections(["a"], point, right, Cubic, ["c"], 1e-5, new Random(3)));
    }

    [Fact]
    public void Random_direction_check_passes_for_a_float32_model_checked_in_float64()
    {
        var t = new TestGraph(1, TensorDataType.Float);
        var x = t.Input("x", [4, 3], declared: ["batch", 3]);
        var w = t.Initializer("w", [3, 5]);
        var b = t.Initializer("b", [5]);
        var y = t.Op("Tanh", [t.Op("Add", [t.Op("MatMul", [x, w]), b])]);
        var loss = t.Op("ReduceMean", [t.Op("Mul", [y, y])], Attr.Int("keepdims", 0));
        var report = GradientCheck.AlongRandomDirections(t.Model(loss), loss, [w, b], t.Feeds, new GradientCheckOptions { Directions = 4 });
        Assert.Equal(4, report.Checks.Count);
        Assert.True(report.Within(relative: 1e-6, absolute: 1e-9), $"worst: {report.Worst}");
        Assert.All(report.Checks, c => Assert.True(Math.Abs(c.Numeric) > 1e-4)); // the directions probe something
    }

    [Fact]
    public void Random_direction_check_reports_a_mismatch_at_a_kink()
    {
        // Relu at exactly 0: the rule's one-sided derivative (0) differs from the central difference (v/2).
        var t = new TestGraph(2);
        var x = t.Graph.AddInitializer(Tensor.FromArray("x", TensorDataType.Double, [3], [0.0, 0.0, 0.0])).Name;
        var loss = t.Op("ReduceSum", [t.Op("Relu", [x])], Attr.Int("keepdims", 0));
        var report = GradientCheck.AlongRandomDirections(t.Model(loss), loss, [x], t.Feeds);
        Assert.False(report.Within(relative: 1e-3, absolute: 1e-6));
        Assert.All(report.Checks, c => Assert.Equal(0.0, c.Analytic));
    }
}
