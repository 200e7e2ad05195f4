using ProRL.Onnx.Graph;

namespace ProRL.Training.Autodiff;

/// <summary>
/// Ops of the domain <see cref="Domain"/>: nodes that exist only while a training graph is being built, so that
/// <see cref="GradientBuilder"/> can differentiate them with one hand-derived rule instead of op by op. <see cref="Lower"/>
/// expands them into standard ops before a graph is saved or run.
/// <para>
/// <see cref="NextTokenLogprobs"/>: inputs <c>x</c> [..., V] (temperature-scaled logits) and <c>targets</c> [...] (int64
/// indices into V); outputs <c>logprob</c> = log_softmax(x)[target] and <c>entropy</c> = −Σ p·log p, each [...], and
/// <c>log_softmax</c> and <c>softmax</c> [..., V], kept for the backward pass (the forward computes both anyway, and
/// recomputing p there would be a logits-sized op that depends on forward values only, which a scheduler may run
/// early). Computed op by op (LogSoftmax, GatherElements, Exp, Mul, ReduceSum) the forward and backward passes hold
/// five or more tensors of the logits' size at once, which at V = 151,936 is most of a training step's memory; the
/// fused backward dx = onehot·g_logprob − p·(g_logprob + g_entropy·(log p + H)) holds three.
/// </para>
/// </summary>
public static class FusedOps
{
    public const string Domain = "prorl.fused";
    public const string NextTokenLogprobs = "NextTokenLogprobs";

    /// <summary>Adds a <see cref="NextTokenLogprobs"/> node; returns its three outputs.</summary>
    public static (string Logprob, string Entropy, string LogSoftmax, string Softmax) AddNextTokenLogprobs(OnnxGraph graph, string x, string targets)
    {
        var name = graph.UniqueName(NextTokenLogprobs);
        string[] outputs = [.. new[] { "logprob", "entropy", "log_softmax", "softmax" }.Select(o => graph.UniqueName($"{name}/{o}"))];
        graph.AddNode(NextTokenLogprobs, [x, targets], outputs, name, Domain);
        return (outputs[0], outputs[1], outputs[2], outputs[3]);
    }

    public static bool IsFused(Node node) => node.Domain == Domain;

    /// <summary>Replaces every fused node of <paramref name="model"/> by standard ops (opset 13+); returns how many.</summary>
    public static int Lower(OnnxModel model)
    {
        ArgumentNullException.ThrowIfNull(model);
        var graph = model.Graph;
        var fused = graph.Nodes.Where(IsFused).ToList();
        if (fused.Count == 0) return 0;
        if (model.OpsetVersion() < 13)
            throw new NotSupportedException($"Fused ops lower to opset 13+ forms; the model '{graph.Name}' is opset {model.OpsetVersion()}.");
        foreach (var node in fused)
        {
            if (node.OpType != NextTokenLogprobs)
                throw new NotSupportedException($"Unknown fused op {node.Domain}.{node.OpType} ('{node.Name}').");
            LowerNextTokenLogprobs(graph, node);
        }
        graph.TopologicalSort();
        return fused.Count;
    }

    private static void LowerNextTokenLogprobs(OnnxGraph g, Node node)
    {
        string x = node.Inputs[0], targets = node.Inputs[1];
        string logprob = node.Outputs[0], entropy = node.Outputs[1], logSoftmax = node.Outputs[2], p = node.Outputs[3];
        g.RemoveNode(node);
        var prefix = node.Name;
        string Op(string op, string[] inputs, params global::Onnx.AttributeProto[] attributes) =>
            g.OpNamed($"{prefix}/{op}", op, inputs, attributes);
        var lastAxis = g.ConstInt64s(prefix + "/last_axis", -1);
        g.AddNode("LogSoftmax", [x], [logSoftmax], g.UniqueName(prefix + "/LogSoftmax"), "", Attr.Int("axis", -1));
        var picked = Op("GatherElements", [logSoftmax, Op("Unsqueeze", [targets, lastAxis])], Attr.Int("axis", -1));
        g.AddNode("Squeeze", [picked, lastAxis], [logprob], g.UniqueName(prefix + "/logprob"));
        // Σ p·log p as a batch of [1, V]·[V, 1] products: the one temporary of the logits' size is p.
        g.AddNode("Exp", [logSoftmax], [p], g.UniqueName(prefix + "/Exp"));
        var row = Op("Unsqueeze", [p, g.ConstInt64s(prefix + "/row_axis", -2)]);
        var column = Op("Unsqueeze", [logSoftmax, lastAxis]);
        var expected = Op("Squeeze", [Op("MatMul", [row, column]), g.ConstInt64s(prefix + "/pair_axes", -2, -1)]);
        g.AddNode("Neg", [expected], [entropy], g.UniqueName(prefix + "/entropy"));
    }
}
