using ProRL.Onnx.Graph;

namespace ProRL.Training.Tests.Autodiff;

public class ReductionGradientTests
{
    public static TheoryData<string, long[]?, int> Cases()
    {
        var data = new TheoryData<string, long[]?, int>();
        foreach (var op in new[] { "ReduceSum", "ReduceMean", "ReduceMax", "ReduceMin", "ReduceSumSquare", "ReduceL2", "ReduceLogSumExp" })
            foreach (var axes in new long[]?[] { [1], [-1, 0], null })
                foreach (var keep in new[] { 0, 1 })
                    data.Add(op, axes, keep);
        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Reduction_gradient_matches_finite_differences(string op, long[]? axes, int keepDims)
    {
        var t = new TestGraph(op.Length + keepDims);
        var x = t.Input("x", [2, 3, 4], 0.2, 2);
        string[] inputs = axes is null ? [x] : [x, t.Ints(axes)];
        ElementwiseGradientTests.CheckVjp(t, t.Op(op, inputs, Attr.Int("keepdims", keepDims)), x);
    }

    [Fact]
    public void Reduction_with_runtime_axes_and_noop_for_empty_axes()
    {
        var t = new TestGraph(2);
        var x = t.Input("x", [2, 3, 4]);
        var axes = t.IntInput("axes", [1], [2]);
        var reduced = t.Op("ReduceMean", [x, axes], Attr.Int("keepdims", 0));
        var noop = t.Op("ReduceSum", [reduced, t.Graph.ConstInt64s("empty", [])], Attr.Int("noop_with_empty_axes", 1));
        ElementwiseGradientTests.CheckVjp(t, noop, x);
    }

    [Theory]
    [InlineData("Softmax", -1)]
    [InlineData("Softmax", 1)]
    [InlineData("LogSoftmax", -1)]
    [InlineData("LogSoftmax", 0)]
    public void Softmax_family_gradient_matches_finite_differences(string op, int axis)
    {
        var t = new TestGraph(axis + 5);
        var x = t.Input("x", [2, 3, 4], -2, 2);
        ElementwiseGradientTests.CheckVjp(t, t.Op(op, [x], Attr.Int("axis", axis)), x);
    }
}
