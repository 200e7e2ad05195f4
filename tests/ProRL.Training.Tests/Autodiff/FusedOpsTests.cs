using Microsoft.ML.OnnxRuntime;
using ProRL.Onnx.Graph;
using ProRL.Onnx.IO;
using ProRL.Onnx.Tensors;
using ProRL.Training.Autodiff;
using ProRL.Training.Heads;

namespace ProRL.Training.Tests.Autodiff;

public class FusedOpsTests
{
    private const int Rows = 2, Positions = 3, Vocabulary = 6;
    private static readonly long[] Targets = [5, 0, 2, 2, 4, 1];

    /// <summary>x [2, 3, 6] → fused op; loss = Σ wl·logprob + Σ we·entropy with the chosen terms.</summary>
    private static (TestGraph Graph, OnnxModel Model, string X) Build(bool logprobTerm, bool entropyTerm, int seed = 7)
    {
        var t = new TestGraph(seed);
        // A wide range makes some rows peaked and others flat, where the entropy term behaves differently.
        var x = t.Input("x", [Rows, Positions, Vocabulary], -4, 4, declared: ["b", "t", Vocabulary]);
        var targets = t.IntInput("targets", [Rows, Positions], Targets, declared: ["b", "t"]);
        var (logprob, entropy, _, _) = FusedOps.AddNextTokenLogprobs(t.Graph, x, targets);
        var terms = new List<string>();
        if (logprobTerm) terms.Add(t.Op("Mul", [logprob, t.Input("wl", [Rows, Positions])]));
        if (entropyTerm) terms.Add(t.Op("Mul", [entropy, t.Input("we", [Rows, Positions])]));
        var total = terms.Count == 1 ? terms[0] : t.Op("Add", [terms[0], terms[1]]);
        var loss = t.Op("ReduceSum", [total], Attr.Int("keepdims", 0));
        return (t, t.Model(loss), x);
    }

    [Theory]
    [InlineData(true, true)]
    [InlineData(true, false)]
    [InlineData(false, true)]
    public void The_fused_rule_matches_central_differences_in_float64(bool logprobTerm, bool entropyTerm)
    {
        var (t, model, x) = Build(logprobTerm, entropyTerm);
        var loss = model.Graph.Outputs[0].Name;
        var report = GradientCheck.AlongRandomDirections(model, loss, [x], t.Feeds, new GradientCheckOptions { Directions = 4, Step = 1e-5 });
        Assert.All(report.Checks, c =>
        {
            Assert.True(c.AbsoluteError <= 1e-8 + 1e-7 * Math.Abs(c.Numeric), $"direction {c.Direction}: analytic {c.Analytic}, numeric {c.Numeric}");
            Assert.True(Math.Abs(c.Numeric) > 1e-3, "the directional derivative is ~0: the check would prove nothing");
        });
    }

    [Fact]
    public void The_lowered_forward_matches_a_double_precision_oracle()
    {
        var t = new TestGraph(11);
        var x = t.Input("x", [Rows, Positions, Vocabulary], -30, 30);
        var targets = t.IntInput("targets", [Rows, Positions], Targets);
        var (logprob, entropy, logSoftmax, softmax) = FusedOps.AddNextTokenLogprobs(t.Graph, x, targets);
        var model = t.Model(logprob, entropy, logSoftmax, softmax);
        Assert.Equal(1, FusedOps.Lower(model));
        Assert.All(model.Graph.Nodes, n => Assert.True(n.IsStandard, n.ToString()));
        using var session = new InferenceSession(OnnxModelIO.ToBytes(model));
        var results = OrtTensors.Run(session, t.Feeds, [logprob, entropy, logSoftmax, softmax]);
        var values = OrtTensors.ToDoubles(t.Feeds[x]);
        for (int row = 0; row < Rows * Positions; row++)
        {
            var (expectedLogprob, expectedEntropy, expectedLse) = Oracle(values.AsSpan(row * Vocabulary, Vocabulary), Targets[row]);
            Assert.Equal(expectedLogprob, OrtTensors.ToDoubles(results[logprob])[row], 1e-10);
            Assert.Equal(expectedEntropy, OrtTensors.ToDoubles(results[entropy])[row], 1e-10);
            for (int v = 0; v < Vocabulary; v++)
            {
                double logp = values[row * Vocabulary + v] - expectedLse;
                Assert.Equal(logp, OrtTensors.ToDoubles(results[logSoftmax])[row * Vocabulary + v], 1e-10);
                Assert.Equal(Math.Exp(logp), OrtTensors.ToDoubles(results[softmax])[row * Vocabulary + v], 1e-12);
            }
        }
    }

    [Fact]
    public void The_eval_head_scores_each_next_token_at_the_temperature()
    {
        const int tokens = 5;
        const double temperature = 0.7;
        var model = new OnnxModel(new OnnxGraph { Name = "head" });
        var h = new HeadGraph(model.Graph, TensorDataType.Double);
        h.Input("logits", "b", "t", Vocabulary);
        model.Graph.Inputs.Add(new ValueInfo("input_ids", TensorDataType.Int64, ["b", "t"]));
        EvalHead.Append(h, "logits", "input_ids");
        FusedOps.Lower(model);
        model.Graph.RemoveUnused();

        var random = new Random(5);
        var logits = Enumerable.Range(0, Rows * tokens * Vocabulary).Select(_ => random.NextDouble() * 10 - 5).ToArray();
        var ids = Enumerable.Range(0, Rows * tokens).Select(i => (long)(i * 5 % Vocabulary)).ToArray();
        using var session = new InferenceSession(OnnxModelIO.ToBytes(model));
        var results = OrtTensors.Run(session, new Dictionary<string, Tensor>
        {
            ["logits"] = OrtTensors.FromDoubles("logits", TensorDataType.Double, [Rows, tokens, Vocabulary], logits),
            ["input_ids"] = Tensor.FromInt64s("input_ids", [Rows, tokens], ids),
            [EvalHead.Temperature] = OrtTensors.FromDoubles("t", TensorDataType.Double, [], [temperature]),
        }, [EvalHead.Logprobs, EvalHead.Entropy]);
        Assert.Equal([Rows, tokens - 1], results[EvalHead.Logprobs].Dims);
        var logprobs = OrtTensors.ToDoubles(results[EvalHead.Logprobs]);
        var entropies = OrtTensors.ToDoubles(results[EvalHead.Entropy]);
        for (int b = 0; b < Rows; b++)
            for (int p = 0; p < tokens - 1; p++)
            {
                var scaled = logits.AsSpan((b * tokens + p) * Vocabulary, Vocabulary).ToArray().Select(v => v / temperature).ToArray();
                var (logprob, entropy, _) = Oracle(scaled, ids[b * tokens + p + 1]);
                Assert.Equal(logprob, logprobs[b * (tokens - 1) + p], 1e-10);
                Assert.Equal(entropy, entropies[b * (tokens - 1) + p], 1e-10);
            }
    }

    [Theory]
    [InlineData(2)]
    [InlineData(3)]
    public void The_outputs_kept_for_the_backward_pass_cannot_be_differentiated(int output)
    {
        var t = new TestGraph(2);
        var x = t.Input("x", [1, 2, 3]);
        var node = FusedOps.AddNextTokenLogprobs(t.Graph, x, t.IntInput("targets", [1, 2], [0, 1]));
        var loss = t.Op("ReduceSum", [output == 2 ? node.LogSoftmax : node.Softmax], Attr.Int("keepdims", 0));
        var error = Assert.Throws<UnsupportedGradientException>(() => GradientBuilder.AddGradients(t.Model(loss), loss, [x]));
        Assert.Contains("kept for the backward pass", error.Message);
    }

    /// <summary>log p[target], −Σ p log p and log Σ exp x of one row, in double precision, p by the definition.</summary>
    private static (double Logprob, double Entropy, double LogSumExp) Oracle(ReadOnlySpan<double> row, long target)
    {
        double max = double.NegativeInfinity;
        foreach (var v in row) max = Math.Max(max, v);
        double sum = 0;
        foreach (var v in row) sum += Math.Exp(v - max);
        double lse = max + Math.Log(sum), entropy = 0;
        foreach (var v in row)
        {
            double logp = v - lse;
            entropy -= Math.Exp(logp) * logp;
        }
        return (row[(int)target] - lse, entropy, lse);
    }
}
