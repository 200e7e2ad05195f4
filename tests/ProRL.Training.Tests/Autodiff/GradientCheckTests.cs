using ProRL.Onnx.Graph;
using ProRL.Onnx.Tensors;
using ProRL.Training.Autodiff;

namespace ProRL.Training.Tests.Autodiff;

public class GradientCheckTests
{
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
