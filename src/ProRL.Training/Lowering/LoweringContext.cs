using Onnx;
using ProRL.Onnx.Graph;
using ProRL.Onnx.Tensors;

namespace ProRL.Training.Lowering;

/// <summary>
/// Shared state of one lowering pass over a graph: element types, cached constants, and helpers that emit standard
/// ops named after the node being replaced (so a lowered graph still reads like the original).
/// </summary>
internal sealed class LoweringContext
{
    private readonly Dictionary<string, TensorDataType> _types;
    private readonly Dictionary<string, Node> _emitted = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _constants = new(StringComparer.Ordinal);

    public LoweringContext(OnnxGraph graph, string modelName)
    {
        Graph = graph;
        ModelName = modelName;
        _types = ElementTypes.Infer(graph);
    }

    public OnnxGraph Graph { get; }
    public string ModelName { get; }
    /// <summary>Values computed once per pass and shared by every node that needs them (attention masks).</summary>
    public Dictionary<string, string> Shared { get; } = new(StringComparer.Ordinal);

    /// <summary>Several sequences per row: see <see cref="LoweringOptions.PackedSequences"/>.</summary>
    public bool PackedSequences { get; init; }

    /// <summary>Attention nodes lowered with the packed-sequence mask (a packed lowering with none is refused).</summary>
    public int PackedAttentionNodes { get; set; }

    /// <summary>Prefix for the names of the nodes that replace the node being lowered.</summary>
    public string Scope { get; set; } = "lowered";

    /// <summary>A refusal naming the model, the node and its op, with the export to make instead.</summary>
    public LoweringException Error(Node node, string problem) =>
        new($"Model '{ModelName}', node '{node.Name}' ({(node.IsStandard ? "" : node.Domain + ".")}{node.OpType}): {problem} {ContribOpLowering.ReexportAdvice}");

    public TensorDataType TypeOf(string value, Node forNode) =>
        _types.TryGetValue(value, out var t) ? t
            : throw Error(forNode, $"cannot determine the element type of input '{value}' (annotate it with a value_info).");

    /// <summary>Appends a standard op and returns its (fresh) output name.</summary>
    public string Emit(string opType, IEnumerable<string> inputs, params AttributeProto[] attributes) =>
        EmitMulti(opType, inputs, 1, attributes)[0];

    public string[] EmitMulti(string opType, IEnumerable<string> inputs, int outputCount, params AttributeProto[] attributes)
    {
        var name = Graph.UniqueName($"{Scope}/{opType}");
        var outputs = Enumerable.Range(0, outputCount).Select(i => Graph.UniqueName($"{name}/output_{i}")).ToArray();
        var node = Graph.AddNode(opType, inputs, outputs, name, "", attributes);
        ElementTypes.InferNode(node, _types);
        foreach (var o in outputs) _emitted[o] = node;
        return outputs;
    }

    /// <summary>
    /// Makes <paramref name="result"/> available under the replaced node's output name <paramref name="output"/>:
    /// renames the emitting node's output when this pass emitted it, otherwise adds an Identity.
    /// </summary>
    public void Bind(string result, string output)
    {
        if (output.Length == 0) return;
        if (_emitted.Remove(result, out var node))
        {
            node.Outputs[node.Outputs.IndexOf(result)] = output;
            Graph.ReplaceUses(result, output); // emitted nodes may already read the value
            _emitted[output] = node;
            if (_types.Remove(result, out var t)) _types[output] = t;
        }
        else
        {
            var id = Graph.UniqueName($"{Scope}/Identity");
            Graph.AddNode("Identity", [result], [output], id);
            if (_types.TryGetValue(result, out var t)) _types[output] = t;
        }
    }

    // ---------- constants (initializers, shared across the pass) ----------

    public string Scalar(double value, TensorDataType type)
    {
        var key = $"s:{type}:{value:R}";
        if (_constants.TryGetValue(key, out var name)) return name;
        var tensor = type switch
        {
            TensorDataType.Int64 => Tensor.Scalar("c", (long)value),
            TensorDataType.Int32 => Tensor.FromInt32s("c", [], [(int)value]),
            _ => Tensor.FromFloats("c", type, [], [(float)value]),
        };
        return _constants[key] = Graph.Const("lowering_const", tensor);
    }

    public string Int64s(params long[] values)
    {
        var key = "i:" + string.Join(",", values);
        if (_constants.TryGetValue(key, out var name)) return name;
        return _constants[key] = Graph.ConstInt64s("lowering_ints", values);
    }

    /// <summary>The most negative finite value of a float type: a mask fill that never makes softmax produce NaN.</summary>
    public static double LowestFinite(TensorDataType type) => type switch
    {
        TensorDataType.Float16 => -65504.0,
        TensorDataType.BFloat16 => -3.3895313892515355e38,
        TensorDataType.Double => -1.0e300,
        _ => float.MinValue,
    };

    // ---------- short forms for the ops the lowerings use ----------

    public string Add(string a, string b) => Emit("Add", [a, b]);
    public string Sub(string a, string b) => Emit("Sub", [a, b]);
    public string Mul(string a, string b) => Emit("Mul", [a, b]);
    public string Div(string a, string b) => Emit("Div", [a, b]);
    public string MatMul(string a, string b) => Emit("MatMul", [a, b]);
    public string Cast(string x, TensorDataType to) => Emit("Cast", [x], Attr.Int("to", (long)to));
    public string Transpose(string x, params long[] perm) => Emit("Transpose", [x], Attr.Ints("perm", perm));
    public string Reshape(string x, params long[] shape) => Emit("Reshape", [x, Int64s(shape)]);
    public string Unsqueeze(string x, params long[] axes) => Emit("Unsqueeze", [x, Int64s(axes)]);
    public string ReduceMean(string x, params long[] axes) => Emit("ReduceMean", [x, Int64s(axes)], Attr.Int("keepdims", 1));
    public string Concat(long axis, params string[] parts) => Emit("Concat", parts, Attr.Int("axis", axis));

    public string Slice(string x, long axis, long start, long end) =>
        Emit("Slice", [x, Int64s(start), Int64s(end), Int64s(axis)]);
}
