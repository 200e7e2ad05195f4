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
}
