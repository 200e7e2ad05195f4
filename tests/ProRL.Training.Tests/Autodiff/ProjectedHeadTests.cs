using Microsoft.ML.OnnxRuntime;
using ProRL.Onnx.Graph;
using ProRL.Onnx.IO;
using ProRL.Onnx.Tensors;
using ProRL.Training.Autodiff;

namespace ProRL.Training.Tests.Autodiff;

/// <summary>
/// The sliced head <see cref="FusedOps.ProjectedNextTokenLogprobs"/>: its lowered forward against a float64 oracle, its
/// backward against central differences, and the sizes of the values it makes (ONNX Runtime's own, read back).
/// </summary>
public class ProjectedHeadTests
{
    private const int Rows = 2, Positions = 5, Hidden = 3, Vocabulary = 13;
    private const double Temperature = 0.7;
    private static readonly long[] Targets = [6, 0, 2, 2, 4, 1, 3, 5, 0, 6];

    private sealed record Head(TestGraph Graph, string X, string Weight, string? Bias, string Logprob, string Entropy);

    private static Head Build(int chunks, bool bias, int seed = 3, int minRows = 1)
    {
        var t = new TestGraph(seed);
        var x = t.Input("x", [Rows, Positions, Hidden], -2, 2, declared: ["b", "t", Hidden]);
        var weight = t.Input("weight", [Hidden, Vocabulary], -2, 2);
        var b = bias ? t.Input("bias", [Vocabulary], -1, 1) : null;
        var targets = t.IntInput("targets", [Rows, Positions], Targets, declared: ["b", "t"]);
        var temperature = t.Input("temperature", [], Temperature, Temperature);
        var (logprob, entropy) = FusedOps.AddProjectedNextTokenLogprobs(t.Graph, x, weight, b, targets, temperature, chunks, minRows);
        return new Head(t, x, weight, b, logprob, entropy);
    }

    /// <summary>Row r's logits (x·W + b) / T in double precision.</summary>
    private static double[] Logits(Head head, int row)
    {
        var x = OrtTensors.ToDoubles(head.Graph.Feeds[head.X]);
        var w = OrtTensors.ToDoubles(head.Graph.Feeds[head.Weight]);
        var b = head.Bias is null ? null : OrtTensors.ToDoubles(head.Graph.Feeds[head.Bias]);
        var logits = new double[Vocabulary];
        for (int v = 0; v < Vocabulary; v++)
        {
            double sum = b?[v] ?? 0;
            for (int k = 0; k < Hidden; k++) sum += x[row * Hidden + k] * w[k * Vocabulary + v];
            logits[v] = sum / Temperature;
        }
        return logits;
    }

    [Theory]
    [InlineData(1, true)]
    [InlineData(3, false)] // 10 tokens in slices of 4, 4 and 2
    [InlineData(3, true)]
    [InlineData(16, true)] // more slices than tokens: the last six are empty
    [InlineData(16, true, 4)] // slices of at least 4 rows: 4, 4 and 2, then thirteen empty ones
    public void The_lowered_forward_matches_a_double_precision_oracle(int chunks, bool bias, int minRows = 1)
    {
        var head = Build(chunks, bias, minRows: minRows);
        var model = head.Graph.Model(head.Logprob, head.Entropy);
        Assert.Equal(1, FusedOps.Lower(model));
        Assert.All(model.Graph.Nodes, n => Assert.True(n.IsStandard, n.ToString()));
        using var session = new InferenceSession(OnnxModelIO.ToBytes(model));
        var results = OrtTensors.Run(session, head.Graph.Feeds, [head.Logprob, head.Entropy]);
        Assert.Equal([Rows, Positions], results[head.Logprob].Dims);
        var logprobs = OrtTensors.ToDoubles(results[head.Logprob]);
        var entropies = OrtTensors.ToDoubles(results[head.Entropy]);
        for (int row = 0; row < Rows * Positions; row++)
        {
            var logits = Logits(head, row);
            double max = logits.Max(), lse = max + Math.Log(logits.Sum(v => Math.Exp(v - max)));
            double entropy = -logits.Sum(v => Math.Exp(v - lse) * (v - lse));
            Assert.Equal(logits[Targets[row]] - lse, logprobs[row], 1e-10);
            Assert.Equal(entropy, entropies[row], 1e-10);
        }
    }

    [Theory]
    [InlineData(1, true, true, true)]
    [InlineData(3, true, true, true)]
    [InlineData(3, false, true, false)]
    [InlineData(3, true, false, true)]
    [InlineData(16, true, true, true)]
    [InlineData(16, true, true, true, 4)]
    public void The_sliced_backward_matches_central_differences_in_float64(int chunks, bool bias, bool logprobTerm, bool entropyTerm, int minRows = 1)
    {
        var head = Build(chunks, bias, minRows: minRows);
        var t = head.Graph;
        var terms = new List<string>();
        if (logprobTerm) terms.Add(t.Op("Mul", [head.Logprob, t.Input("wl", [Rows, Positions])]));
        if (entropyTerm) terms.Add(t.Op("Mul", [head.Entropy, t.Input("we", [Rows, Positions])]));
        var total = terms.Count == 1 ? terms[0] : t.Op("Add", [terms[0], terms[1]]);
        var loss = t.Op("ReduceSum", [total], Attr.Int("keepdims", 0));
        var model = t.Model(loss);
        string[] wrt = head.Bias is null ? [head.X, head.Weight] : [head.X, head.Weight, head.Bias];
        var report = GradientCheck.AlongRandomDirections(model, loss, wrt, t.Feeds, new GradientCheckOptions { Directions = 4, Step = 1e-5 });
        Assert.All(report.Checks, c =>
        {
            Assert.True(c.AbsoluteError <= 1e-8 + 1e-7 * Math.Abs(c.Numeric), $"direction {c.Direction}: analytic {c.Analytic}, numeric {c.Numeric}");
            Assert.True(Math.Abs(c.Numeric) > 1e-3, "the directional derivative is ~0: the check would prove nothing");
        });
    }

    /// <summary>
    /// Every value of the differentiated, lowered graph is read back from ONNX Runtime: with 3 slices of the 10 tokens,
    /// none may hold more than ⌈10/3⌉ rows of the vocabulary (the weight's gradient, [H, V], is smaller still). One
    /// slice holds all 10 rows, which shows that the check sees a whole-logits tensor when there is one.
    /// </summary>
    [Theory]
    [InlineData(3, 1, 4)]
    [InlineData(1, 1, 10)]
    [InlineData(3, 6, 6)] // slices of at least 6 rows: 6 and 4
    public void No_value_holds_more_than_one_slice_of_logits(int chunks, int minRows, int largestRows)
    {
        var head = Build(chunks, bias: true, minRows: minRows);
        var t = head.Graph;
        var loss = t.Op("ReduceSum", [t.Op("Add", [head.Logprob, head.Entropy])], Attr.Int("keepdims", 0));
        var model = t.Model(loss);
        var gradients = GradientBuilder.AddGradients(model, loss, [head.X, head.Weight, head.Bias!]);
        FusedOps.Lower(model);
        model.Graph.TopologicalSort();
        var floatValues = FloatingPointValues(model.Graph);
        using var session = new InferenceSession(OnnxModelIO.ToBytes(GradientCheck.WithOutputs(model, floatValues)));
        var values = OrtTensors.Run(session, t.Feeds, floatValues);
        Assert.All(values.Values, v => Assert.Equal(TensorDataType.Double, v.DataType));
        long largest = values.Values.Max(v => Tensor.ElementCount(v.Dims));
        Assert.Equal((long)largestRows * Vocabulary, largest);
        Assert.Equal([Hidden, Vocabulary], values[gradients[head.Weight]].Dims);
    }

    /// <summary>Each slice's matmul waits for the previous slice: otherwise ONNX Runtime may run them all first.</summary>
    [Fact]
    public void Slices_run_one_after_another_in_both_passes()
    {
        var head = Build(chunks: 4, bias: false);
        var t = head.Graph;
        var loss = t.Op("ReduceSum", [head.Logprob], Attr.Int("keepdims", 0));
        var model = t.Model(loss);
        GradientBuilder.AddGradients(model, loss, [head.X, head.Weight]);
        FusedOps.Lower(model);
        var g = model.Graph;
        var producer = g.ProducerIndex();
        var matMuls = g.Nodes.Where(n => n.OpType == "MatMul" && n.Inputs[1] == head.Weight).ToList();
        Assert.Equal(8, matMuls.Count); // 4 slices, made in the forward and again in the backward pass
        for (int i = 1; i < matMuls.Count; i++)
            Assert.True(DependsOn(matMuls[i], matMuls[i - 1], producer), $"slice matmul {i} does not wait for slice {i - 1}");
    }

    /// <summary>The computed values of <paramref name="graph"/> that are floating point (read from a float input, not a shape).</summary>
    private static List<string> FloatingPointValues(OnnxGraph graph)
    {
        var floating = graph.Inputs.Where(i => i.ElementType == TensorDataType.Double).Select(i => i.Name)
            .Concat(graph.Initializers.Where(i => i.DataType == TensorDataType.Double).Select(i => i.Name))
            .ToHashSet(StringComparer.Ordinal);
        var computed = new List<string>();
        foreach (var node in graph.Nodes)
        {
            bool isFloat = node.OpType switch
            {
                "Shape" or "Size" => false,
                "CastLike" => floating.Contains(node.Inputs[1]),
                _ => node.Inputs.Any(floating.Contains),
            };
            if (!isFloat) continue;
            foreach (var o in node.Outputs.Where(o => o.Length > 0)) { floating.Add(o); computed.Add(o); }
        }
        return computed;
    }

    private static bool DependsOn(Node node, Node on, Dictionary<string, Node> producer)
    {
        var seen = new HashSet<Node>();
        var stack = new Stack<Node>([node]);
        while (stack.Count > 0)
        {
            var n = stack.Pop();
            if (!seen.Add(n)) continue;
            if (n != node && n == on) return true;
            foreach (var input in n.Inputs)
                if (producer.TryGetValue(input, out var p)) stack.Push(p);
        }
        return false;
    }
}
