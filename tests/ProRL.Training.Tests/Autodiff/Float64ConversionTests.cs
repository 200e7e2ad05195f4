using Microsoft.ML.OnnxRuntime;
using ProRL.Onnx.Graph;
using ProRL.Onnx.IO;
using ProRL.Onnx.Tensors;
using ProRL.Training.Autodiff;

namespace ProRL.Training.Tests.Autodiff;

public class Float64ConversionTests
{
    [Fact]
    public void Float64_variant_computes_the_same_values_with_double_types_everywhere()
    {
        var t = new TestGraph(1, TensorDataType.Float);
        var x = t.Input("x", [2, 3]);
        var w = t.Initializer("w", [3, 4]);
        var constant = t.Graph.AddNode("Constant", [], ["c"], "const", "", Attr.Float("value_float", 0.25f)).Outputs[0];
        var zeros = t.Op("ConstantOfShape", [t.Ints(2, 4)]);
        var h = t.Op("Add", [t.Op("Erf", [t.Op("MatMul", [x, w])]), t.Op("Add", [zeros, constant])]);
        var y = t.Op("Cast", [t.Op("Cast", [h], Attr.Int("to", 11))], Attr.Int("to", 1));
        var model = t.Model(y);
        var before = OnnxModelIO.ToBytes(model);

        var converted = Float64Conversion.ToFloat64(model);

        Assert.Equal(before, OnnxModelIO.ToBytes(model)); // the original is untouched
        Assert.Equal(TensorDataType.Double, converted.Graph.Initializer(w)!.DataType);
        Assert.Equal(TensorDataType.Double, converted.Graph.Inputs.Single().ElementType);
        Assert.Equal(TensorDataType.Double, converted.Graph.Outputs.Single().ElementType);
        Assert.All(converted.Graph.Nodes.Where(n => n.OpType == "Cast" && n.Outputs[0] == y), n => Assert.Equal(11, n.GetInt("to", 0)));

        using var floatSession = new InferenceSession(OnnxModelIO.ToBytes(model));
        using var doubleSession = new InferenceSession(OnnxModelIO.ToBytes(converted));
        var expected = OrtTensors.ToDoubles(OrtTensors.Run(floatSession, t.Feeds, [y])[y]);
        var wide = new Dictionary<string, Tensor> { [x] = OrtTensors.FromDoubles(x, TensorDataType.Double, t.Feeds[x].Dims, OrtTensors.ToDoubles(t.Feeds[x])) };
        var actual = OrtTensors.Run(doubleSession, wide, [y])[y];
        Assert.Equal(TensorDataType.Double, actual.DataType);
        var values = OrtTensors.ToDoubles(actual);
        for (int i = 0; i < values.Length; i++) Assert.Equal(expected[i], values[i], 5);
        Assert.Contains(expected, v => Math.Abs(v) > 0.1);
    }

    /// <summary>The list of float32-only ops is what ORT's CPU EP really lacks in float64 (if ORT gains a kernel,
    /// this fails and the Cast pair can go).</summary>
    [Theory]
    [InlineData("Erf")]
    [InlineData("Softplus")]
    [InlineData("Mean")]
    public void Float32_only_ops_have_no_float64_kernel_and_run_wrapped_in_casts(string op)
    {
        Assert.Contains(op, Float64Conversion.Float32OnlyOps);
        var t = new TestGraph(2, TensorDataType.Float);
        var x = t.Input("x", [4]);
        var y = t.Op(op, [x]);
        var model = t.Model(y);
        var asDouble = new TestGraph(2);
        var dx = asDouble.Input("x", [4]);
        var raw = asDouble.Model(asDouble.Op(op, [dx]));
        Assert.ThrowsAny<OnnxRuntimeException>(() => new InferenceSession(OnnxModelIO.ToBytes(raw)).Dispose());

        var converted = Float64Conversion.ToFloat64(model);
        using var session = new InferenceSession(OnnxModelIO.ToBytes(converted));
        var feeds = new Dictionary<string, Tensor> { [x] = OrtTensors.FromDoubles(x, TensorDataType.Double, [4], OrtTensors.ToDoubles(t.Feeds[x])) };
        Assert.Equal(TensorDataType.Double, OrtTensors.Run(session, feeds, [y])[y].DataType);
    }
}
