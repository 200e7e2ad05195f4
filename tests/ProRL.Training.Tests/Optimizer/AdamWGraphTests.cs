using Microsoft.ML.OnnxRuntime;
using ProRL.Onnx.IO;
using ProRL.Onnx.Tensors;
using ProRL.Training.Autodiff;
using ProRL.Training.Optimizer;

namespace ProRL.Training.Tests.Optimizer;

public class AdamWGraphTests
{
    private static readonly ParameterSpec[] Specs = [new("w", [3, 4]), new("b", [4]), new("s", [])];

    /// <summary>PyTorch's AdamW with global-norm clipping, written out on doubles.</summary>
    private static void CpuAdamW(double[][] p, double[][] g, double[][] m, double[][] v, int step, double lr, double b1, double b2,
        double eps, double wd, double maxNorm, ISet<int> notDecayed, out double norm)
    {
        norm = Math.Sqrt(g.Sum(a => a.Sum(x => x * x)));
        double scale = maxNorm > 0 ? Math.Min(1, maxNorm / (norm + 1e-6)) : 1;
        for (int k = 0; k < p.Length; k++)
            for (int i = 0; i < p[k].Length; i++)
            {
                double gi = g[k][i] * scale;
                m[k][i] = b1 * m[k][i] + (1 - b1) * gi;
                v[k][i] = b2 * v[k][i] + (1 - b2) * gi * gi;
                if (!notDecayed.Contains(k)) p[k][i] *= 1 - lr * wd;
                double mHat = m[k][i] / (1 - Math.Pow(b1, step)), vHat = v[k][i] / (1 - Math.Pow(b2, step));
                p[k][i] -= lr * mHat / (Math.Sqrt(vHat) + eps);
            }
    }

    [Theory]
    [InlineData(0.5, 0.1)]   // clipping active
    [InlineData(0.0, 0.0)]   // clipping off, no decay
    [InlineData(100.0, 0.05)] // bound above the norm: no clipping
    public void Three_steps_match_a_hand_written_AdamW(double maxNorm, double weightDecay)
    {
        var notDecayed = new HashSet<string> { "b" };
        using var session = new InferenceSession(OnnxModelIO.ToBytes(AdamWGraph.Build(Specs, notDecayed)));
        var rng = new Random(5);
        double[][] New() => Specs.Select(s => Enumerable.Range(0, (int)s.ElementCount).Select(_ => rng.NextDouble() * 2 - 1).ToArray()).ToArray();
        var p = New();
        var m = Specs.Select(s => new double[s.ElementCount]).ToArray();
        var v = Specs.Select(s => new double[s.ElementCount]).ToArray();
        var graphP = p.Select(a => a.Select(x => (float)x).ToArray()).ToArray();
        var graphM = m.Select(a => new float[a.Length]).ToArray();
        var graphV = v.Select(a => new float[a.Length]).ToArray();
        const double lr = 0.01, b1 = 0.9, b2 = 0.99, eps = 1e-8;

        for (int step = 1; step <= 3; step++)
        {
            var g = New();
            var inputs = new Dictionary<string, Tensor>
            {
                [AdamWGraph.LearningRate] = Tensor.Scalar("lr", (float)lr), [AdamWGraph.Beta1] = Tensor.Scalar("b1", (float)b1),
                [AdamWGraph.Beta2] = Tensor.Scalar("b2", (float)b2), [AdamWGraph.Epsilon] = Tensor.Scalar("e", (float)eps),
                [AdamWGraph.WeightDecay] = Tensor.Scalar("wd", (float)weightDecay), [AdamWGraph.MaxGradNorm] = Tensor.Scalar("mn", (float)maxNorm),
                [AdamWGraph.Step] = Tensor.Scalar("t", (float)step),
            };
            for (int k = 0; k < Specs.Length; k++)
            {
                var name = Specs[k].Name;
                inputs[name] = Tensor.FromFloats(name, Specs[k].Shape, graphP[k]);
                inputs[AdamWGraph.GradName(name)] = Tensor.FromFloats("g", Specs[k].Shape, g[k].Select(x => (float)x).ToArray());
                inputs[AdamWGraph.FirstMomentName(name)] = Tensor.FromFloats("m", Specs[k].Shape, graphM[k]);
                inputs[AdamWGraph.SecondMomentName(name)] = Tensor.FromFloats("v", Specs[k].Shape, graphV[k]);
            }
            var outputs = Specs.SelectMany(s => new[]
            {
                AdamWGraph.UpdatedName(s.Name), AdamWGraph.UpdatedName(AdamWGraph.FirstMomentName(s.Name)),
                AdamWGraph.UpdatedName(AdamWGraph.SecondMomentName(s.Name)),
            }).Append(AdamWGraph.GradNorm).ToList();
            var r = OrtTensors.Run(session, inputs, outputs);

            CpuAdamW(p, g, m, v, step, lr, b1, b2, eps, weightDecay, maxNorm, new HashSet<int> { 1 }, out var norm);
            Assert.Equal(norm, r[AdamWGraph.GradNorm].ToFloats()[0], 5);
            for (int k = 0; k < Specs.Length; k++)
            {
                graphP[k] = r[AdamWGraph.UpdatedName(Specs[k].Name)].ToFloats();
                graphM[k] = r[AdamWGraph.UpdatedName(AdamWGraph.FirstMomentName(Specs[k].Name))].ToFloats();
                graphV[k] = r[AdamWGraph.UpdatedName(AdamWGraph.SecondMomentName(Specs[k].Name))].ToFloats();
                for (int i = 0; i < p[k].Length; i++)
                {
                    Assert.True(Math.Abs(p[k][i] - graphP[k][i]) < 2e-6, $"step {step}, {Specs[k].Name}[{i}]: cpu {p[k][i]}, graph {graphP[k][i]}");
                    Assert.True(Math.Abs(m[k][i] - graphM[k][i]) < 1e-6 && Math.Abs(v[k][i] - graphV[k][i]) < 1e-6, $"moments of {Specs[k].Name}[{i}]");
                }
            }
        }
    }

    [Fact]
    public void An_empty_parameter_list_is_refused()
    {
        Assert.Throws<ArgumentException>(() => AdamWGraph.Build([]));
    }
}
