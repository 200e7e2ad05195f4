using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using ProRL.Onnx.Graph;
using ProRL.Onnx.IO;
using ProRL.Onnx.Tensors;
using Tensor = ProRL.Onnx.Tensors.Tensor;

namespace ProRL.Onnx.Tests;

public class RoundTripTests
{
    private static float[] Run(string modelPath, float[] x, int batch, int inDim)
    {
        using var session = new InferenceSession(modelPath);
        using var results = session.Run([NamedOnnxValue.CreateFromTensor("x", new DenseTensor<float>(x, [batch, inDim]))]);
        return results.First().AsEnumerable<float>().ToArray();
    }

    [Fact]
    public void Load_save_load_is_equal_and_ORT_outputs_are_bit_identical()
    {
        var dir = TestModels.TempDir();
        var original = Path.Combine(dir, "original.onnx");
        TestModels.Write(TestModels.SmallMlp(), original);

        var model = OnnxModelIO.Load(original);
        var resaved = Path.Combine(dir, "model.onnx");
        OnnxModelIO.Save(model, resaved, new ExternalDataOptions("model.onnx.data", SizeThreshold: 64));
        Assert.True(File.Exists(Path.Combine(dir, "model.onnx.data")));

        var again = OnnxModelIO.Load(resaved);
        AssertSameModel(model, again);

        var rng = new Random(7);
        var x = Enumerable.Range(0, 3 * 8).Select(_ => (float)rng.NextDouble()).ToArray();
        var a = Run(original, x, 3, 8);
        var b = Run(resaved, x, 3, 8);
        Assert.Equal(a.Select(BitConverter.SingleToInt32Bits), b.Select(BitConverter.SingleToInt32Bits));
    }

    [Fact]
    public void External_data_offsets_are_aligned_and_small_tensors_stay_inline()
    {
        var dir = TestModels.TempDir();
        var model = OnnxModelIO.Load(WriteMlp(dir));
        var path = Path.Combine(dir, "ext.onnx");
        OnnxModelIO.Save(model, path, new ExternalDataOptions("ext.onnx.data", SizeThreshold: 100, Alignment: 64));
        var proto = global::Onnx.ModelProto.Parser.ParseFrom(File.ReadAllBytes(path));
        var byName = proto.Graph.Initializer.ToDictionary(t => t.Name);
        // b is 16 floats = 64 bytes < 100: inline. W (512 bytes) and W2 (256 bytes) go to the side file.
        Assert.Equal(global::Onnx.TensorProto.Types.DataLocation.Default, byName["b"].DataLocation);
        foreach (var name in new[] { "W", "W2" })
        {
            Assert.Equal(global::Onnx.TensorProto.Types.DataLocation.External, byName[name].DataLocation);
            var offset = long.Parse(byName[name].ExternalData.Single(e => e.Key == "offset").Value);
            Assert.Equal(0, offset % 64);
        }
    }

    [Theory]
    [InlineData(TensorDataType.Float)]
    [InlineData(TensorDataType.Float16)]
    [InlineData(TensorDataType.BFloat16)]
    [InlineData(TensorDataType.Int64)]
    [InlineData(TensorDataType.Int32)]
    [InlineData(TensorDataType.Bool)]
    public void Every_supported_element_type_round_trips_through_external_data(TensorDataType type)
    {
        var rng = new Random((int)type);
        var bytes = new byte[300 * type.SizeOf()];
        rng.NextBytes(bytes);
        if (type == TensorDataType.Bool) for (int i = 0; i < bytes.Length; i++) bytes[i] &= 1;
        var graph = new OnnxGraph();
        graph.AddInitializer(new Tensor("t", type, [3, 100], bytes));
        graph.Outputs.Add(new ValueInfo("t", type, [3, 100]));
        var dir = TestModels.TempDir();
        OnnxModelIO.Save(new OnnxModel(graph), Path.Combine(dir, "m.onnx"), ExternalDataOptions.SideFile("m.onnx.data"));
        var loaded = OnnxModelIO.Load(Path.Combine(dir, "m.onnx")).Graph.Initializer("t")!;
        Assert.Equal(type, loaded.DataType);
        Assert.Equal(new long[] { 3, 100 }, loaded.Dims);
        Assert.Equal(bytes, loaded.Data);
    }

    [Fact]
    public void Typed_proto_fields_for_half_precision_are_read_as_their_bit_patterns()
    {
        // The spec stores fp16/bf16 one element per int32_data entry.
        var proto = new global::Onnx.TensorProto { Name = "h", DataType = (int)TensorDataType.Float16 };
        proto.Dims.Add(2);
        proto.Int32Data.Add(BitConverter.HalfToUInt16Bits((Half)1.5f));
        proto.Int32Data.Add(BitConverter.HalfToUInt16Bits((Half)(-2f)));
        var t = TensorProtoConverter.FromProto(proto);
        Assert.Equal(new[] { 1.5f, -2f }, t.ToFloats());
    }

    [Fact]
    public void BFloat16_conversion_rounds_to_nearest_even()
    {
        Assert.Equal(1.0f, BFloat16Bits.ToSingle(BFloat16Bits.FromSingle(1.0f)));
        // 1 + 2^-8 lies exactly halfway between bf16 neighbours 1 and 1 + 2^-7: ties go to the even mantissa (1.0).
        Assert.Equal(1.0f, BFloat16Bits.ToSingle(BFloat16Bits.FromSingle(1f + 1f / 256)));
        // 1 + 3·2^-8 is halfway between 1 + 2^-7 (odd) and 1 + 2^-6 (even): rounds up to 1 + 2^-6.
        Assert.Equal(1f + 1f / 64, BFloat16Bits.ToSingle(BFloat16Bits.FromSingle(1f + 3f / 256)));
        Assert.True(float.IsNaN(BFloat16Bits.ToSingle(BFloat16Bits.FromSingle(float.NaN))));
    }

    private static string WriteMlp(string dir)
    {
        var path = Path.Combine(dir, "mlp.onnx");
        TestModels.Write(TestModels.SmallMlp(), path);
        return path;
    }

    internal static void AssertSameModel(OnnxModel a, OnnxModel b)
    {
        Assert.Equal(a.IrVersion, b.IrVersion);
        Assert.Equal(a.Opsets, b.Opsets);
        Assert.Equal(a.Graph.Inputs, b.Graph.Inputs, ValueInfoComparer.Instance);
        Assert.Equal(a.Graph.Outputs, b.Graph.Outputs, ValueInfoComparer.Instance);
        Assert.Equal(a.Graph.Nodes.Select(n => n.ToString()), b.Graph.Nodes.Select(n => n.ToString()));
        Assert.Equal(a.Graph.Initializers.Select(t => t.ToString()), b.Graph.Initializers.Select(t => t.ToString()));
        foreach (var t in a.Graph.Initializers) Assert.Equal(t.Data, b.Graph.Initializer(t.Name)!.Data);
    }

    private sealed class ValueInfoComparer : IEqualityComparer<ValueInfo>
    {
        public static readonly ValueInfoComparer Instance = new();
        public bool Equals(ValueInfo? x, ValueInfo? y) => x!.ToString() == y!.ToString();
        public int GetHashCode(ValueInfo obj) => obj.ToString().GetHashCode();
    }
}
