using ProRL.Onnx.Graph;
using ProRL.Onnx.Tensors;

namespace ProRL.Training.Lowering;

/// <summary>
/// A copy of a model whose graph can be rewritten without touching the original. Tensor data arrays are shared
/// (rewrites replace initializers, never mutate their bytes), so copying a multi-GB export is cheap.
/// </summary>
public static class ModelCopy
{
    public static OnnxModel Of(OnnxModel source)
    {
        var g = source.Graph;
        var graph = new OnnxGraph { Name = g.Name };
        graph.Inputs.AddRange(g.Inputs);
        graph.Outputs.AddRange(g.Outputs);
        graph.ValueInfos.AddRange(g.ValueInfos);
        foreach (var t in g.Initializers) graph.AddInitializer(new Tensor(t.Name, t.DataType, t.Dims, t.Data));
        foreach (var n in g.Nodes)
        {
            var node = new Node(n.OpType, n.Inputs, n.Outputs, n.Name, n.Domain);
            node.Attributes.AddRange(n.Attributes.Select(a => a.Clone()));
            graph.Nodes.Add(node);
        }
        var model = new OnnxModel(graph)
        {
            IrVersion = source.IrVersion,
            ProducerName = source.ProducerName,
            ProducerVersion = source.ProducerVersion,
            Domain = source.Domain,
            ModelVersion = source.ModelVersion,
            DocString = source.DocString,
        };
        model.Opsets.Clear();
        foreach (var (domain, version) in source.Opsets) model.Opsets[domain] = version;
        foreach (var (key, value) in source.Metadata) model.Metadata[key] = value;
        model.Functions.AddRange(source.Functions.Select(f => f.Clone()));
        return model;
    }
}
