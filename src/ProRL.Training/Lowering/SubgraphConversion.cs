using Onnx;
using ProRL.Onnx.IO;
using ProRL.Onnx.Tensors;

namespace ProRL.Training.Lowering;

/// <summary>
/// Changes a floating-point element type inside the subgraphs of control-flow attributes (If/Loop/Scan bodies), which
/// the graph IR keeps as protos: Constant values, initializers, declared outputs, inputs and value infos, and Cast
/// targets. The whole-graph precision conversions call it so that an If's branches agree with its outer types (LongRoPE
/// exports choose their cos/sin caches with an If whose branches are Constants).
/// </summary>
internal static class SubgraphConversion
{
    public static void Retype(AttributeProto attribute, Func<TensorDataType, bool> from, TensorDataType to)
    {
        if (attribute.G is { } graph) Retype(graph, from, to);
        foreach (var g in attribute.Graphs) Retype(g, from, to);
    }

    private static void Retype(GraphProto graph, Func<TensorDataType, bool> from, TensorDataType to)
    {
        for (int i = 0; i < graph.Initializer.Count; i++)
            if (from((TensorDataType)graph.Initializer[i].DataType)) graph.Initializer[i] = Convert(graph.Initializer[i], to);
        foreach (var value in graph.Input.Concat(graph.Output).Concat(graph.ValueInfo))
            if (value.Type?.TensorType is { } t && from((TensorDataType)t.ElemType)) t.ElemType = (int)to;
        foreach (var node in graph.Node)
            foreach (var a in node.Attribute)
            {
                if (a.T is { } tensor && from((TensorDataType)tensor.DataType)) a.T = Convert(tensor, to);
                if (a.Name is "to" or "dtype" && a.Type == AttributeProto.Types.AttributeType.Int && from((TensorDataType)a.I)) a.I = (long)to;
                Retype(a, from, to);
            }
    }

    private static TensorProto Convert(TensorProto proto, TensorDataType to)
    {
        var tensor = TensorProtoConverter.FromProto(proto);
        var values = tensor.ToFloats();
        var converted = to == TensorDataType.Double
            ? Tensor.FromArray(tensor.Name, TensorDataType.Double, tensor.Dims, values.Select(v => (double)v).ToArray())
            : Tensor.FromFloats(tensor.Name, to, tensor.Dims, values);
        return TensorProtoConverter.ToProto(converted);
    }
}
