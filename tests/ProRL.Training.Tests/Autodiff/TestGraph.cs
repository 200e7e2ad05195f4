using ProRL.Onnx.Graph;
using ProRL.Onnx.Tensors;
using ProRL.Training.Autodiff;

namespace ProRL.Training.Tests.Autodiff;

/// <summary>Builds small test graphs (float64 unless told otherwise) together with random feeds for their inputs.</summary>
public sealed class TestGraph
{
    private readonly Random _random;

    public TestGraph(int seed = 1, TensorDataType type = TensorDataType.Double)
    {
        _random = new Random(seed);
        Type = type;
    }

    public TensorDataType Type { get; }

    public OnnxGraph Graph { get; } = new() { Name = "test_graph" };
    public Dictionary<string, Tensor> Feeds { get; } = new(StringComparer.Ordinal);

    /// <summary>A floating-point graph input with values in [lo, hi); declared with <paramref name="declared"/> dims
    /// (symbolic ones allowed) or the actual dims, or with no shape when <paramref name="unknownShape"/>.</summary>
    public string Input(string name, long[] dims, double lo = -1, double hi = 1, Dim[]? declared = null, bool unknownShape = false)
    {
        Graph.Inputs.Add(new ValueInfo(name, Type, unknownShape ? null : declared ?? dims.Select(d => (Dim)d).ToArray()));
        Feeds[name] = Doubles(name, dims, lo, hi);
        return name;
    }

    public string Initializer(string name, long[] dims, double lo = -1, double hi = 1) =>
        Graph.AddInitializer(Doubles(name, dims, lo, hi)).Name;

    public string IntInput(string name, long[] dims, long[] values, Dim[]? declared = null)
    {
        Graph.Inputs.Add(new ValueInfo(name, TensorDataType.Int64, declared ?? dims.Select(d => (Dim)d).ToArray()));
        Feeds[name] = Tensor.FromInt64s(name, dims, values);
        return name;
    }

    public string BoolInput(string name, long[] dims)
    {
        Graph.Inputs.Add(new ValueInfo(name, TensorDataType.Bool, dims.Select(d => (Dim)d).ToArray()));
        var values = Enumerable.Range(0, (int)Tensor.ElementCount(dims)).Select(_ => (byte)_random.Next(2)).ToArray();
        Feeds[name] = new Tensor(name, TensorDataType.Bool, dims, values);
        return name;
    }

    public string Ints(params long[] values) => Graph.ConstInt64s("ints", values);
    public string Scalar(double value) => Graph.Const("scalar", OrtTensors.FromDoubles("scalar", Type, [], [value]));

    public string Op(string op, string[] inputs, params global::Onnx.AttributeProto[] attributes) => Graph.Op(op, inputs, attributes);

    /// <summary>The model with <paramref name="outputs"/> as graph outputs (opset 21).</summary>
    public OnnxModel Model(params string[] outputs)
    {
        var model = new OnnxModel(Graph);
        Graph.Outputs.Clear();
        foreach (var o in outputs) Graph.Outputs.Add(new ValueInfo(o, Type, null));
        return model;
    }

    private Tensor Doubles(string name, long[] dims, double lo, double hi)
    {
        var values = Enumerable.Range(0, (int)Tensor.ElementCount(dims)).Select(_ => lo + (hi - lo) * _random.NextDouble()).ToArray();
        return OrtTensors.FromDoubles(name, Type, dims, values);
    }
}
