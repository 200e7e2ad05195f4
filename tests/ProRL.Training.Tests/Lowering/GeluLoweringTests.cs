using ProRL.Onnx.Graph;
using ProRL.Onnx.Tensors;
using Tensor = ProRL.Onnx.Tensors.Tensor;
using static ProRL.Training.Tests.Lowering.OrtHarness;

namespace ProRL.Training.Tests.Lowering;

public class GeluLoweringTests
{
    private const int Rows = 6, Width = 24;

    private static void AssertMatches(Func<OnnxModel> build, params string[] inputNames)
    {
        var random = new Random(string.Join(",", inputNames).Length + build().Graph.Nodes[0].OpType.Length);
        // Inputs span [-4, 4] so both tails and the curved middle of GELU are exercised.
        var feeds = inputNames.ToDictionary(n => n, n => (object)Scaled(RandomFloats(random, Rows, Width), 4));
        AssertLoweringMatches(build, feeds);
    }

    [Fact]
    public void Gelu_matches_onnxruntime() =>
        AssertMatches(() => SingleNode("Gelu", OnnxModel.MicrosoftDomain, [F("x", Rows, Width)], [F("y", Rows, Width)]), "x");

    [Fact]
    public void Standard_gelu_with_tanh_approximation_matches_onnxruntime()
    {
        OnnxModel Build()
        {
            var m = SingleNode("Gelu", "", [F("x", Rows, Width)], [F("y", Rows, Width)], null, Attr.String("approximate", "tanh"));
            return m;
        }
        AssertMatches(Build, "x");
    }

    [Fact]
    public void FastGelu_with_bias_matches_onnxruntime()
    {
        var bias = Tensor.FromFloats("bias", [Width], RandomArray(new Random(7), Width));
        AssertMatches(() => SingleNode("FastGelu", OnnxModel.MicrosoftDomain, ["x", "bias"], [F("x", Rows, Width)], [F("y", Rows, Width)], [bias]), "x");
    }

    [Fact]
    public void BiasGelu_matches_onnxruntime()
    {
        var bias = Tensor.FromFloats("bias", [Width], RandomArray(new Random(8), Width));
        AssertMatches(() => SingleNode("BiasGelu", OnnxModel.MicrosoftDomain, ["x", "bias"], [F("x", Rows, Width)], [F("y", Rows, Width)], [bias]), "x");
    }

    [Fact]
    public void QuickGelu_with_custom_alpha_matches_onnxruntime() =>
        AssertMatches(() => SingleNode("QuickGelu", OnnxModel.MicrosoftDomain, [F("x", Rows, Width)], [F("y", Rows, Width)], null,
            Attr.Float("alpha", 1.3f)), "x");

    [Fact]
    public void Unknown_contrib_op_is_an_error_naming_op_node_and_model()
    {
        var model = SingleNode("MatMulNBits", OnnxModel.MicrosoftDomain, [F("x", Rows, Width)], [F("y", Rows, Width)]);
        var error = Assert.Throws<ProRL.Training.Lowering.LoweringException>(() =>
            LoweredNodeCount(model, new ProRL.Training.Lowering.LoweringOptions { ModelName = "models/x/model.onnx" }));
        Assert.Contains("MatMulNBits", error.Message);
        Assert.Contains("MatMulNBits_0", error.Message);
        Assert.Contains("models/x/model.onnx", error.Message);
    }
}
