using ProRL.Onnx.Graph;

namespace ProRL.Training.Autodiff;

/// <summary>
/// Ops of the domain <see cref="Domain"/>: nodes that exist only while a training graph is being built, so that
/// <see cref="GradientBuilder"/> can differentiate them with one hand-derived rule instead of op by op. <see cref="Lower"/>
/// expands them into standard ops before a graph is saved or run.
/// <para>
/// <see cref="NextTokenLogprobs"/>: inputs <c>x</c> [..., V] (temperature-scaled logits) and <c>targets</c> [...] (int64
/// indices into V); outputs <c>logprob</c> = x[target] − logsumexp(x), <c>entropy</c> = logsumexp(x) − Σ softmax(x)·x and
/// <c>logsumexp</c>, each [...]. Computed op by op (LogSoftmax, GatherElements, Exp, Mul, ReduceSum) the forward and
/// backward passes hold five to ten tensors of the logits' size at once, which at V = 151,936 is most of a training
/// step's memory; the fused forward keeps x and one softmax, and the fused backward is
/// dx = onehot·g_logprob − softmax(x)·(g_logprob + g_entropy·(entropy − logsumexp + x)).
/// </para>
/// </summary>
public static class FusedOps
{
    public const string Domain = "prorl.fused";
    public const string NextTokenLogprobs = "NextTokenLogprobs";

    /// <summary>Adds a <see cref="NextTokenLogprobs"/> node; returns its three outputs.</summary>
    public static (string Logprob, string Entropy, string LogSumExp) AddNextTokenLogprobs(OnnxGraph graph, string x, string targets)
    {
        var name = graph.UniqueName(NextTokenLogprobs);
        string[] outputs = [graph.UniqueName(name + "/logprob"), graph.UniqueName(name + "/entropy"), graph.UniqueName(name + "/logsumexp")];
        graph.AddNode(NextTokenLogprobs, [x, targets], outputs, name, Domain);
        return (outputs[0], outputs[1], outputs[2]);
    }

    public static bool IsFused(Node node) => node.Domain == Domain;

    /// <summary>Replaces every fused node of <paramref name="model"/> by standard ops (opset 18+); returns how many.</summary>
    public static int Lower(OnnxModel model)
    {
        ArgumentNullException.ThrowIfNull(model);
        var graph = model.Graph;
        var fused = graph.Nodes.Where(IsFused).ToList();
        if (fused.Count == 0) return 0;
        if (model.OpsetVersion() < 18)
            throw new NotSupportedException($"Fused ops lower to opset 18+ forms; the model '{graph.Name}' is opset {model.OpsetVersion()}.");
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
        string logprob = node.Outputs[0], entropy = node.Outputs[1], logSumExp = node.Outputs[2];
        g.RemoveNode(node);
        var prefix = node.Name;
        string Op(string op, string[] inputs, params global::Onnx.AttributeProto[] attributes) =>
            g.OpNamed($"{prefix}/{op}", op, inputs, attributes);
        var lastAxis = g.ConstInt64s(prefix + "/last_axis", -1);
        // The reductions and the gather keep the vocabulary axis as size 1; no intermediate has the logits' size.
        var lse = Op("ReduceLogSumExp", [x, lastAxis], Attr.Int("keepdims", 1));
        var picked = Op("GatherElements", [x, Op("Unsqueeze", [targets, lastAxis])], Attr.Int("axis", -1));
        g.AddNode("Squeeze", [Op("Sub", [picked, lse]), lastAxis], [logprob], g.UniqueName(prefix + "/logprob"));
        g.AddNode("Squeeze", [lse, lastAxis], [logSumExp], g.UniqueName(prefix + "/logsumexp"));
        // Σ softmax(x)·x as a batch of [1, V]·[V, 1] products: the one temporary of the logits' size is the softmax.
        var p = Op("Softmax", [x], Attr.Int("axis", -1));
        var row = Op("Unsqueeze", [p, g.ConstInt64s(prefix + "/row_axis", -2)]);
        var column = Op("Unsqueeze", [x, lastAxis]);
        var expected = Op("Squeeze", [Op("MatMul", [row, column]), lastAxis]);
        g.AddNode("Squeeze", [Op("Sub", [lse, expected]), lastAxis], [entropy], g.UniqueName(prefix + "/entropy"));
    }
}
