using ProRL.Onnx.Graph;
using ProRL.Training.Autodiff;

namespace ProRL.Training.Tests.Autodiff;

public class MatrixGradientTests
{
    [Theory]
    [InlineData(new long[] { 2, 3, 4 }, new long[] { 4, 5 })]
    [InlineData(new long[] { 3, 4 }, new long[] { 4, 5 })]
    [InlineData(new long[] { 4 }, new long[] { 4, 5 })]
    [InlineData(new long[] { 2, 3, 4 }, new long[] { 4 })]
    [InlineData(new long[] { 4 }, new long[] { 4 })]
    [InlineData(new long[] { 4 }, new long[] { 2, 4, 3 })]
    [InlineData(new long[] { 2, 1, 3, 4 }, new long[] { 3, 4, 5 })]
    [InlineData(new long[] { 3, 4 }, new long[] { 2, 4, 5 })]
    [InlineData(new long[] { 2, 2, 3, 4 }, new long[] { 2, 2, 4, 3 })]
    public void MatMul_gradient_matches_finite_differences(long[] aDims, long[] bDims)
    {
        var t = new TestGraph(aDims.Length * 7 + bDims.Length);
        var a = t.Input("a", aDims);
        var b = t.Input("b", bDims);
        ElementwiseGradientTests.CheckVjp(t, t.Op("MatMul", [a, b]), a, b);
    }

    [Theory]
    [InlineData(0, 0, new long[] { 5 })]
    [InlineData(1, 0, new long[] { 1, 5 })]
    [InlineData(0, 1, new long[] { 3, 1 })]
    [InlineData(1, 1, new long[] { })]
    [InlineData(0, 0, new long[] { 3, 5 })]
    public void Gemm_gradient_matches_finite_differences_for_every_transpose(int transA, int transB, long[] cDims)
    {
        var t = new TestGraph(transA * 2 + transB);
        var a = t.Input("a", transA == 1 ? [4, 3] : [3, 4]);
        var b = t.Input("b", transB == 1 ? [5, 4] : [4, 5]);
        var c = t.Input("c", cDims);
        var y = t.Op("Gemm", [a, b, c], Attr.Float("alpha", 0.7f), Attr.Float("beta", -1.3f),
            Attr.Int("transA", transA), Attr.Int("transB", transB));
        ElementwiseGradientTests.CheckVjp(t, y, a, b, c);
    }

    [Fact]
    public void Projection_by_a_weight_matrix_differentiates_with_gemms_and_no_transposes()
    {
        var t = new TestGraph(11);
        var x = t.Input("x", [2, 3, 4], declared: ["batch", "seq", 4]);
        var w = t.Initializer("w", [4, 5]);
        var y = t.Op("MatMul", [x, w]);
        var model = t.Model(y);
        var loss = model.Graph.Op("ReduceSum", [y], Attr.Int("keepdims", 0));
        int forwardCount = model.Graph.Nodes.Count;
        GradientBuilder.AddGradients(model, loss, [x, w]);
        var added = model.Graph.Nodes.Skip(forwardCount).Select(n => n.OpType).ToList();
        Assert.DoesNotContain("Transpose", added);
        Assert.DoesNotContain("MatMul", added);
        Assert.Equal(2, added.Count(op => op == "Gemm"));
        // And the values: symbolic batch/seq dims, the weight as an initializer.
        ElementwiseGradientTests.CheckVjp(t, y, x, w);
    }
}
