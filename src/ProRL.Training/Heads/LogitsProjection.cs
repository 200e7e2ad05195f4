using ProRL.Onnx.Graph;
using ProRL.Training.Autodiff;

namespace ProRL.Training.Heads;

/// <summary>The decoder's output projection: logits = x·W (+ b), with the nodes that compute it.</summary>
/// <param name="X">The last hidden state [..., H].</param>
/// <param name="Weight">W [H, V] (a parameter, or a value computed from one, such as a tied embedding's transpose).</param>
/// <param name="Bias">b [V], or null.</param>
/// <param name="Nodes">The MatMul, the bias Add and any identity Casts up to the logits.</param>
public sealed record LogitsProjection(string X, string Weight, string? Bias, IReadOnlyList<Node> Nodes)
{
    /// <summary>
    /// Finds <c>logits = [Cast…] (MatMul(x, W) [+ b])</c> in <paramref name="graph"/>: the GenAI builder's
    /// <c>/lm_head/MatMul</c> with its optional bias Add and the Cast it may add, every value on the way read only by the
    /// next node and every Cast one that keeps the element type (a float16 projection is not matched: the fused head
    /// would compute it in another precision). Null when the logits are made any other way (a soft-cap, a scale);
    /// the head then runs on the whole logits.
    /// </summary>
    public static LogitsProjection? Find(OnnxGraph graph, string logits)
    {
        ArgumentNullException.ThrowIfNull(graph);
        var shapes = new ShapeInference(graph);
        var type = shapes[logits].Type;
        if (type is null) return null;
        var nodes = new List<Node>();
        var value = logits;
        while (true)
        {
            // The logits must have no reader yet (the head is about to be their only one), the values on the way one.
            if (graph.FindOutput(value) is not null || graph.Consumers(value).Count != (nodes.Count == 0 ? 0 : 1)) return null;
            var producer = graph.Producer(value);
            if (producer is null) return null;
            nodes.Add(producer);
            switch (producer.OpType)
            {
                case "Cast" when producer.IsStandard && shapes[producer.Inputs[0]].Type == type:
                    value = producer.Inputs[0];
                    continue;
                case "Add" when producer.IsStandard:
                    return FromAdd(graph, shapes, producer, nodes, type.Value);
                case "MatMul" when producer.IsStandard:
                    return FromMatMul(shapes, producer, null, nodes, type.Value);
                default:
                    return null;
            }
        }
    }

    private static LogitsProjection? FromAdd(OnnxGraph graph, ShapeInference shapes, Node add, List<Node> nodes, ProRL.Onnx.Tensors.TensorDataType type)
    {
        for (int side = 0; side < 2; side++)
        {
            string product = add.Inputs[side], bias = add.Inputs[1 - side];
            if (shapes[bias].Dims is not { Length: 1 } || graph.Consumers(product).Count != 1) continue;
            if (graph.Producer(product) is not { OpType: "MatMul", IsStandard: true } matMul) continue;
            nodes.Add(matMul);
            return FromMatMul(shapes, matMul, bias, nodes, type);
        }
        return null;
    }

    private static LogitsProjection? FromMatMul(ShapeInference shapes, Node matMul, string? bias, List<Node> nodes, ProRL.Onnx.Tensors.TensorDataType type)
    {
        string x = matMul.Inputs[0], weight = matMul.Inputs[1];
        if (shapes[weight].Dims is not { Length: 2 } w || shapes[x].Dims is not { Length: >= 2 }) return null;
        if (shapes[x].Type != type || shapes[weight].Type != type) return null;
        if (bias is not null && (shapes[bias].Type != type || !ShapeInference.SameDim(shapes[bias].Dims![0], w[1]))) return null;
        return new LogitsProjection(x, weight, bias, nodes);
    }
}
