using ProRL.Evaluation.Consistency;
using ProRL.Onnx.Models;
using ProRL.TestSupport;
using ProRL.Training.Artifacts;
using ProRL.Training.Heads;
using Xunit.Abstractions;

namespace ProRL.Training.Tests.RealExports;

/// <summary>
/// The two real exports written by the ONNX Runtime GenAI model builder (../shared/fixtures): fused-rotary GQA in fp32
/// at opset 14, and MultiHeadAttention + RotaryEmbedding with the mask-reformat subgraph in fp16. Each is checked the
/// way a user's export is: lowered logits against the export's own ONNX Runtime logits, the whole training graph against
/// float64 central differences, and the rollout engine's behaviour log-probabilities against the eval graph's.
/// </summary>
public class RealExportTests(ITestOutputHelper output)
{
    public static TheoryData<string> Fixtures => [SharedFixtures.LlamaFp32Opset14, SharedFixtures.LlamaFp16Mha];

    [Theory]
    [MemberData(nameof(Fixtures))]
    public void The_lowered_decoder_matches_the_exports_own_logits_on_a_right_padded_batch(string fixture)
    {
        var folder = ModelFolder.Open(SharedFixtures.Path(fixture));
        var decoder = ArtifactsBuilder.LoadTrainableDecoder(folder);
        Assert.DoesNotContain(decoder.Graph.Nodes, n => !n.IsStandard);
        Assert.Equal(21, decoder.OpsetVersion());

        var result = ArtifactsCheck.CheckLowering(folder, decoder, batch: 3, length: 12);
        Assert.Equal("export", result.Oracle);
        Assert.True(result.MaxAbsLogit > 0.05, "the logits are all near zero: the comparison would prove nothing");
        output.WriteLine($"{fixture}: lowering max |Δlogit| {result.MaxAbsDifference:E1} (largest |logit| {result.MaxAbsLogit:F2}, tolerance {result.Tolerance:E1})");
        Assert.True(result.MaxAbsDifference <= result.Tolerance,
            $"{fixture}: max |Δlogit| {result.MaxAbsDifference} over tolerance {result.Tolerance} ({result.LogitsType})");
    }

    [Theory]
    [MemberData(nameof(Fixtures))]
    public void Every_parameter_tensors_gradient_matches_float64_central_differences(string fixture)
    {
        var folder = ModelFolder.Open(SharedFixtures.Path(fixture));
        var decoder = ArtifactsBuilder.LoadTrainableDecoder(folder);
        var specs = TrainingGraphBuilder.TrainableParameters(decoder);
        var parameters = specs.ToDictionary(s => s.Name, s => decoder.Graph.Initializer(s.Name)!, StringComparer.Ordinal);
        var options = new TrainingGraphOptions { PolicyLoss = new PolicyLossHeadOptions { DualClip = true } };

        // ε = 1e-3: a direction within one small tensor (a norm weight) moves the loss by ~1e-7, so the central
        // difference's rounding (∝ 1/ε) would dominate at 1e-5; the truncation error (∝ ε²) stays far below 1e-5 here.
        var checks = ArtifactsCheck.CheckGradients(decoder, parameters, options, folder.Config.Model.VocabSize,
            directions: 1, batch: 2, length: 8, epsilon: 1e-3, perTensor: true);

        Assert.Equal(specs.Count + 1, checks.Count);
        output.WriteLine($"{fixture}: worst gradient relative error {checks.Max(c => c.RelativeError):E1} over {checks.Count} directions");
        Assert.All(checks, c =>
        {
            Assert.True(c.Within(1e-5), $"{fixture}, {c.Tensor ?? "all parameters"}: analytic {c.Analytic}, central difference {c.FiniteDifference}, rounding bound {c.RoundoffBound}");
            Assert.True(Math.Abs(c.Analytic) > 1e-9, $"{c.Tensor ?? "all parameters"}: zero directional derivative, the check proves nothing");
        });
    }

    [Theory]
    [MemberData(nameof(Fixtures))]
    public void The_rollout_engines_behaviour_logprobs_equal_the_eval_graphs(string fixture)
    {
        var folder = ModelFolder.Open(SharedFixtures.Path(fixture));
        var lowering = ArtifactsCheck.CheckLowering(folder, ArtifactsBuilder.LoadTrainableDecoder(folder));
        var result = EngineLogprobCheck.Run(folder.Directory, lowering.MaxAbsLogit, threads: 2);
        Assert.Equal(4 * 12, result.Tokens);
        output.WriteLine($"{fixture}: engine/eval logprob gap {result.MaxAbsGap:E1} (tolerance {result.Tolerance:E1})");
        Assert.True(result.Passed, $"{fixture} ({result.LogitsType} logits): worst |rollout − trainer| logprob gap {result.MaxAbsGap} over {result.Tolerance}");
    }
}
