using ProRL.Onnx.Graph;

namespace ProRL.Training.Tests.Autodiff;

public class IndexingGradientTests
{
    [Fact]
    public void Gather_rows_accumulates_repeated_and_negative_indices()
    {
        var t = new TestGraph(1);
        var table = t.Initializer("embedding", [6, 3]);
        var ids = t.IntInput("ids", [2, 3], [0, 2, 2, -1, 5, 0], declared: ["b", "t"]);
        ElementwiseGradientTests.CheckVjp(t, t.Op("Gather", [table, ids]), table);
    }

    [Theory]
    [InlineData(1, new long[] { 2, 2 })]
    [InlineData(2, new long[] { 3 })]
    [InlineData(-2, new long[] { })]
    public void Gather_along_an_inner_axis(long axis, long[] indexDims)
    {
        var t = new TestGraph(2);
        var x = t.Input("x", [2, 4, 5]);
        var count = (int)ProRL.Onnx.Tensors.Tensor.ElementCount(indexDims);
        var ids = t.IntInput("ids", indexDims, Enumerable.Range(0, count).Select(i => (long)(i * 3 % 4) - (i == 1 ? 4 : 0)).ToArray());
        ElementwiseGradientTests.CheckVjp(t, t.Op("Gather", [x, ids], Attr.Int("axis", axis)), x);
    }

    [Fact]
    public void GatherElements_picks_token_logprobs()
    {
        var t = new TestGraph(3);
        var logits = t.Input("logits", [2, 3, 5], declared: ["b", "t", 5]);
        var targets = t.IntInput("targets", [2, 3, 1], [4, 0, 0, 2, 3, 3]);
        var logprobs = t.Op("LogSoftmax", [logits], Attr.Int("axis", -1));
        ElementwiseGradientTests.CheckVjp(t, t.Op("GatherElements", [logprobs, targets], Attr.Int("axis", -1)), logits);
    }

    [Fact]
    public void TopK_values_send_their_gradient_to_the_selected_positions()
    {
        var t = new TestGraph(4);
        var x = t.Input("x", [3, 6]);
        var outputs = t.Graph.OpMulti("TopK", [x, t.Ints(2)], 2, Attr.Int("axis", -1));
        ElementwiseGradientTests.CheckVjp(t, outputs[0], x);
    }
}
