using ProRL.Onnx.Graph;
using ProRL.Onnx.Models;
using ProRL.Onnx.Tensors;
using ProRL.Rollout.ModelGeneration;
using ProRL.TestSupport;
using ProRL.Training.Artifacts;
using ProRL.Training.Heads;
using ProRL.Training.Lowering;
using Xunit.Abstractions;

namespace ProRL.Training.Tests.RealExports;

/// <summary>
/// Packed sequences on every layout the builder emits and on both real exports: each sequence's logits in a packed
/// row against the export's own ONNX Runtime logits for that sequence alone (so attention across sequences, or a
/// rotary position that does not restart, fails), and the packed training graph's gradients against float64 central
/// differences.
/// </summary>
public class PackedSequenceLayoutTests(ITestOutputHelper output)
{
    public static TheoryData<string> LayoutNames => [.. GeneratedLayouts.All.Keys];

    public static TheoryData<string> Fixtures => [SharedFixtures.LlamaFp32Opset14, SharedFixtures.LlamaFp16Mha];

    [Theory]
    [MemberData(nameof(LayoutNames))]
    public void Each_layout_packs_sequences_that_match_the_export_alone(string name)
    {
        var root = Path.Combine(Path.GetTempPath(), "prorl-packed-" + Guid.NewGuid().ToString("N"));
        try
        {
            var folder = ModelGenerator.Write(GeneratedLayouts.All[name] with { InitStd = 0.2f }, Path.Combine(root, "model"));
            CheckFolder(name, folder);
        }
        finally
        {
            if (Directory.Exists(root)) Directory.Delete(root, recursive: true);
        }
    }

    [Theory]
    [MemberData(nameof(Fixtures))]
    public void Real_exports_pack_sequences_that_match_the_export_alone(string fixture) =>
        CheckFolder(fixture, ModelFolder.Open(SharedFixtures.Path(fixture)));

    private void CheckFolder(string name, ModelFolder folder)
    {
        var decoder = ArtifactsBuilder.LoadTrainableDecoder(folder, packedSequences: true);
        Assert.DoesNotContain(decoder.Graph.Inputs, i => i.Name == TrainingGraphBuilder.AttentionMask);

        var lowering = ArtifactsCheck.CheckLowering(folder, decoder, length: 12);
        Assert.True(lowering.Batch < ArtifactsCheck.PackedLengths(12).Length, "no two sequences shared a row: packing was not tested");
        Assert.True(lowering.MaxAbsLogit > 0.05, $"logits of {lowering.MaxAbsLogit} are too small to show a wrong lowering");
        Assert.True(lowering.MaxAbsDifference <= lowering.Tolerance,
            $"{name}: packed max |Δlogit| {lowering.MaxAbsDifference} vs the {lowering.Oracle}, tolerance {lowering.Tolerance}");

        var specs = TrainingGraphBuilder.TrainableParameters(decoder);
        var parameters = specs.ToDictionary(s => s.Name, s => decoder.Graph.Initializer(s.Name)!, StringComparer.Ordinal);
        var checks = ArtifactsCheck.CheckGradients(decoder, parameters, new TrainingGraphOptions { PackedSequences = true },
            folder.Config.Model.VocabSize, directions: 2, batch: 2, length: 10, epsilon: 1e-3);
        Assert.All(checks, c => Assert.True(c.Within(1e-5), $"{name}: analytic {c.Analytic}, central difference {c.FiniteDifference}"));
        Assert.All(checks, c => Assert.True(Math.Abs(c.Analytic) > 1e-9, "zero directional derivative: the check proves nothing"));
        output.WriteLine($"| {name} | {lowering.MaxAbsDifference:E1} ({lowering.Oracle}) | {checks.Max(c => c.RelativeError):E1} |");
    }

    [Fact]
    public void Packing_is_refused_for_the_per_sequence_loss_aggregations()
    {
        var root = Path.Combine(Path.GetTempPath(), "prorl-packed-" + Guid.NewGuid().ToString("N"));
        try
        {
            var folder = ModelGenerator.Write(DecoderSpec.Tiny, Path.Combine(root, "model"));
            var error = Assert.Throws<ArgumentException>(() => ArtifactsBuilder.Build(folder.Directory, new ArtifactsOptions
            {
                Training = new TrainingGraphOptions
                {
                    PackedSequences = true,
                    PolicyLoss = new PolicyLossHeadOptions { Aggregation = ProRL.Algorithms.Loss.LossAggregation.SeqMeanTokenMean },
                },
            }));
            Assert.Contains("token-mean", error.Message, StringComparison.Ordinal);
            Assert.Contains("SeqMeanTokenMean", error.Message, StringComparison.Ordinal);
        }
        finally
        {
            if (Directory.Exists(root)) Directory.Delete(root, recursive: true);
        }
    }

    [Fact]
    public void A_decoder_without_contrib_attention_cannot_be_packed_and_says_so()
    {
        // Standard-op attention reads the attention mask in ways the lowering cannot see, so packing is refused.
        var graph = new OnnxGraph { Name = "plain" };
        graph.Inputs.Add(new ValueInfo("input_ids", TensorDataType.Int64, ["b", "t"]));
        graph.Inputs.Add(new ValueInfo("attention_mask", TensorDataType.Int64, ["b", "t"]));
        graph.Outputs.Add(new ValueInfo("logits", TensorDataType.Float, ["b", "t", 4]));
        var table = graph.Const("embed", Tensor.FromFloats("embed", TensorDataType.Float, [5, 4], new float[20]));
        graph.AddNode("Gather", [table, "input_ids"], ["logits"], "embed_tokens");
        var model = new OnnxModel(graph);

        var error = Assert.Throws<LoweringException>(() => DecoderLowering.ForTraining(model, new LoweringOptions { PackedSequences = true }));
        Assert.Contains("GroupQueryAttention", error.Message, StringComparison.Ordinal);
        Assert.Contains("Training:PackSequences=false", error.Message, StringComparison.Ordinal);
    }
}
