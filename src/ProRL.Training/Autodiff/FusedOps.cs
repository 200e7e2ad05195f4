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

    /// <summary>
    /// <see cref="NextTokenLogprobs"/> of the logits (x·W + b) / temperature, computed over slices of the tokens so
    /// that the [..., V] logits are never whole (<see cref="ProjectedHead"/>). Inputs <c>x</c> [..., H], <c>weight</c>
    /// [H, V], <c>targets</c> [...] (int64), <c>temperature</c> (scalar), optional <c>bias</c> [V]; attribute
    /// <c>chunks</c> and <c>min_rows</c>; outputs <c>logprob</c> and <c>entropy</c> [...].
    /// </summary>
    public const string ProjectedNextTokenLogprobs = "ProjectedNextTokenLogprobs";

    /// <summary>
    /// Fewest tokens in a slice of <see cref="ProjectedNextTokenLogprobs"/>: a [128, V] slice is 78 MB at V = 151,936,
    /// and fewer rows make matmuls that run far below the machine's rate.
    /// </summary>
    public const int DefaultMinSliceRows = 128;

    /// <summary>Adds a <see cref="NextTokenLogprobs"/> node; returns its three outputs.</summary>
    public static (string Logprob, string Entropy, string LogSoftmax, string Softmax) AddNextTokenLogprobs(OnnxGraph graph, string x, string targets)
    {
        var name = graph.UniqueName(NextTokenLogprobs);
        string[] outputs = [.. new[] { "logprob", "entropy", "log_softmax", "softmax" }.Select(o => graph.UniqueName($"{name}/{o}"))];
        graph.AddNode(NextTokenLogprobs, [x, targets], outputs, name, Domain);
        return (outputs[0], outputs[1], outputs[2], outputs[3]);
    }

    /// <summary>Adds a <see cref="ProjectedNextTokenLogprobs"/> node; returns its two outputs.</summary>
    public static (string Logprob, string Entropy) AddProjectedNextTokenLogprobs(OnnxGraph graph, string x, string weight,
        string? bias, string targets, string temperature, int chunks, int minRows = DefaultMinSliceRows)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(chunks, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(minRows, 1);
        var name = graph.UniqueName(ProjectedNextTokenLogprobs);
        string[] outputs = [graph.UniqueName($"{name}/logprob"), graph.UniqueName($"{name}/entropy")];
        graph.AddNode(ProjectedNextTokenLogprobs, bias is null ? [x, weight, targets, temperature] : [x, weight, targets, temperature, bias],
            outputs, name, Domain, Attr.Int("chunks", chunks), Attr.Int("min_rows", minRows));
        return (outputs[0], outputs[1]);
    }

    internal static ProjectedHeadInputs ProjectedInputs(Node node) =>
        new(node.Inputs[0], node.Inputs[1], node.Inputs[2], node.Inputs[3], node.Inputs.Count > 4 && node.Inputs[4].Length > 0 ? node.Inputs[4] : null);

    internal static int Chunks(Node node) => (int)node.GetInt("chunks", 1);
    internal static int MinRows(Node node) => (int)node.GetInt("min_rows", DefaultMinSliceRows);

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
            if (node.OpType == NextTokenLogprobs) LowerNextTokenLogprobs(graph, node);
            else if (node.OpType == ProjectedNextTokenLogprobs) LowerProjected(graph, node);
            else throw new NotSupportedException($"Unknown fused op {node.Domain}.{node.OpType} ('{node.Name}').");
        }
        graph.TopologicalSort();
        return fused.Count;
    }

    private static void LowerProjected(OnnxGraph g, Node node)
    {
        g.RemoveNode(node);
        var (logprob, entropy) = ProjectedHead.Forward(new GraphSink(g, node.Name), ProjectedInputs(node), Chunks(node), MinRows(node));
        g.AddNode("Identity", [logprob], [node.Outputs[0]], g.UniqueName(node.Name + "/logprob"));
        g.AddNode("Identity", [entropy], [node.Outputs[1]], g.UniqueName(node.Name + "/entropy"));
    }

    /// <summary>Adds nodes straight to a graph, named under a prefix.</summary>
    private sealed class GraphSink(OnnxGraph graph, string prefix) : IOpSink
    {
        public string Op(string opType, string[] inputs, params global::Onnx.AttributeProto[] attributes) =>
            graph.OpNamed($"{prefix}/{opType}", opType, inputs, attributes);

        public string Ints(params long[] values) => graph.ConstInt64s(prefix + "/const", values);
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
