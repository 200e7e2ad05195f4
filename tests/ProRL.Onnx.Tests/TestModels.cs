using Google.Protobuf;
using Onnx;

namespace ProRL.Onnx.Tests;

/// <summary>Models written straight in protobuf, independently of the IR, as the "original" side of round trips.</summary>
internal static class TestModels
{
    /// <summary>y = Relu(x · W + b) · W2, with W, b, W2 stored in the typed float_data fields (not raw_data).</summary>
    public static ModelProto SmallMlp(int inDim = 8, int hidden = 16, int outDim = 4, int seed = 1)
    {
        var rng = new Random(seed);
        float[] Rand(int n) => Enumerable.Range(0, n).Select(_ => (float)(rng.NextDouble() * 2 - 1)).ToArray();
        var g = new GraphProto { Name = "mlp" };
        g.Initializer.Add(FloatTensor("W", [inDim, hidden], Rand(inDim * hidden)));
        g.Initializer.Add(FloatTensor("b", [hidden], Rand(hidden)));
        g.Initializer.Add(FloatTensor("W2", [hidden, outDim], Rand(hidden * outDim)));
        g.Input.Add(Value("x", TensorProto.Types.DataType.Float, "batch", inDim));
        g.Output.Add(Value("y", TensorProto.Types.DataType.Float, "batch", outDim));
        g.Node.Add(Node("MatMul", ["x", "W"], ["h0"]));
        g.Node.Add(Node("Add", ["h0", "b"], ["h1"]));
        g.Node.Add(Node("Relu", ["h1"], ["h2"]));
        g.Node.Add(Node("MatMul", ["h2", "W2"], ["y"]));
        var m = new ModelProto { IrVersion = 10, Graph = g, ProducerName = "test" };
        m.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = 21 });
        return m;
    }

    public static TensorProto FloatTensor(string name, long[] dims, float[] values)
    {
        var t = new TensorProto { Name = name, DataType = (int)TensorProto.Types.DataType.Float };
        t.Dims.AddRange(dims);
        t.FloatData.AddRange(values);
        return t;
    }

    public static NodeProto Node(string op, string[] inputs, string[] outputs)
    {
        var n = new NodeProto { OpType = op, Name = op + "_" + outputs[0] };
        n.Input.AddRange(inputs);
        n.Output.AddRange(outputs);
        return n;
    }

    public static ValueInfoProto Value(string name, TensorProto.Types.DataType type, params object[] dims)
    {
        var shape = new TensorShapeProto();
        foreach (var d in dims)
            shape.Dim.Add(d is string s ? new TensorShapeProto.Types.Dimension { DimParam = s }
                : new TensorShapeProto.Types.Dimension { DimValue = Convert.ToInt64(d) });
        return new ValueInfoProto { Name = name, Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)type, Shape = shape } } };
    }

    public static string TempDir()
    {
        var dir = Path.Combine(Path.GetTempPath(), "prorl-onnx-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        return dir;
    }

    public static void Write(ModelProto model, string path) => File.WriteAllBytes(path, model.ToByteArray());
}
