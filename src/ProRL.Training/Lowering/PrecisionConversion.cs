using ProRL.Onnx.Graph;
using ProRL.Onnx.IO;
using ProRL.Onnx.Tensors;

namespace ProRL.Training.Lowering;

/// <summary>Checks and conversions of an export's numeric precision for training.</summary>
public static class PrecisionConversion
{
    /// <summary>Contrib ops that carry quantized (int4/int8) weights: such exports cannot be trained.</summary>
    private static readonly HashSet<string> QuantizedWeightOps =
        ["MatMulNBits", "GatherBlockQuantized", "MatMulBnb4", "MatMulFpQ4", "MatMulNBitsMlp", "MatMulNBitsQkv", "DynamicQuantizeMatMul", "MatMulIntegerToFloat"];

    /// <summary>Throws when the export has quantized weights, saying which export to make instead.</summary>
    public static void EnsureTrainablePrecision(OnnxModel model, string? modelName = null)
    {
        var quantized = model.Graph.Nodes.FirstOrDefault(n => !n.IsStandard && QuantizedWeightOps.Contains(n.OpType));
        if (quantized is null) return;
        throw new LoweringException(
            $"Model '{modelName ?? model.Graph.Name}' is a quantized (int4) export: node '{quantized.Name}' is {quantized.Domain}.{quantized.OpType}, " +
            "and quantized weights cannot be trained. Export the model in fp32, fp16 or bf16 instead " +
            "(ONNX Runtime GenAI model builder: --precision fp32, fp16 or bf16) and build the training artifacts from that export.");
    }

    /// <summary>
    /// A copy of <paramref name="model"/> computing in float32: fp16/bf16 initializers, Constant values, Cast targets
    /// and graph value types become float32, so that training keeps fp32 master weights.
    /// </summary>
    public static OnnxModel ConvertToFloat32(OnnxModel model)
    {
        var copy = model.Clone();
        var graph = copy.Graph;
        foreach (var t in graph.Initializers.ToList())
            if (IsHalf(t.DataType)) graph.SetInitializer(Tensor.FromFloats(t.Name, t.Dims, t.ToFloats()));
        ConvertValueInfos(graph.Inputs);
        ConvertValueInfos(graph.Outputs);
        ConvertValueInfos(graph.ValueInfos);
        foreach (var node in graph.Nodes)
            foreach (var attribute in node.Attributes)
                ConvertAttribute(attribute);
        return copy;
    }

    private static bool IsHalf(TensorDataType type) => type is TensorDataType.Float16 or TensorDataType.BFloat16;

    private static void ConvertValueInfos(List<ValueInfo> values)
    {
        for (int i = 0; i < values.Count; i++)
            if (IsHalf(values[i].ElementType)) values[i] = values[i] with { ElementType = TensorDataType.Float };
    }

    /// <summary>Type-valued attributes (Cast's "to", "dtype") and half-precision tensor attributes (Constant values).</summary>
    private static void ConvertAttribute(global::Onnx.AttributeProto attribute)
    {
        if (attribute.Name is "to" or "dtype" && attribute.Type == global::Onnx.AttributeProto.Types.AttributeType.Int
            && IsHalf((TensorDataType)attribute.I))
            attribute.I = (long)TensorDataType.Float;
        if (attribute.T is { } proto && IsHalf((TensorDataType)proto.DataType))
        {
            var tensor = TensorProtoConverter.FromProto(proto);
            attribute.T = TensorProtoConverter.ToProto(Tensor.FromFloats(tensor.Name, tensor.Dims, tensor.ToFloats()));
        }
        SubgraphConversion.Retype(attribute, IsHalf, TensorDataType.Float);
    }
}
