using ProRL.Onnx.Graph;

namespace ProRL.Training.Lowering;

/// <summary>
/// What little of a value's shape can be known without running the graph: annotations, initializers, and a few
/// producers whose output rank or last dimension follows from their inputs (MatMul by a weight, bias Add, Reshape
/// to a constant shape, ...). Used to choose between layouts; answers null when it cannot tell.
/// </summary>
internal sealed class StaticShapes(OnnxGraph graph)
{
    private readonly Dictionary<string, Node> _producers = graph.ProducerIndex();
    private readonly Dictionary<string, Dim[]?> _annotated = graph.Inputs.Concat(graph.ValueInfos).Concat(graph.Outputs)
        .GroupBy(v => v.Name).ToDictionary(g => g.Key, g => g.First().Shape, StringComparer.Ordinal);

    private static readonly HashSet<string> ElementwiseOps =
    [
        "Add", "Sub", "Mul", "Div", "Pow", "Cast", "CastLike", "Identity", "Sigmoid", "Tanh", "Erf", "Relu", "Neg",
        "Sqrt", "Exp", "Log", "Softmax", "Where", "Gelu", "FastGelu", "BiasGelu", "QuickGelu", "RotaryEmbedding",
        "SimplifiedLayerNormalization", "SkipSimplifiedLayerNormalization", "LayerNormalization", "SkipLayerNormalization",
    ];

    public int? Rank(string value) => Rank(value, 0);

    private int? Rank(string value, int depth)
    {
        if (depth > 64) return null;
        if (_annotated.TryGetValue(value, out var shape) && shape is not null) return shape.Length;
        if (graph.Initializer(value) is { } init) return init.Dims.Length;
        if (!_producers.TryGetValue(value, out var node)) return null;
        switch (node.OpType)
        {
            case "GroupQueryAttention" or "MultiHeadAttention" when node.Outputs[0] == value: return 3;
            case "Transpose" when node.GetInts("perm") is { } perm: return perm.Length;
            case "Reshape" when graph.Initializer(node.Inputs[1]) is { } s: return (int)s.ElementCount();
            case "Unsqueeze" when graph.Initializer(node.Inputs[1]) is { } a && Rank(node.Inputs[0], depth + 1) is { } r:
                return r + (int)a.ElementCount();
            case "Gather" when Rank(node.Inputs[0], depth + 1) is { } d && Rank(node.Inputs[1], depth + 1) is { } i:
                return d + i - 1;
            case "MatMul":
                var ra = Rank(node.Inputs[0], depth + 1);
                var rb = Rank(node.Inputs[1], depth + 1);
                return ra is null || rb is null ? null : Math.Max(ra.Value, rb.Value);
            case "Slice" or "Split" or "Concat": return Rank(node.Inputs[0], depth + 1);
        }
        if (!ElementwiseOps.Contains(node.OpType)) return null;
        int? max = null;
        foreach (var input in node.Inputs.Where(i => i.Length > 0))
        {
            var r = Rank(input, depth + 1);
            if (r is null && node.OpType is not ("Add" or "Sub" or "Mul" or "Div" or "Where")) return null;
            if (r is not null) max = Math.Max(max ?? 0, r.Value);
        }
        return max;
    }

    /// <summary>
    /// An If output's last axis when both branches give it the same fixed size (declared on the branch output, or the
    /// dims of a Constant producing it): LongRoPE exports choose their cos/sin caches with an If.
    /// </summary>
    private static long? IfBranchesLastDim(Node node, int output)
    {
        long? Branch(string name)
        {
            if (node.Attribute(name)?.G is not { } g || output < 0 || output >= g.Output.Count) return null;
            var declared = g.Output[output].Type?.TensorType?.Shape?.Dim;
            if (declared is { Count: > 0 } && declared[^1].HasDimValue) return declared[^1].DimValue;
            var constant = g.Node.FirstOrDefault(n => n.OpType == "Constant" && n.Output.Contains(g.Output[output].Name));
            var dims = constant?.Attribute.FirstOrDefault(a => a.Name == "value")?.T?.Dims;
            return dims is { Count: > 0 } ? dims[^1] : null;
        }
        var then = Branch("then_branch");
        return then is not null && then == Branch("else_branch") ? then : null;
    }

    /// <summary>The size of the last axis when it is fixed and can be traced.</summary>
    public long? LastDim(string value) => LastDim(value, 0);

    private long? LastDim(string value, int depth)
    {
        if (depth > 64) return null;
        if (_annotated.TryGetValue(value, out var shape) && shape is { Length: > 0 } && shape[^1].Value is { } v) return v;
        if (graph.Initializer(value) is { Dims.Length: > 0 } init) return init.Dims[^1];
        if (!_producers.TryGetValue(value, out var node)) return null;
        return node.OpType switch
        {
            "If" => IfBranchesLastDim(node, node.Outputs.IndexOf(value)),
            "MatMul" => LastDim(node.Inputs[1], depth + 1),
            "Add" or "Sub" or "Mul" => LastDim(node.Inputs[0], depth + 1) ?? LastDim(node.Inputs[1], depth + 1),
            "Cast" or "Identity" => LastDim(node.Inputs[0], depth + 1),
            _ => null,
        };
    }
}
