using ProRL.Onnx.Graph;
using ProRL.Onnx.Tensors;
using ProRL.Onnx.IO;

namespace ProRL.Training.Lowering;

/// <summary>
/// Forward element-type inference, enough to create constants of the right type while rewriting: graph inputs,
/// initializers and annotations seed it, and per-op rules (type-changing ops; otherwise "same as the first input")
/// carry it through the nodes in order.
/// </summary>
public static class ElementTypes
{
    public static Dictionary<string, TensorDataType> Infer(OnnxGraph graph)
    {
        var types = new Dictionary<string, TensorDataType>(StringComparer.Ordinal);
        foreach (var v in graph.Inputs) types[v.Name] = v.ElementType;
        foreach (var t in graph.Initializers) types[t.Name] = t.DataType;
        foreach (var v in graph.ValueInfos) types.TryAdd(v.Name, v.ElementType);
        foreach (var v in graph.Outputs) types.TryAdd(v.Name, v.ElementType);
        foreach (var node in graph.Nodes) InferNode(node, types);
        return types;
    }

    /// <summary>Adds the types of <paramref name="node"/>'s outputs that its inputs determine.</summary>
    public static void InferNode(Node node, Dictionary<string, TensorDataType> types)
    {
        for (int i = 0; i < node.Outputs.Count; i++)
        {
            var output = node.Outputs[i];
            if (output.Length == 0 || types.ContainsKey(output)) continue;
            if (OutputType(node, i, types) is { } type) types[output] = type;
        }
    }

    private static TensorDataType? OutputType(Node node, int outputIndex, Dictionary<string, TensorDataType> types)
    {
        TensorDataType? InputType(int i) => node.Input(i) is { } name && types.TryGetValue(name, out var t) ? t : null;
        switch (node.OpType)
        {
            case "Cast": return (TensorDataType)node.GetInt("to", 0);
            case "CastLike": return InputType(1);
            case "Shape" or "Size" or "NonZero" or "ArgMax" or "ArgMin": return TensorDataType.Int64;
            case "Equal" or "Less" or "Greater" or "LessOrEqual" or "GreaterOrEqual" or "And" or "Or" or "Xor"
                or "Not" or "IsNaN" or "IsInf":
                return TensorDataType.Bool;
            case "Where": return InputType(1) ?? InputType(2);
            case "Constant":
                return node.Attribute("value") is { T: not null } a ? TensorProtoConverter.FromProto(a.T).DataType
                    : node.Attribute("value_float") is not null || node.Attribute("value_floats") is not null ? TensorDataType.Float
                    : TensorDataType.Int64;
            case "ConstantOfShape":
                return node.Attribute("value") is { T: not null } v ? TensorProtoConverter.FromProto(v.T).DataType : TensorDataType.Float;
            case "TopK" when outputIndex == 1: return TensorDataType.Int64;
            // Saved mean / inverse standard deviation are float whatever the input type.
            case "LayerNormalization" or "SimplifiedLayerNormalization" when outputIndex > 0: return TensorDataType.Float;
            case "SkipLayerNormalization" or "SkipSimplifiedLayerNormalization" when outputIndex is 1 or 2: return TensorDataType.Float;
            case "MatMulNBits": return InputType(2);
            default:
                for (int i = 0; i < node.Inputs.Count; i++)
                    if (InputType(i) is { } t) return t;
                return null;
        }
    }
}
