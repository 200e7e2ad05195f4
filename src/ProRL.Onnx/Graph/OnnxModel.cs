namespace ProRL.Onnx.Graph;

/// <summary>An ONNX model: a graph plus the operator-set versions and metadata it is written against.</summary>
public sealed class OnnxModel
{
    public const string StandardDomain = "";
    public const string MicrosoftDomain = "com.microsoft";

    public OnnxModel(OnnxGraph graph) => Graph = graph;

    public OnnxGraph Graph { get; set; }
    public long IrVersion { get; set; } = 10;
    /// <summary>Operator-set version per domain ("" is ai.onnx).</summary>
    public Dictionary<string, long> Opsets { get; } = new(StringComparer.Ordinal) { [StandardDomain] = 21 };
    public string ProducerName { get; set; } = "ProRL.Onnx";
    public string ProducerVersion { get; set; } = "";
    public string Domain { get; set; } = "";
    public long ModelVersion { get; set; }
    public string DocString { get; set; } = "";
    public Dictionary<string, string> Metadata { get; } = new(StringComparer.Ordinal);
    /// <summary>Model-local functions and other parts we do not rewrite, carried through load/save untouched.</summary>
    public List<global::Onnx.FunctionProto> Functions { get; } = [];

    public long OpsetVersion(string domain = StandardDomain) =>
        Opsets.TryGetValue(domain == "ai.onnx" ? StandardDomain : domain, out var v) ? v : 0;

    /// <summary>
    /// A copy whose graph can be rewritten without touching this one. Tensor data arrays are shared (rewrites replace
    /// initializers, never mutate their bytes), so copying a multi-GB export is cheap.
    /// </summary>
    public OnnxModel Clone()
    {
        var g = Graph;
        var graph = new OnnxGraph { Name = g.Name };
        graph.Inputs.AddRange(g.Inputs);
        graph.Outputs.AddRange(g.Outputs);
        graph.ValueInfos.AddRange(g.ValueInfos);
        foreach (var t in g.Initializers) graph.AddInitializer(new Tensors.Tensor(t.Name, t.DataType, t.Dims, t.Data));
        foreach (var n in g.Nodes)
        {
            var node = new Node(n.OpType, n.Inputs, n.Outputs, n.Name, n.Domain);
            node.Attributes.AddRange(n.Attributes.Select(a => a.Clone()));
            graph.Nodes.Add(node);
        }
        var model = new OnnxModel(graph)
        {
            IrVersion = IrVersion,
            ProducerName = ProducerName,
            ProducerVersion = ProducerVersion,
            Domain = Domain,
            ModelVersion = ModelVersion,
            DocString = DocString,
        };
        model.Opsets.Clear();
        foreach (var (domain, version) in Opsets) model.Opsets[domain] = version;
        foreach (var (key, value) in Metadata) model.Metadata[key] = value;
        model.Functions.AddRange(Functions.Select(f => f.Clone()));
        return model;
    }
}
