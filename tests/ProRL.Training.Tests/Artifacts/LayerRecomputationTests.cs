using ProRL.Onnx.Graph;
using ProRL.Training.Artifacts;
using ProRL.Training.Autodiff;
using ProRL.Training.Heads;

namespace ProRL.Training.Tests.Artifacts;

public class LayerRecomputationTests(TinyModelFixture tiny) : IClassFixture<TinyModelFixture>
{
    private static readonly TrainingGraphOptions Policy = new() { PolicyLoss = new PolicyLossHeadOptions { DualClip = true } };

    private (OnnxModel Graph, RecomputationReport? Report) Build(RecomputeMode mode)
    {
        var decoder = ArtifactsBuilder.LoadTrainableDecoder(tiny.Model);
        var parameters = TrainingGraphBuilder.TrainableParameters(decoder);
        var graph = TrainingGraphBuilder.BuildTraining(decoder, parameters, Policy with { Recompute = mode }, out var report);
        return (graph, report);
    }

    [Fact]
    public void Every_layer_is_recomputed_and_every_copy_waits_for_a_gradient()
    {
        var (graph, report) = Build(RecomputeMode.Layers);
        Assert.NotNull(report);
        Assert.True(report.Applied, report.NotApplied);
        Assert.Equal(report.LayersFound, report.LayersRecomputed);
        Assert.True(report.LayersFound >= 2, $"{report.LayersFound} layers found");

        var producer = graph.Graph.ProducerIndex();
        var copies = graph.Graph.Nodes.Where(n => n.Name.StartsWith("recompute/", StringComparison.Ordinal)).ToList();
        Assert.True(copies.Count >= report.NodesCopied && report.NodesCopied > 0);
        // A copy that could run as soon as the forward pass has run would bring the activations back too early.
        foreach (var copy in copies)
            Assert.True(DependsOnBackward(copy, producer), $"{copy.Name} does not wait for any gradient");
    }

    [Fact]
    public void The_graph_keeps_fewer_activations_alive()
    {
        var dims = new Dictionary<string, long[]>
        {
            [TrainingGraphBuilder.InputIds] = [2, 64], [TrainingGraphBuilder.AttentionMask] = [2, 64],
            ["total_sequence_length"] = [],
        };
        foreach (var name in new[] { PolicyLossHead.ResponseMask, PolicyLossHead.OldLogprobs, PolicyLossHead.RefLogprobs, PolicyLossHead.Advantages })
            dims[name] = [2, 63];
        long none = LiveValues.Peak(Build(RecomputeMode.None).Graph, dims).Bytes;
        long layers = LiveValues.Peak(Build(RecomputeMode.Layers).Graph, dims).Bytes;
        Assert.True(layers < none * 0.8, $"activations at peak: {layers} bytes with recomputation, {none} without");
    }

    [Fact]
    public void Gradients_are_those_of_the_graph_without_recomputation()
    {
        var decoder = ArtifactsBuilder.LoadTrainableDecoder(tiny.Model);
        int vocab = tiny.Model.Config.Model.VocabSize;
        // Same seed: the same batch and the same random directions, so the analytic directional derivatives must agree.
        var none = ArtifactsCheck.CheckGradients(decoder, tiny.Artifacts.Checkpoint.Parameters, Policy, vocab, directions: 2);
        var layers = ArtifactsCheck.CheckGradients(decoder, tiny.Artifacts.Checkpoint.Parameters, Policy with { Recompute = RecomputeMode.Layers },
            vocab, directions: 2);
        Assert.Equal(none.Count, layers.Count);
        for (int i = 0; i < none.Count; i++)
        {
            Assert.Equal(none[i].Analytic, layers[i].Analytic, 1e-12 * Math.Max(1, Math.Abs(none[i].Analytic)));
            Assert.True(layers[i].RelativeError <= 1e-6, $"direction {i}: analytic {layers[i].Analytic}, finite difference {layers[i].FiniteDifference}");
        }
    }

    [Fact]
    public void Without_layer_names_the_graph_is_built_without_recomputation_and_the_manifest_says_why()
    {
        var decoder = ArtifactsBuilder.LoadTrainableDecoder(tiny.Model);
        foreach (var node in decoder.Graph.Nodes) node.Name = node.Name.Replace("/model/layers.", "/model/block.", StringComparison.Ordinal);
        var artifacts = ArtifactsBuilder.FromDecoder(decoder, new ArtifactsOptions { Training = Policy with { Recompute = RecomputeMode.Layers } });
        Assert.Equal(RecomputeMode.None, artifacts.Manifest.Recompute);
        Assert.Contains("/model/layers.N/", artifacts.Manifest.RecomputeNote);
        Assert.DoesNotContain(artifacts.TrainingModel.Graph.Nodes, n => n.Name.StartsWith("recompute/", StringComparison.Ordinal));
    }

    private static bool DependsOnBackward(Node node, Dictionary<string, Node> producer)
    {
        var seen = new HashSet<Node>();
        var stack = new Stack<Node>([node]);
        while (stack.Count > 0)
        {
            var n = stack.Pop();
            if (!seen.Add(n)) continue;
            if (n.Name.StartsWith("grad/", StringComparison.Ordinal)) return true;
            foreach (var input in n.Inputs)
                if (producer.TryGetValue(input, out var p)) stack.Push(p);
        }
        return false;
    }
}
