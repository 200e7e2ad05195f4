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
    public void Gather_columns_of_a_matrix_accumulates_repeated_and_negative_indices()
    {
        // A tied embedding read as W[:, ids] (W is [hidden, vocab]); the rule scatters into W's own layout.
        var t = new TestGraph(4);
        var w = t.Input("w", [3, 6]);
        var ids = t.IntInput("ids", [2, 3], [0, 2, 2, -1, 5, 0], declared: ["b", "t"]);
        ElementwiseGradientTests.CheckVjp(t, t.Op("Gather", [w, ids], Attr.Int("axis", 1)), w);
    }

    /// <summary>
    /// W is read by a Gather and by a MatMul: the Gather's sparse gradient is scattered into the MatMul's term rather
    /// than into zeros and then summed (ONNX Runtime scatters in place, so no second W-sized buffer), with the same values.
    /// </summary>
    [Fact]
    public void A_gathered_weight_read_elsewhere_too_scatters_into_the_other_gradient()
    {
        var t = new TestGraph(5);
        var w = t.Input("w", [4, 3]);
        var x = t.Input("x", [2, 4]);
        var ids = t.IntInput("ids", [5], [1, 3, 3, 0, -1]);
        var gathered = t.Op("ReduceSum", [t.Op("Mul", [t.Op("Gather", [w, ids]), t.Input("a", [5, 3])])], Attr.Int("keepdims", 0));
        var product = t.Op("ReduceSum", [t.Op("Mul", [t.Op("MatMul", [t.Op("Transpose", [x], Attr.Ints("perm", 1, 0)), t.Op("MatMul", [x, w])]), t.Input("b", [4, 3])])], Attr.Int("keepdims", 0));
        var loss = t.Op("Add", [gathered, product]);
        ElementwiseGradientTests.CheckVjp(t, loss, w, x);

        var model = t.Model(loss);
        var gradient = ProRL.Training.Autodiff.GradientBuilder.AddGradients(model, loss, [w])[w];
        var producer = model.Graph.ProducerIndex();
        var scatter = producer[gradient];
        while (scatter.OpType == "Identity") scatter = producer[scatter.Inputs[0]];
        Assert.Equal("ScatterND", scatter.OpType);
        Assert.NotEqual("ConstantOfShape", producer[scatter.Inputs[0]].OpType);
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
