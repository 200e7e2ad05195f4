using ProRL.Onnx.Graph;
using ProRL.Training.Artifacts;
using ProRL.Training.Autodiff;
using ProRL.Training.Heads;

namespace ProRL.Training.Tests.Artifacts;

/// <summary>The sliced head in the graphs built from a generated GenAI-layout decoder (tied embeddings, /lm_head/MatMul).</summary>
public class ProjectedHeadArtifactsTests(TinyModelFixture tiny) : IClassFixture<TinyModelFixture>
{
    private static readonly TrainingGraphOptions Policy = new() { PolicyLoss = new PolicyLossHeadOptions { DualClip = true } };

    [Fact]
    public void The_builder_projection_joins_the_head_and_the_manifest_says_so()
    {
        Assert.Equal(EvalHead.DefaultChunks, tiny.Artifacts.Manifest.HeadChunks);
        foreach (var model in new[] { tiny.Artifacts.EvalModel, tiny.Artifacts.TrainingModel })
            Assert.DoesNotContain(model.Graph.Nodes, n => n.Name == "/lm_head/MatMul");
    }

    [Fact]
    public void Gradients_equal_those_of_the_head_on_whole_logits()
    {
        var decoder = ArtifactsBuilder.LoadTrainableDecoder(tiny.Model);
        int vocab = tiny.Model.Config.Model.VocabSize;
        // Same seed: the same batch and directions, so the analytic directional derivatives must agree.
        var whole = ArtifactsCheck.CheckGradients(decoder, tiny.Artifacts.Checkpoint.Parameters, Policy with { HeadChunks = 0 }, vocab, directions: 2, perTensor: true);
        var sliced = ArtifactsCheck.CheckGradients(decoder, tiny.Artifacts.Checkpoint.Parameters, Policy with { HeadChunks = 3 }, vocab, directions: 2, perTensor: true);
        Assert.Equal(whole.Count, sliced.Count);
        for (int i = 0; i < whole.Count; i++)
        {
            Assert.Equal(whole[i].Analytic, sliced[i].Analytic, 1e-10 * Math.Max(1, Math.Abs(whole[i].Analytic)));
            Assert.True(sliced[i].Within(1e-6), $"direction {i} ({sliced[i].Tensor ?? "all"}): analytic {sliced[i].Analytic}, finite difference {sliced[i].FiniteDifference}");
        }
    }

    /// <summary>
    /// A tied embedding (the builder's Gather(Transpose(lm_head W))) is read as columns of W: neither pass makes a
    /// transposed copy of W or of its gradient, and the gradients still match central differences in float64.
    /// </summary>
    [Fact]
    public void A_tied_embedding_is_read_and_differentiated_without_transposed_copies()
    {
        var dir = tiny.NewDirectory("tied");
        var folder = ProRL.Rollout.ModelGeneration.ModelGenerator.Write(
            ProRL.Rollout.ModelGeneration.DecoderSpec.Tiny with { Seed = 5, Context = 64, TieEmbeddings = true, InitStd = 0.2f }, dir);
        var decoder = ArtifactsBuilder.LoadTrainableDecoder(folder);
        var specs = TrainingGraphBuilder.TrainableParameters(decoder);
        var head = Assert.Single(specs, p => p.Name.Contains("lm_head", StringComparison.Ordinal));
        var training = TrainingGraphBuilder.BuildTraining(decoder, specs, Policy);
        Assert.DoesNotContain(training.Graph.Nodes, n => n.OpType == "Transpose" && n.Inputs[0] == head.Name);
        Assert.Contains(training.Graph.Nodes, n => n.OpType == "ScatterElements" && n.Name.Contains("embed_tokens", StringComparison.Ordinal));

        var artifacts = ArtifactsBuilder.FromDecoder(decoder);
        Assert.Equal(EvalHead.DefaultChunks, artifacts.Manifest.HeadChunks); // and the head is still sliced
        var checks = ArtifactsCheck.CheckGradients(decoder, artifacts.Checkpoint.Parameters, Policy, folder.Config.Model.VocabSize,
            directions: 2, perTensor: true);
        Assert.All(checks, c => Assert.True(c.Within(1e-6), $"{c.Tensor ?? "all"}: analytic {c.Analytic}, finite difference {c.FiniteDifference}"));
    }

    [Fact]
    public void Logits_made_otherwise_keep_the_whole_logits_head_and_the_manifest_says_so()
    {
        var decoder = ArtifactsBuilder.LoadTrainableDecoder(tiny.Model);
        // A soft-cap after the projection (as Gemma 2 has): no longer a plain projection.
        var g = decoder.Graph;
        var projection = g.Producer(TrainingGraphBuilder.Logits)!;
        var raw = g.UniqueName("raw_logits");
        projection.Outputs[projection.Outputs.IndexOf(TrainingGraphBuilder.Logits)] = raw;
        g.AddNode("Tanh", [raw], [TrainingGraphBuilder.Logits], "/lm_head/softcap");
        var artifacts = ArtifactsBuilder.FromDecoder(decoder);
        Assert.Equal(0, artifacts.Manifest.HeadChunks);
        Assert.Contains(artifacts.TrainingModel.Graph.Nodes, n => n.OpType == "LogSoftmax" && !n.Name.Contains(FusedOps.ProjectedNextTokenLogprobs, StringComparison.Ordinal));
    }
}
