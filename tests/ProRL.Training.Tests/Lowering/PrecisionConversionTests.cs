using ProRL.Onnx.Graph;
using ProRL.Onnx.IO;
using ProRL.Onnx.Tensors;
using ProRL.Training.Lowering;
using static ProRL.Training.Tests.Lowering.OrtHarness;

namespace ProRL.Training.Tests.Lowering;

public class PrecisionConversionTests
{
    /// <summary>y = Cast<half>(x) · w + c, with w a half/bfloat16 initializer and c a half Constant node.</summary>
    private static OnnxModel HalfModel(TensorDataType half)
    {
        var graph = new OnnxGraph { Name = "half" };
        graph.Inputs.Add(new ValueInfo("x", TensorDataType.Float, [3]));
        graph.Outputs.Add(new ValueInfo("y", half, [3]));
        graph.AddInitializer(Tensor.FromFloats("w", half, [3], [0.5f, -2f, 1.25f]));
        var cast = graph.Op("Cast", ["x"], Attr.Int("to", (long)half));
        var constant = graph.Op("Constant", [], Attr.Tensor("value", Tensor.FromFloats("c", half, [3], [1f, 2f, 3f])));
        graph.AddNode("Add", [graph.Op("Mul", [cast, "w"]), constant], ["y"]);
        return new OnnxModel(graph);
    }

    [Theory]
    [InlineData(TensorDataType.Float16)]
    [InlineData(TensorDataType.BFloat16)]
    public void ConvertToFloat32_makes_weights_constants_casts_and_outputs_float(TensorDataType half)
    {
        var original = HalfModel(half);
        var converted = PrecisionConversion.ConvertToFloat32(original);

        Assert.All(converted.Graph.Initializers, t => Assert.Equal(TensorDataType.Float, t.DataType));
        Assert.Equal(TensorDataType.Float, converted.Graph.Outputs[0].ElementType);
        Assert.Equal((long)TensorDataType.Float, converted.Graph.Nodes.Single(n => n.OpType == "Cast").GetInt("to", 0));
        Assert.Equal(half, original.Graph.Initializer("w")!.DataType); // the original is untouched

        var feeds = new Dictionary<string, object>
        {
            ["x"] = new Microsoft.ML.OnnxRuntime.Tensors.DenseTensor<float>(new[] { 2f, 0.25f, -4f }, [3]),
        };
        // x·w + c computed by hand: 2·0.5+1, 0.25·(−2)+2, −4·1.25+3.
        Assert.Equal([2f, 1.5f, -2f], Run(converted, feeds)["y"]);
    }

    [Fact]
    public void Float32_models_are_copied_unchanged()
    {
        var model = PrecisionConversion.ConvertToFloat32(HalfModel(TensorDataType.Float16));
        var again = PrecisionConversion.ConvertToFloat32(model);
        Assert.Equal(OnnxModelIO.ToBytes(model), OnnxModelIO.ToBytes(again));
    }
}
