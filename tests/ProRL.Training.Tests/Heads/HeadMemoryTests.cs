using ProRL.Onnx.Graph;
using ProRL.Onnx.Tensors;
using ProRL.Training.Autodiff;
using ProRL.Training.Heads;

namespace ProRL.Training.Tests.Heads;

/// <summary>
/// How many tensors of the logits' size the policy head's forward and backward passes hold at once (static liveness in
/// graph order, <see cref="LiveValues"/>): the fused head against the same loss written op by op.
/// </summary>
public class HeadMemoryTests
{
    private const long Rows = 2, Tokens = 9, Vocabulary = 1000;

    /// <summary>logits (an input, as the decoder's output is) → head → policy loss → ∂loss/∂logits.</summary>
    private static OnnxModel Head(Func<HeadGraph, EvalHeadValues> evalHead)
    {
        var model = new OnnxModel(new OnnxGraph { Name = "head" });
        var h = new HeadGraph(model.Graph);
        h.Input("logits", "b", "t", Vocabulary);
        model.Graph.Inputs.Add(new ValueInfo("input_ids", TensorDataType.Int64, ["b", "t"]));
        PolicyLossHead.Append(h, evalHead(h), new PolicyLossHeadOptions());
        var grads = GradientBuilder.AddGradients(model, PolicyLossHead.Loss, ["logits"]);
        h.Output(grads["logits"], "d_logits", "b", "t", Vocabulary);
        FusedOps.Lower(model);
        model.Graph.RemoveUnused();
        model.Graph.TopologicalSort();
        return model;
    }

    /// <summary>The head as it was written before the fused op: LogSoftmax, GatherElements, Exp·Mul·ReduceSum.</summary>
    private static EvalHeadValues OpByOp(HeadGraph h)
    {
        var temperature = h.Input(EvalHead.Temperature);
        var predicting = h.Op("Slice", "logits", h.Ints("starts", 0), h.Ints("ends", -1), h.Ints("axes", 1));
        var targets = h.Op("Slice", "input_ids", h.Ints("starts", 1), h.Ints("ends", long.MaxValue), h.Ints("axes", 1));
        var logDistribution = h.Op("LogSoftmax", [h.Div(predicting, temperature)], Attr.Int("axis", -1));
        var picked = h.Op("GatherElements", [logDistribution, h.Op("Unsqueeze", targets, h.Ints("axes", 2))], Attr.Int("axis", 2));
        var entropy = h.Neg(h.ReduceSum(h.Mul(h.Exp(logDistribution), logDistribution), 2));
        return new EvalHeadValues(h.Op("Squeeze", picked, h.Ints("axes", 2)), entropy);
    }

    private static int LogitsSizedAtPeak(OnnxModel model)
    {
        var dims = new Dictionary<string, long[]> { ["logits"] = [Rows, Tokens, Vocabulary], ["input_ids"] = [Rows, Tokens] };
        long logitsSized = Rows * (Tokens - 1) * Vocabulary;
        var peak = LiveValues.Peak(model, dims, d => Tensor.ElementCount(d) >= logitsSized);
        return peak.Values.Count;
    }

    [Fact]
    public void The_fused_head_holds_at_most_three_logits_sized_tensors_where_the_op_by_op_head_holds_more()
    {
        int fused = LogitsSizedAtPeak(Head(h => EvalHead.Append(h, "logits", "input_ids", asOutputs: false)));
        int opByOp = LogitsSizedAtPeak(Head(OpByOp));
        Assert.True(fused <= 3, $"fused head: {fused} logits-sized tensors alive at once");
        // The op-by-op head holds 5 (log_softmax, its Exp, and three backward products): the measure tells them apart.
        Assert.True(opByOp > fused, $"op-by-op head: {opByOp}, fused: {fused}");
    }
}
