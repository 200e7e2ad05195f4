using Onnx;
using ProRL.Onnx.Graph;
using ProRL.Onnx.IO;
using ProRL.Onnx.Tensors;

namespace ProRL.Training.Autodiff;

/// <summary>
/// Makes float64 variants of float32 graphs, for finite-difference gradient checks where float32 rounding would
/// swamp the difference quotients.
/// </summary>
public static class Float64Conversion
{
    /// <summary>
    /// Standard ops that ONNX Runtime's CPU execution provider only implements for float32 (checked against
    /// ORT 1.31 by the tests). In the float64 variant they run in float32 between a pair of Casts, so values
    /// passing through them carry float32 rounding (about 1e-7 relative).
    /// </summary>
    public static readonly IReadOnlySet<string> Float32OnlyOps = new HashSet<string>(StringComparer.Ordinal)
    {
        "Erf", "Softplus", "Mean",
    };

    /// <summary>
    /// A copy of <paramref name="model"/> computing in float64 what it computed in float32: float initializers,
    /// graph inputs/outputs and value infos, Cast/ConstantOfShape/Constant targets. The original is not changed.
    /// </summary>
    public static OnnxModel ToFloat64(OnnxModel model)
    {
        ArgumentNullException.ThrowIfNull(model);
        var copy = model.Clone();
        var graph = copy.Graph;
        var floatValues = FloatValues(model.Graph);

        foreach (var t in graph.Initializers.Where(t => t.DataType == TensorDataType.Float).ToList())
            graph.SetInitializer(ToDouble(t));
        Retype(graph.Inputs);
        Retype(graph.Outputs);
        Retype(graph.ValueInfos);

        foreach (var node in graph.Nodes.ToList())
        {
            if (!node.IsStandard) continue;
            foreach (var attribute in node.Attributes)
                Lowering.SubgraphConversion.Retype(attribute, t => t == TensorDataType.Float, TensorDataType.Double);
            switch (node.OpType)
            {
                case "Cast" or "EyeLike" or "RandomNormal" or "RandomUniform" or "RandomNormalLike" or "RandomUniformLike":
                    var attr = node.OpType == "Cast" ? "to" : "dtype";
                    if (node.GetInt(attr, -1) == (int)TensorDataType.Float) node.SetAttribute(Attr.Int(attr, (int)TensorDataType.Double));
                    break;
                case "Constant":
                    ConvertConstant(node);
                    break;
                case "ConstantOfShape":
                    if (node.Attribute("value") is { } v && v.T.DataType == (int)TensorDataType.Float)
                        node.SetAttribute(Attr.Tensor("value", ToDouble(TensorProtoConverter.FromProto(v.T))));
                    else if (node.Attribute("value") is null) // the default value is float32 zero
                        node.SetAttribute(Attr.Tensor("value", Tensor.FromArray("value", TensorDataType.Double, [1], [0.0])));
                    break;
            }
            if (Float32OnlyOps.Contains(node.OpType)) RunInFloat32(graph, node, floatValues);
        }
        return copy;
    }

    /// <summary>Names of the float32 values of the original graph (inputs, initializers, node outputs).</summary>
    private static HashSet<string> FloatValues(OnnxGraph graph)
    {
        var shapes = new ShapeInference(graph);
        var names = graph.Inputs.Select(i => i.Name)
            .Concat(graph.Initializers.Select(t => t.Name))
            .Concat(graph.Nodes.SelectMany(n => n.Outputs));
        return names.Where(n => shapes[n].Type == TensorDataType.Float).ToHashSet(StringComparer.Ordinal);
    }

    private static void Retype(List<ValueInfo> values)
    {
        for (int i = 0; i < values.Count; i++)
            if (values[i].ElementType == TensorDataType.Float) values[i] = values[i] with { ElementType = TensorDataType.Double };
    }

    private static Tensor ToDouble(Tensor t) =>
        Tensor.FromArray(t.Name, TensorDataType.Double, t.Dims, Array.ConvertAll(t.ToFloats(), f => (double)f));

    private static void ConvertConstant(Node node)
    {
        Tensor? value = node.Attribute("value") is { } v && v.T.DataType == (int)TensorDataType.Float ? TensorProtoConverter.FromProto(v.T)
            : node.Attribute("value_float") is { } f ? Tensor.Scalar("value", f.F)
            : node.Attribute("value_floats") is { } fs ? Tensor.FromFloats("value", [fs.Floats.Count], fs.Floats.ToArray())
            : null;
        if (value is null) return;
        node.Attributes.RemoveAll(a => a.Name is "value" or "value_float" or "value_floats");
        node.Attributes.Add(Attr.Tensor("value", ToDouble(value)));
    }

    /// <summary>Casts the node's (formerly float32) inputs down to float32 and its float32 outputs back up.</summary>
    private static void RunInFloat32(OnnxGraph graph, Node node, HashSet<string> floatValues)
    {
        int index = graph.Nodes.IndexOf(node);
        var before = new List<Node>();
        for (int i = 0; i < node.Inputs.Count; i++)
        {
            if (!floatValues.Contains(node.Inputs[i])) continue;
            var narrowed = graph.UniqueName(node.Inputs[i] + "/float32");
            before.Add(new Node("Cast", [node.Inputs[i]], [narrowed], graph.UniqueName(node.Name + "/cast_in"))
                { Attributes = { Attr.Int("to", (int)TensorDataType.Float) } });
            node.Inputs[i] = narrowed;
        }
        var after = new List<Node>();
        for (int i = 0; i < node.Outputs.Count; i++)
        {
            if (!floatValues.Contains(node.Outputs[i])) continue;
            var narrow = graph.UniqueName(node.Outputs[i] + "/float32");
            after.Add(new Node("Cast", [narrow], [node.Outputs[i]], graph.UniqueName(node.Name + "/cast_out"))
                { Attributes = { Attr.Int("to", (int)TensorDataType.Double) } });
            node.Outputs[i] = narrow;
        }
        graph.Nodes.InsertRange(index + 1, after);
        graph.Nodes.InsertRange(index, before);
        graph.ReserveNames(before.Concat(after).SelectMany(n => n.Outputs.Append(n.Name)));
    }
}
