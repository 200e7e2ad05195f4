using System.Diagnostics;
using Microsoft.ML.OnnxRuntime;
using ProRL.Onnx.Graph;
using ProRL.Onnx.IO;
using ProRL.Rollout.ModelGeneration;

namespace ProRL.Benchmarks;

/// <summary>FLOP counts and the ONNX Runtime MatMul roofline the training-step figures are read against.</summary>
internal static class Roofline
{
    /// <summary>
    /// Forward MatMul FLOPs (projections, MLP, LM head, QKᵀ and PV over the full T×T square, as both sides compute it),
    /// times 3 for forward + backward (the backward pass does two MatMuls per forward MatMul).
    /// </summary>
    public static double TrainingFlops(DecoderSpec s, int b, int t)
    {
        double tokens = (double)b * t;
        double kv = s.KvHeads * s.HeadSize;
        double perTokenWeights = s.Layers * (s.Hidden * (s.Hidden + 2 * kv) + s.Hidden * s.Hidden + 3.0 * s.Hidden * s.Intermediate)
            + (double)s.Hidden * s.VocabSize;
        double forward = 2 * tokens * perTokenWeights + s.Layers * b * 2.0 * 2.0 * t * t * s.Hidden;
        return 3 * forward;
    }

    /// <summary>GFLOP/s of an n³ fp32 MatMul in ONNX Runtime (median of <paramref name="repeats"/>).</summary>
    public static double MatMulGflops(int n, int repeats, int threads)
    {
        var g = new OnnxGraph();
        g.Inputs.Add(new ValueInfo("a", ProRL.Onnx.Tensors.TensorDataType.Float, [n, n]));
        g.Inputs.Add(new ValueInfo("b", ProRL.Onnx.Tensors.TensorDataType.Float, [n, n]));
        g.AddNode("MatMul", ["a", "b"], ["c"]);
        g.Outputs.Add(new ValueInfo("c", ProRL.Onnx.Tensors.TensorDataType.Float, [n, n]));
        using var so = new SessionOptions { IntraOpNumThreads = threads };
        using var s = new InferenceSession(OnnxModelIO.ToBytes(new OnnxModel(g)), so);
        var data = Enumerable.Range(0, n * n).Select(i => (float)((i % 17) * 0.01)).ToArray();
        using var a = OrtValue.CreateTensorValueFromMemory(data, [n, n]);
        using var bv = OrtValue.CreateTensorValueFromMemory(data, [n, n]);
        var outBuf = new float[n * n];
        using var c = OrtValue.CreateTensorValueFromMemory(outBuf, [n, n]);
        using var run = new RunOptions();
        s.Run(run, ["a", "b"], [a, bv], ["c"], [c]); // warm-up
        var times = new double[repeats];
        for (int i = 0; i < repeats; i++)
        {
            var sw = Stopwatch.StartNew();
            s.Run(run, ["a", "b"], [a, bv], ["c"], [c]);
            times[i] = sw.Elapsed.TotalSeconds;
        }
        return 2.0 * n * n * n / Stats.Median(times) / 1e9;
    }
}
