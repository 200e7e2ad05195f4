using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using ProRL.Onnx.Graph;
using ProRL.Onnx.IO;
using ProRL.Onnx.Tensors;
using Tensor = ProRL.Onnx.Tensors.Tensor;
using ProRL.Training.Lowering;

namespace ProRL.Training.Tests.Lowering;

/// <summary>Builds one-node models and runs them (original and lowered) on ONNX Runtime.</summary>
internal static class OrtHarness
{
    public static OnnxModel SingleNode(string opType, string domain, IEnumerable<ValueInfo> inputs, IEnumerable<ValueInfo> outputs,
        IEnumerable<Tensor>? initializers = null, params global::Onnx.AttributeProto[] attributes) =>
        SingleNode(opType, domain, inputs.Select(i => i.Name), inputs, outputs, initializers, attributes);

    /// <summary>A model with one node whose input slots are <paramref name="nodeInputs"/> ("" for an omitted optional input).</summary>
    public static OnnxModel SingleNode(string opType, string domain, IEnumerable<string> nodeInputs, IEnumerable<ValueInfo> graphInputs,
        IEnumerable<ValueInfo> outputs, IEnumerable<Tensor>? initializers = null, params global::Onnx.AttributeProto[] attributes)
    {
        var graph = new OnnxGraph { Name = opType + "_test" };
        graph.Inputs.AddRange(graphInputs);
        graph.Outputs.AddRange(outputs);
        foreach (var t in initializers ?? []) graph.AddInitializer(t);
        graph.AddNode(opType, nodeInputs, outputs.Select(o => o.Name), opType + "_0", domain, attributes);
        var model = new OnnxModel(graph);
        if (domain == OnnxModel.MicrosoftDomain) model.Opsets[OnnxModel.MicrosoftDomain] = 1;
        return model;
    }

    public static Dictionary<string, float[]> Run(OnnxModel model, IReadOnlyDictionary<string, object> feeds)
    {
        using var options = new SessionOptions { IntraOpNumThreads = 1, GraphOptimizationLevel = GraphOptimizationLevel.ORT_DISABLE_ALL };
        using var session = new InferenceSession(OnnxModelIO.ToBytes(model), options);
        var inputs = feeds.Select(f => f.Value switch
        {
            DenseTensor<float> t => NamedOnnxValue.CreateFromTensor(f.Key, t),
            DenseTensor<long> t => NamedOnnxValue.CreateFromTensor(f.Key, t),
            DenseTensor<int> t => NamedOnnxValue.CreateFromTensor(f.Key, t),
            _ => throw new ArgumentException($"feed {f.Key}: unsupported type {f.Value.GetType()}"),
        }).ToList();
        using var results = session.Run(inputs);
        return results.ToDictionary(r => r.Name, r => r.AsTensor<float>().ToArray());
    }

    public static DenseTensor<float> RandomFloats(Random random, params int[] dims)
    {
        var t = new DenseTensor<float>(dims);
        for (int i = 0; i < t.Length; i++) t.SetValue(i, (float)(random.NextDouble() * 2 - 1));
        return t;
    }

    public static float[] RandomArray(Random random, int count, double scale = 1) =>
        [.. Enumerable.Range(0, count).Select(_ => (float)((random.NextDouble() * 2 - 1) * scale))];

    /// <summary>
    /// Runs the model <paramref name="build"/> makes, lowers a second copy (expecting one lowered node and no contrib
    /// op left), and checks every output of the lowered copy against ORT's kernel within 1e-5.
    /// </summary>
    public static void AssertLoweringMatches(Func<OnnxModel> build, IReadOnlyDictionary<string, object> feeds)
    {
        var expected = Run(build(), feeds);
        var lowered = build();
        Assert.Equal(1, LoweredNodeCount(lowered));
        AssertNoContribOps(lowered);
        var actual = Run(lowered, feeds);
        foreach (var (name, values) in expected)
        {
            double diff = MaxAbsDiff(values, actual[name]);
            Assert.True(diff <= 1e-5, $"{name}: max abs diff {diff}");
        }
    }

    public static DenseTensor<float> Scaled(DenseTensor<float> t, float factor)
    {
        for (int i = 0; i < t.Length; i++) t.SetValue(i, t.GetValue(i) * factor);
        return t;
    }

    public static int LoweredNodeCount(OnnxModel model, LoweringOptions? options = null) => ContribOpLowering.Lower(model, options);

    public static void AssertNoContribOps(OnnxModel model)
    {
        var contrib = model.Graph.Nodes.Where(n => !n.IsStandard || n.OpType == "SimplifiedLayerNormalization").ToList();
        Assert.True(contrib.Count == 0, "left over: " + string.Join(", ", contrib));
    }

    public static double MaxAbsDiff(float[] a, float[] b, Func<int, bool>? include = null)
    {
        Assert.Equal(a.Length, b.Length);
        double worst = 0;
        for (int i = 0; i < a.Length; i++)
        {
            if (include is not null && !include(i)) continue;
            Assert.False(float.IsNaN(a[i]) || float.IsNaN(b[i]), $"NaN at {i}");
            worst = Math.Max(worst, Math.Abs(a[i] - b[i]));
        }
        return worst;
    }

    public static ValueInfo F(string name, params Dim[] shape) => new(name, TensorDataType.Float, shape);
}
