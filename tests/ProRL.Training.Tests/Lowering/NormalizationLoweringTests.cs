using Microsoft.ML.OnnxRuntime.Tensors;
using ProRL.Onnx.Graph;
using ProRL.Onnx.Tensors;
using Tensor = ProRL.Onnx.Tensors.Tensor;
using static ProRL.Training.Tests.Lowering.OrtHarness;

namespace ProRL.Training.Tests.Lowering;

public class NormalizationLoweringTests
{
    private const int Batch = 2, Seq = 5, Hidden = 16;

    private static Dictionary<string, object> Feeds(Random random, params string[] names) =>
        names.ToDictionary(n => n, n => (object)RandomFloats(random, Batch, Seq, Hidden));

    private static Tensor Vector(string name, Random random) => Tensor.FromFloats(name, [Hidden], RandomArray(random, Hidden, 2));

    [Fact]
    public void SimplifiedLayerNormalization_matches_onnxruntime_including_inv_std()
    {
        var random = new Random(1);
        var scale = Vector("scale", random);
        AssertLoweringMatches(() => SingleNode("SimplifiedLayerNormalization", "", ["x", "scale"], [F("x", "b", "s", Hidden)],
            [F("y", "b", "s", Hidden), F("inv_std", "b", "s", 1)], [scale], Attr.Float("epsilon", 1e-6f), Attr.Int("axis", -1)),
            Feeds(random, "x"));
    }

    [Fact]
    public void SkipSimplifiedLayerNormalization_matches_onnxruntime_with_skip_sum_output()
    {
        var random = new Random(2);
        var gamma = Vector("gamma", random);
        AssertLoweringMatches(() => SingleNode("SkipSimplifiedLayerNormalization", OnnxModel.MicrosoftDomain, ["x", "skip", "gamma"],
            [F("x", "b", "s", Hidden), F("skip", "b", "s", Hidden)],
            [F("y", "b", "s", Hidden), new ValueInfo("", TensorDataType.Float, null), F("inv_std", "b", "s", 1), F("sum", "b", "s", Hidden)],
            [gamma], Attr.Float("epsilon", 1e-5f)).WithoutEmptyOutputs(),
            Feeds(random, "x", "skip"));
    }

    [Fact]
    public void SkipSimplifiedLayerNormalization_with_bias_matches_onnxruntime()
    {
        var random = new Random(3);
        var gamma = Vector("gamma", random);
        var bias = Vector("bias", random);
        AssertLoweringMatches(() => SingleNode("SkipSimplifiedLayerNormalization", OnnxModel.MicrosoftDomain, ["x", "skip", "gamma", "bias"],
            [F("x", "b", "s", Hidden), F("skip", "b", "s", Hidden)],
            [F("y", "b", "s", Hidden)], [gamma, bias], Attr.Float("epsilon", 1e-5f)),
            Feeds(random, "x", "skip"));
    }

    [Fact]
    public void LayerNormalization_is_lowered_on_request_and_matches_onnxruntime()
    {
        var random = new Random(4);
        var scale = Vector("scale", random);
        var bias = Vector("bias", random);
        OnnxModel Build() => SingleNode("LayerNormalization", "", ["x", "scale", "bias"], [F("x", "b", "s", Hidden)],
            [F("y", "b", "s", Hidden), F("mean", "b", "s", 1), F("inv_std", "b", "s", 1)], [scale, bias], Attr.Float("epsilon", 1e-5f));
        AssertLoweringMatches(Build, Feeds(random, "x"));

        var kept = Build();
        Assert.Equal(0, LoweredNodeCount(kept, new ProRL.Training.Lowering.LoweringOptions { LowerStandardFusedOps = false }));
        Assert.Contains(kept.Graph.Nodes, n => n.OpType == "LayerNormalization");
    }

    [Fact]
    public void SkipLayerNormalization_matches_onnxruntime_with_all_outputs()
    {
        var random = new Random(5);
        var gamma = Vector("gamma", random);
        var beta = Vector("beta", random);
        var bias = Vector("bias", random);
        AssertLoweringMatches(() => SingleNode("SkipLayerNormalization", OnnxModel.MicrosoftDomain, ["x", "skip", "gamma", "beta", "bias"],
            [F("x", "b", "s", Hidden), F("skip", "b", "s", Hidden)],
            [F("y", "b", "s", Hidden), F("mean", "b", "s", 1), F("inv_std", "b", "s", 1), F("sum", "b", "s", Hidden)],
            [gamma, beta, bias], Attr.Float("epsilon", 1e-5f)),
            Feeds(random, "x", "skip"));
    }
}

internal static class ModelTestExtensions
{
    /// <summary>Drops outputs named "" from the graph's output list (they stay as empty optional node outputs).</summary>
    public static OnnxModel WithoutEmptyOutputs(this OnnxModel model)
    {
        model.Graph.Outputs.RemoveAll(o => o.Name.Length == 0);
        return model;
    }
}
