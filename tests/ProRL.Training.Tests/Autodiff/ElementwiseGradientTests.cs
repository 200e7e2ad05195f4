using ProRL.Onnx.Graph;

namespace ProRL.Training.Tests.Autodiff;

public class ElementwiseGradientTests
{
    internal static void CheckVjp(TestGraph t, string output, params string[] wrt) =>
        new FiniteDifferenceChecker().AssertVectorJacobian(t.Model(output), output, wrt, t.Feeds);

    [Theory]
    [InlineData("Identity", -1, 1)]
    [InlineData("Neg", -1, 1)]
    [InlineData("Abs", -1, 1)]
    [InlineData("Exp", -1, 1)]
    [InlineData("Log", 0.5, 2)]
    [InlineData("Sqrt", 0.5, 2)]
    [InlineData("Reciprocal", 0.5, 2)]
    [InlineData("Sigmoid", -3, 3)]
    [InlineData("Tanh", -2, 2)]
    [InlineData("Relu", -1, 1)]
    [InlineData("Sin", -3, 3)]
    [InlineData("Cos", -3, 3)]
    public void Unary_op_gradient_matches_finite_differences(string op, double lo, double hi)
    {
        var t = new TestGraph();
        var x = t.Input("x", [2, 3, 4], lo, hi);
        CheckVjp(t, t.Op(op, [x]), x);
    }

    [Theory]
    [InlineData("Add", new long[] { 2, 3, 4 }, new long[] { 3, 1 })]
    [InlineData("Add", new long[] { 1, 4 }, new long[] { 3, 1 })]
    [InlineData("Sub", new long[] { 2, 3, 4 }, new long[] { 4 })]
    [InlineData("Sub", new long[] { }, new long[] { 2, 3 })]
    [InlineData("Mul", new long[] { 2, 3, 4 }, new long[] { 2, 1, 4 })]
    [InlineData("Mul", new long[] { 3, 4 }, new long[] { 3, 4 })]
    [InlineData("Div", new long[] { 2, 3, 4 }, new long[] { 3, 1 })]
    [InlineData("Div", new long[] { 4 }, new long[] { 2, 3, 4 })]
    [InlineData("Pow", new long[] { 2, 3 }, new long[] { 3 })]
    [InlineData("Pow", new long[] { 2, 3 }, new long[] { })]
    [InlineData("Max", new long[] { 2, 3, 4 }, new long[] { 3, 1 })]
    [InlineData("Min", new long[] { 1, 4 }, new long[] { 3, 1 })]
    public void Broadcasting_binary_op_gradient_matches_finite_differences(string op, long[] aDims, long[] bDims)
    {
        var t = new TestGraph(aDims.Length * 10 + bDims.Length);
        // Positive operands keep Pow (x^p, ln x) and Div (1/b) smooth.
        var a = t.Input("a", aDims, 0.5, 2);
        var b = t.Input("b", bDims, 0.5, 2);
        CheckVjp(t, t.Op(op, [a, b]), a, b);
    }

    [Fact]
    public void Variadic_sum_and_max_gradients_match_finite_differences()
    {
        var t = new TestGraph(3);
        var a = t.Input("a", [2, 3]);
        var b = t.Input("b", [3]);
        var c = t.Input("c", [2, 1]);
        var y = t.Op("Add", [t.Op("Sum", [a, b, c]), t.Op("Max", [a, b, c])]);
        CheckVjp(t, y, a, b, c);
    }

    /// <summary>Ops ORT's CPU EP runs only in float32: checked on the float64 variant of a float32 graph, where they
    /// keep float32 rounding, so with a larger step and a looser tolerance (a wrong rule is off by O(1)).</summary>
    [Theory]
    [InlineData("Erf")]
    [InlineData("Softplus")]
    [InlineData("Mean")]
    public void Float32_only_op_gradient_is_checked_on_the_float64_variant(string op)
    {
        var t = new TestGraph(4, ProRL.Onnx.Tensors.TensorDataType.Float);
        var a = t.Input("a", [3, 4], -2, 2);
        var b = t.Input("b", [4], -2, 2);
        var y = op == "Mean" ? t.Op("Mean", [a, b]) : t.Op("Mul", [t.Op(op, [a]), b]);
        var model = ProRL.Training.Autodiff.Float64Conversion.ToFloat64(t.Model(y));
        var feeds = t.Feeds.ToDictionary(p => p.Key, p => ProRL.Training.Autodiff.OrtTensors.FromDoubles(p.Key,
            ProRL.Onnx.Tensors.TensorDataType.Double, p.Value.Dims, ProRL.Training.Autodiff.OrtTensors.ToDoubles(p.Value)));
        var checker = new FiniteDifferenceChecker { Step = 1e-2, AbsoluteTolerance = 2e-4, RelativeTolerance = 1e-3 };
        checker.AssertVectorJacobian(model, y, [a, b], feeds);
    }

    [Theory]
    [InlineData(2.0)]
    [InlineData(0.5)]
    [InlineData(-1.5)]
    [InlineData(3.0)]
    public void Pow_with_constant_exponent_is_folded_and_correct(double exponent)
    {
        var t = new TestGraph();
        var x = t.Input("x", [3, 4], 0.5, 2);
        var y = t.Op("Pow", [x, t.Scalar(exponent)]);
        CheckVjp(t, y, x);
    }

    [Fact]
    public void Clip_passes_gradient_inside_the_bounds_and_to_the_bounds_that_apply()
    {
        var t = new TestGraph(5);
        var x = t.Input("x", [3, 5], -2, 2);
        var min = t.Input("min", [], -0.7, -0.6);
        var max = t.Input("max", [], 0.6, 0.7);
        CheckVjp(t, t.Op("Clip", [x, min, max]), x, min, max);
        var u = new TestGraph(6);
        var z = u.Input("z", [4, 4], -2, 2);
        CheckVjp(u, u.Op("Clip", [z, "", u.Scalar(0.5)]), z);
    }

    [Fact]
    public void Where_routes_gradient_by_condition_with_broadcasting()
    {
        var t = new TestGraph(7);
        var cond = t.BoolInput("cond", [3, 4]);
        var a = t.Input("a", [3, 4]);
        var b = t.Input("b", [4]);
        CheckVjp(t, t.Op("Where", [cond, a, b]), a, b);
    }

    [Fact]
    public void Cast_round_trip_carries_the_gradient_across_types()
    {
        // y = double(float(x) · w): linear, so a large step suffers no truncation error, only float32 rounding.
        var t = new TestGraph(8);
        var x = t.Input("x", [6]);
        var asFloat = t.Op("Cast", [x], Attr.Int("to", 1));
        var w = t.Graph.Const("w", ProRL.Onnx.Tensors.Tensor.FromFloats("w", [6], [1, -2, 3, 0.5f, 0.25f, -1]));
        var y = t.Op("Cast", [t.Op("Mul", [asFloat, w])], Attr.Int("to", 11));
        var checker = new FiniteDifferenceChecker { Step = 1e-2, RelativeTolerance = 1e-4, AbsoluteTolerance = 1e-4 };
        checker.AssertVectorJacobian(t.Model(y), y, [x], t.Feeds);
    }

    [Fact]
    public void CastLike_carries_the_gradient_to_its_first_input_only()
    {
        var t = new TestGraph(11);
        var x = t.Input("x", [2, 3]);
        var like = t.Input("like", [1]);
        CheckVjp(t, t.Op("Mul", [t.Op("CastLike", [x, like]), like]), x, like);
    }

    [Fact]
    public void Dropout_in_inference_mode_passes_the_gradient_and_training_mode_without_mask_is_rejected()
    {
        var t = new TestGraph(9);
        var x = t.Input("x", [3, 4]);
        CheckVjp(t, t.Op("Tanh", [t.Op("Dropout", [x])]), x);

        var u = new TestGraph(10);
        var z = u.Input("z", [3, 4]);
        var training = u.Graph.Const("training", new ProRL.Onnx.Tensors.Tensor("training", ProRL.Onnx.Tensors.TensorDataType.Bool, [], [1]));
        var y = u.Op("Dropout", [z, u.Scalar(0.1), training]);
        var loss = u.Op("ReduceSum", [y], Attr.Int("keepdims", 0));
        var error = Assert.Throws<ProRL.Training.Autodiff.UnsupportedGradientException>(() =>
            ProRL.Training.Autodiff.GradientBuilder.AddGradients(u.Model(loss), loss, [z]));
        Assert.Contains("mask", error.Message);
    }
}
