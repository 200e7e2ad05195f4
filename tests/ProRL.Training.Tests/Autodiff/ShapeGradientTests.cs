using ProRL.Onnx.Graph;

namespace ProRL.Training.Tests.Autodiff;

public class ShapeGradientTests
{
    private static void Check(TestGraph t, string y, params string[] wrt) => ElementwiseGradientTests.CheckVjp(t, y, wrt);

    [Fact]
    public void Reshape_flatten_squeeze_unsqueeze_and_transpose()
    {
        var t = new TestGraph(1);
        var x = t.Input("x", [2, 3, 4], declared: ["b", 3, 4]);
        var r = t.Op("Reshape", [x, t.Ints(0, 12)]);
        var u = t.Op("Unsqueeze", [r, t.Ints(1)]);
        var tr = t.Op("Transpose", [u], Attr.Ints("perm", 2, 0, 1));
        var s = t.Op("Squeeze", [tr, t.Ints(2)]);
        var f = t.Op("Flatten", [t.Op("Transpose", [s])], Attr.Int("axis", 1));
        Check(t, f, x);
    }

    [Fact]
    public void Concat_splits_the_gradient_between_its_inputs()
    {
        var t = new TestGraph(2);
        var a = t.Input("a", [2, 1, 3], declared: ["b", 1, 3]);
        var b = t.Input("b", [2, 4, 3], declared: ["b", "n", 3]);
        var c = t.Input("c", [2, 2, 3]);
        Check(t, t.Op("Concat", [a, b, c], Attr.Int("axis", -2)), a, b, c);
    }

    [Fact]
    public void Split_concatenates_gradients_with_zeros_for_unused_outputs()
    {
        var t = new TestGraph(3);
        var x = t.Input("x", [3, 7]);
        var parts = t.Graph.OpMulti("Split", [x, t.Ints(2, 4, 1)], 3, Attr.Int("axis", 1));
        var y = t.Op("Mul", [t.Op("ReduceSum", [parts[0], t.Ints(1)]), t.Op("ReduceSum", [parts[2], t.Ints(1)])]);
        Check(t, y, x);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Slice_pads_the_gradient_back_with_static_or_symbolic_dims(bool symbolic)
    {
        var t = new TestGraph(4);
        var x = t.Input("x", [2, 5, 6], declared: symbolic ? ["b", "t", 6] : null);
        // logits[:, :-1, :] and a rotary-style half: x[..., 3:], with a clamped out-of-range end.
        var head = t.Op("Slice", [x, t.Ints(0), t.Ints(-1), t.Ints(1)]);
        var half = t.Op("Slice", [head, t.Ints(3, -100), t.Ints(long.MaxValue, 100), t.Ints(-1, 0)]);
        Check(t, half, x);
    }

    [Fact]
    public void Slice_with_runtime_int32_starts_and_ends()
    {
        var t = new TestGraph(5);
        var x = t.Input("x", [4, 6], declared: ["n", "m"]);
        var starts = t.Op("Cast", [t.IntInput("starts", [2], [1, -4])], Attr.Int("to", 6));
        var ends = t.Op("Cast", [t.Ints(3, 100)], Attr.Int("to", 6));
        Check(t, t.Op("Slice", [x, starts, ends]), x);
    }

    [Fact]
    public void Expand_and_trilu()
    {
        var t = new TestGraph(6);
        var x = t.Input("x", [3, 1]);
        var e = t.Op("Expand", [x, t.Ints(2, 3, 3)]);
        var k = t.Input("k", [2, 3, 3]);
        Check(t, t.Op("Trilu", [t.Op("Mul", [e, k]), t.Graph.Const("one", ProRL.Onnx.Tensors.Tensor.Scalar("one", 1L))], Attr.Int("upper", 0)), x, k);
    }
}
