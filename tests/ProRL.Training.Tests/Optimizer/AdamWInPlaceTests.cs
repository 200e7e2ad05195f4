using Microsoft.ML.OnnxRuntime;
using ProRL.Onnx.IO;
using ProRL.Onnx.Tensors;
using ProRL.Training.Autodiff;
using ProRL.Training.Optimizer;

namespace ProRL.Training.Tests.Optimizer;

public class AdamWInPlaceTests
{
    // One parameter spans three chunks (the last one partial), one is shorter than a vector, one is a scalar.
    private static readonly ParameterSpec[] Specs =
        [new("w", [3, AdamWInPlace.ChunkElements * 2 / 3 + 5]), new("b", [7]), new("s", []), new("u", [33])];
    private static readonly HashSet<string> NotDecayed = ["b"];

    private sealed class State
    {
        public required float[][] P, G, M, V;

        public static State Random(int seed)
        {
            var rng = new Random(seed);
            float[][] New(double scale) => [.. Specs.Select(s => Enumerable.Range(0, (int)s.ElementCount).Select(_ => (float)((rng.NextDouble() * 2 - 1) * scale)).ToArray())];
            return new State { P = New(1), G = New(0.01), M = New(0.001), V = [.. New(1e-4).Select(a => a.Select(Math.Abs).ToArray())] };
        }

        public State Copy() => new()
        {
            P = [.. P.Select(a => (float[])a.Clone())], G = [.. G.Select(a => (float[])a.Clone())],
            M = [.. M.Select(a => (float[])a.Clone())], V = [.. V.Select(a => (float[])a.Clone())],
        };

        public AdamWBuffers Buffers() => new([.. Specs.Select(s => s.ElementCount)], [.. Specs.Select(s => !NotDecayed.Contains(s.Name))],
            i => P[i], i => G[i], i => M[i], i => V[i]);
    }

    private static (double Norm, State After) InPlace(State before, float lr, float wd, float maxNorm, long step, int threads)
    {
        var s = before.Copy();
        var buffers = s.Buffers();
        double norm = AdamWInPlace.GradientNorm(buffers, threads);
        AdamWInPlace.Update(buffers, AdamWCoefficients.For(lr, 0.9f, 0.999f, 1e-8f, wd, maxNorm, step, (float)norm), threads);
        return (norm, s);
    }

    private static (float Norm, State After) Graph(State before, float lr, float wd, float maxNorm, long step)
    {
        using var session = new InferenceSession(OnnxModelIO.ToBytes(AdamWGraph.Build(Specs, NotDecayed)));
        var inputs = new Dictionary<string, Tensor>
        {
            [AdamWGraph.LearningRate] = Tensor.Scalar("lr", lr), [AdamWGraph.Beta1] = Tensor.Scalar("b1", 0.9f),
            [AdamWGraph.Beta2] = Tensor.Scalar("b2", 0.999f), [AdamWGraph.Epsilon] = Tensor.Scalar("e", 1e-8f),
            [AdamWGraph.WeightDecay] = Tensor.Scalar("wd", wd), [AdamWGraph.MaxGradNorm] = Tensor.Scalar("mn", maxNorm),
            [AdamWGraph.Step] = Tensor.Scalar("t", (float)step),
        };
        for (int k = 0; k < Specs.Length; k++)
        {
            var name = Specs[k].Name;
            inputs[name] = Tensor.FromFloats(name, Specs[k].Shape, before.P[k]);
            inputs[AdamWGraph.GradName(name)] = Tensor.FromFloats("g", Specs[k].Shape, before.G[k]);
            inputs[AdamWGraph.FirstMomentName(name)] = Tensor.FromFloats("m", Specs[k].Shape, before.M[k]);
            inputs[AdamWGraph.SecondMomentName(name)] = Tensor.FromFloats("v", Specs[k].Shape, before.V[k]);
        }
        var outputs = Specs.SelectMany(s => new[]
        {
            AdamWGraph.UpdatedName(s.Name), AdamWGraph.UpdatedName(AdamWGraph.FirstMomentName(s.Name)),
            AdamWGraph.UpdatedName(AdamWGraph.SecondMomentName(s.Name)),
        }).Append(AdamWGraph.GradNorm).ToList();
        var r = OrtTensors.Run(session, inputs, outputs);
        var after = new State
        {
            P = [.. Specs.Select(s => r[AdamWGraph.UpdatedName(s.Name)].ToFloats())],
            G = [.. Specs.Select(s => new float[s.ElementCount])],
            M = [.. Specs.Select(s => r[AdamWGraph.UpdatedName(AdamWGraph.FirstMomentName(s.Name))].ToFloats())],
            V = [.. Specs.Select(s => r[AdamWGraph.UpdatedName(AdamWGraph.SecondMomentName(s.Name))].ToFloats())],
        };
        return (r[AdamWGraph.GradNorm].ToFloats()[0], after);
    }

    [Theory]
    [InlineData(0f, 0.01f, 1L)]     // clipping off
    [InlineData(1e6f, 0.01f, 3L)]   // bound far above the norm: scale exactly 1
    [InlineData(0f, 0f, 10L)]       // no decay
    public void Without_clipping_it_is_bit_for_bit_the_optimizer_graph(float maxNorm, float wd, long step)
    {
        var before = State.Random(seed: 11);
        var (graphNorm, graph) = Graph(before, 1e-3f, wd, maxNorm, step);
        var (norm, mine) = InPlace(before, 1e-3f, wd, maxNorm, step, threads: 2);
        Assert.Equal(graphNorm, norm, graphNorm * 1e-5);
        for (int k = 0; k < Specs.Length; k++)
        {
            Assert.Equal(graph.P[k], mine.P[k]);
            Assert.Equal(graph.M[k], mine.M[k]);
            Assert.Equal(graph.V[k], mine.V[k]);
        }
    }

    [Fact]
    public void With_clipping_it_matches_the_optimizer_graph_within_float_rounding()
    {
        var before = State.Random(seed: 12);
        var (graphNorm, graph) = Graph(before, 1e-3f, 0.01f, 0.5f, 2);
        var (norm, mine) = InPlace(before, 1e-3f, 0.01f, 0.5f, 2, threads: 2);
        Assert.True(norm > 0.5, $"the test needs an active clip (norm {norm})");
        // The graph sums squares in float32 over whole tensors, the in-place norm per chunk then in float64: the norms, and
        // so the clip scales, differ in the fifth digit, and the moments carry that difference.
        Assert.Equal(graphNorm, norm, graphNorm * 1e-4);
        for (int k = 0; k < Specs.Length; k++)
            for (int i = 0; i < graph.P[k].Length; i++)
            {
                Assert.Equal(graph.P[k][i], mine.P[k][i], 1e-6f * Math.Max(1, Math.Abs(graph.P[k][i])));
                // m = β1·m + (1 − β1)·g·scale can cancel: its tolerance follows the size of the terms, not of the sum.
                Assert.Equal(graph.M[k][i], mine.M[k][i], 2e-4f * (0.9f * Math.Abs(before.M[k][i]) + 0.1f * Math.Abs(before.G[k][i])) + 1e-12f);
                Assert.Equal(graph.V[k][i], mine.V[k][i], 4e-4f * Math.Abs(graph.V[k][i]) + 1e-15f);
            }
    }

    [Theory]
    [InlineData(0.5f, 0.1f)]
    [InlineData(0f, 0f)]
    public void Three_steps_match_AdamW_written_out_in_float64(float maxNorm, float wd)
    {
        const float lr = 0.01f, b1 = 0.9f, b2 = 0.999f, eps = 1e-8f;
        var s = State.Random(seed: 13);
        var p = s.P.Select(a => a.Select(x => (double)x).ToArray()).ToArray();
        var m = s.M.Select(a => a.Select(x => (double)x).ToArray()).ToArray();
        var v = s.V.Select(a => a.Select(x => (double)x).ToArray()).ToArray();
        var rng = new Random(14);
        for (int step = 1; step <= 3; step++)
        {
            foreach (var g in s.G) for (int i = 0; i < g.Length; i++) g[i] = (float)((rng.NextDouble() * 2 - 1) * 0.01);
            double norm = Math.Sqrt(s.G.Sum(a => a.Sum(x => (double)x * x)));
            double scale = maxNorm > 0 ? Math.Min(1, maxNorm / (norm + 1e-6)) : 1;
            for (int k = 0; k < Specs.Length; k++)
                for (int i = 0; i < p[k].Length; i++)
                {
                    double gi = s.G[k][i] * scale;
                    m[k][i] = b1 * m[k][i] + (1 - b1) * gi;
                    v[k][i] = b2 * v[k][i] + (1 - b2) * gi * gi;
                    if (!NotDecayed.Contains(Specs[k].Name)) p[k][i] *= 1 - lr * (double)wd;
                    p[k][i] -= lr * (m[k][i] / (1 - Math.Pow(b1, step))) / (Math.Sqrt(v[k][i] / (1 - Math.Pow(b2, step))) + eps);
                }

            var buffers = s.Buffers();
            double mine = AdamWInPlace.GradientNorm(buffers);
            AdamWInPlace.Update(buffers, AdamWCoefficients.For(lr, b1, b2, eps, wd, maxNorm, step, (float)mine));
            Assert.Equal(norm, mine, norm * 1e-6);
            Assert.All(s.G, g => Assert.All(g, x => Assert.Equal(0f, x))); // the update leaves the gradients zeroed
            for (int k = 0; k < Specs.Length; k++)
                for (int i = 0; i < p[k].Length; i++)
                {
                    Assert.True(Math.Abs(p[k][i] - s.P[k][i]) < 2e-6 * Math.Max(1, Math.Abs(p[k][i])), $"step {step}, {Specs[k].Name}[{i}]: float64 {p[k][i]}, in place {s.P[k][i]}");
                    Assert.True(Math.Abs(m[k][i] - s.M[k][i]) < 1e-8 && Math.Abs(v[k][i] - s.V[k][i]) < 1e-9, $"moments of {Specs[k].Name}[{i}]");
                }
        }
    }

    [Fact]
    public void Results_do_not_depend_on_the_thread_count()
    {
        var before = State.Random(seed: 15);
        var (norm1, one) = InPlace(before, 1e-3f, 0.01f, 0.5f, 4, threads: 1);
        var (norm3, three) = InPlace(before, 1e-3f, 0.01f, 0.5f, 4, threads: 3);
        Assert.Equal(BitConverter.DoubleToInt64Bits(norm1), BitConverter.DoubleToInt64Bits(norm3));
        for (int k = 0; k < Specs.Length; k++)
        {
            Assert.Equal(one.P[k], three.P[k]);
            Assert.Equal(one.M[k], three.M[k]);
            Assert.Equal(one.V[k], three.V[k]);
        }
    }

    [Fact]
    public void Buffers_of_different_lengths_are_refused()
    {
        var c = AdamWCoefficients.For(1e-3f, 0.9f, 0.999f, 1e-8f, 0, 0, 1, 0);
        Assert.Throws<ArgumentException>(() => AdamWInPlace.UpdateChunk(new float[4], new float[4], new float[3], new float[4], c, true));
        Assert.Throws<ArgumentOutOfRangeException>(() => AdamWCoefficients.For(1e-3f, 0.9f, 0.999f, 1e-8f, 0, 0, 0, 0));
    }
}
