using System.Globalization;
using ProRL.Onnx.Graph;
using ProRL.Onnx.IO;
using ProRL.Onnx.Tensors;
using ProRL.Rollout.ModelGeneration;
using ProRL.TestSupport;

namespace ProRL.Rollout.Tests;

/// <summary>
/// The generator against the real GenAI builder exports in ../shared/fixtures (CI lays ../shared beside the checkout;
/// PRORL_FIXTURES overrides the folder): given the fixture's shape, the generated graph is the export's graph.
/// </summary>
public class ModelGeneratorFixtureTests
{
    [Fact]
    public void GeneratedMhaFp16Opset14_IsTheBuilderExportNodeForNode()
    {
        var fixture = OnnxModelIO.Load(Path.Combine(SharedFixtures.Path(SharedFixtures.LlamaFp16Mha), "model.onnx"));
        using var dir = new TempDirectory();
        // tiny-random-LlamaForCausalLM: 2 layers, hidden 16, 1 head, MLP 64, vocabulary 32,000, context 2048, no bias.
        var spec = DecoderSpec.Tiny with
        {
            Layers = 2, Hidden = 16, Heads = 1, KvHeads = 1, Intermediate = 64, Context = 2048, Vocab = 32000, QkvBias = false,
            Precision = ModelPrecision.Fp16, Attention = AttentionLayout.Mha, Opset = 14,
        };
        var generated = OnnxModelIO.Load(ModelGenerator.Write(spec, dir.Path).ModelPath);

        Assert.Equal(fixture.IrVersion, generated.IrVersion);
        Assert.Equal(fixture.Opsets.OrderBy(o => o.Key), generated.Opsets.OrderBy(o => o.Key));
        Assert.Equal(fixture.Graph.Inputs.Select(v => v.ToString()), generated.Graph.Inputs.Select(v => v.ToString()));
        Assert.Equal(fixture.Graph.Outputs.Select(v => v.ToString()), generated.Graph.Outputs.Select(v => v.ToString()));
        // Same nodes, names, wiring and attributes; constants compared by value (the export holds them in Constant
        // nodes, the generator in initializers named as the current builder names them).
        Assert.Equal(Describe(fixture), Describe(generated));
        // Same weights by name, shape and type (values are random in both).
        Assert.Equal(Weights(fixture), Weights(generated));
    }

    [Fact]
    public void GeneratedGqaFp32Opset14_HasTheBuilderExportsNodesAndWeights()
    {
        var fixture = OnnxModelIO.Load(Path.Combine(SharedFixtures.Path(SharedFixtures.LlamaFp32Opset14), "model.onnx"));
        using var dir = new TempDirectory();
        var spec = DecoderSpec.Tiny with
        {
            Layers = 2, Hidden = 16, Heads = 1, KvHeads = 1, Intermediate = 64, Context = 2048, Vocab = 32000, QkvBias = false, Opset = 14,
        };
        var generated = OnnxModelIO.Load(ModelGenerator.Write(spec, dir.Path).ModelPath);
        Assert.Equal((fixture.IrVersion, fixture.OpsetVersion()), (generated.IrVersion, generated.OpsetVersion()));
        Assert.Equal(fixture.Graph.Inputs.Select(v => v.ToString()), generated.Graph.Inputs.Select(v => v.ToString()));
        Assert.Equal(fixture.Graph.Outputs.Select(v => v.ToString()), generated.Graph.Outputs.Select(v => v.ToString()));
        // Node for node by name and operator. (The 2024 export's ReduceSum keeps its reduced axis, seqlens_k [B, 1];
        // the generator writes the current builder's keepdims=0, so attributes are not compared here.)
        static IEnumerable<string> Ops(OnnxModel m) =>
            m.Graph.Nodes.Where(n => n.OpType != "Constant").Select(n => $"{n.Name} {n.Domain}.{n.OpType}").Order(StringComparer.Ordinal);
        Assert.Equal(Ops(fixture), Ops(generated));
        var gqa = generated.Graph.Nodes.First(n => n.OpType == "GroupQueryAttention");
        var expected = fixture.Graph.Nodes.First(n => n.OpType == "GroupQueryAttention");
        Assert.Equal(expected.Inputs, gqa.Inputs);
        foreach (var name in new[] { "num_heads", "kv_num_heads", "do_rotary", "rotary_interleaved" })
            Assert.Equal(expected.GetInt(name, -7), gqa.GetInt(name, -7));
        Assert.Equal((expected.GetFloat("scale", 0), expected.GetFloat("softcap", 0)), (gqa.GetFloat("scale", 0), gqa.GetFloat("softcap", 0)));
        Assert.Equal(Weights(fixture), Weights(generated));
    }

    private static List<string> Weights(OnnxModel model) =>
        [.. model.Graph.Initializers.Where(t => !t.Name.StartsWith("/model/constants/", StringComparison.Ordinal))
            .Select(t => t.ToString()).Order(StringComparer.Ordinal)];

    private static List<string> Describe(OnnxModel model)
    {
        var g = model.Graph;
        var constants = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var n in g.Nodes.Where(n => n.OpType == "Constant"))
            constants[n.Outputs[0]] = Value(TensorProtoConverter.FromProto(n.Attribute("value")!.T));
        foreach (var t in g.Initializers.Where(t => t.Name.StartsWith("/model/constants/", StringComparison.Ordinal)))
            constants[t.Name] = Value(t);
        string Input(string name) => constants.TryGetValue(name, out var v) ? v : name;
        return [.. g.Nodes.Where(n => n.OpType != "Constant")
            .Select(n => $"{n.Name} {n.Domain}.{n.OpType}({string.Join(", ", n.Inputs.Select(Input))}) -> {string.Join(", ", n.Outputs)} " +
                         string.Join(" ", n.Attributes.OrderBy(a => a.Name, StringComparer.Ordinal).Select(Attribute)))
            .Order(StringComparer.Ordinal)];
    }

    private static string Attribute(global::Onnx.AttributeProto a) => a.Name + "=" + (a.T is { } t && a.Type == global::Onnx.AttributeProto.Types.AttributeType.Tensor
        ? Value(TensorProtoConverter.FromProto(t))
        : a.Type switch
        {
            global::Onnx.AttributeProto.Types.AttributeType.Int => a.I.ToString(CultureInfo.InvariantCulture),
            global::Onnx.AttributeProto.Types.AttributeType.Float => a.F.ToString("R", CultureInfo.InvariantCulture),
            global::Onnx.AttributeProto.Types.AttributeType.Ints => "[" + string.Join(",", a.Ints) + "]",
            _ => a.S.ToStringUtf8(),
        });

    private static string Value(Tensor t) => $"{t.DataType}[{string.Join(",", t.Dims)}]{{" + (t.DataType.IsFloatingPoint()
        ? string.Join(",", t.ToFloats().Select(v => v.ToString("R", CultureInfo.InvariantCulture)))
        : string.Join(",", t.ToInt64s())) + "}";
}
