using ProRL.Onnx.IO;
using ProRL.Onnx.Models;
using ProRL.Onnx.Tensors;
using ProRL.Rollout.Engine;
using ProRL.TestSupport;
using ProRL.Training.Artifacts;
using ProRL.Training.Heads;
using ProRL.Training.Session;
using TrainingSession = ProRL.Training.Session.TrainingSession;

namespace ProRL.Training.Tests.RealExports;

/// <summary>
/// The two real exports written by the ONNX Runtime GenAI model builder (../shared/fixtures): fused-rotary GQA in fp32
/// at opset 14, and MultiHeadAttention + RotaryEmbedding with the mask-reformat subgraph in fp16. Each is checked the
/// way a user's export is: lowered logits against the export's own ONNX Runtime logits, the whole training graph against
/// float64 central differences, and the rollout engine's behaviour log-probabilities against the eval graph's.
/// </summary>
public class RealExportTests
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
        var modelPath = SharedFixtures.Path(fixture);
        var artifacts = Path.Combine(Path.GetTempPath(), "prorl-real-export-" + Guid.NewGuid().ToString("N"));
        try
        {
            ArtifactsBuilder.Build(modelPath).Write(artifacts);
            using var session = TrainingSession.Open(artifacts, new TrainingSessionOptions { IntraOpThreads = 2 });
            using var engine = new RolloutEngine(new RolloutEngineOptions { ModelPath = modelPath });
            var logitsType = OnnxModelIO.Load(Path.Combine(modelPath, "model.onnx")).Graph.FindOutput("logits")!.ElementType;
            double tolerance = BehaviourLogprobTolerance(logitsType);

            var samples = engine.Generate([RolloutPrompt.Raw("The quick brown fox"), RolloutPrompt.Raw("1 + 1 =")],
                new SamplingSettings { Temperature = 1.2, MaxNewTokens = 12, Seed = 5, SamplesPerPrompt = 2 });
            double worst = 0;
            foreach (var sample in samples)
            {
                Assert.Equal(12, sample.CompletionTokenIds.Length);
                var tokens = sample.PromptTokenIds.Concat(sample.CompletionTokenIds).Select(t => (long)t).ToArray();
                var logprobs = session.EvalStep(TokenBatch.Unpadded(1, tokens.Length, tokens), 1.2f).Logprobs;
                for (int i = 0; i < sample.CompletionTokenIds.Length; i++)
                {
                    float trainer = logprobs[sample.PromptTokenIds.Length - 1 + i];
                    Assert.True(float.IsFinite(sample.LogProbs[i]) && sample.LogProbs[i] < 0, $"token {i}: behaviour logprob {sample.LogProbs[i]}");
                    worst = Math.Max(worst, Math.Abs(trainer - sample.LogProbs[i]));
                }
            }
            Assert.True(worst <= tolerance, $"{fixture} ({logitsType} logits): worst |rollout − trainer| logprob gap {worst} over {tolerance}");
        }
        finally
        {
            if (Directory.Exists(artifacts)) Directory.Delete(artifacts, recursive: true);
        }
    }

    /// <summary>
    /// Stated tolerance of the engine/eval log-probability gap: the engine reads the logits the export computes in its
    /// own dtype, the trainer computes in float32 (fp32 master weights).
    /// </summary>
    private static double BehaviourLogprobTolerance(TensorDataType logitsType) => logitsType switch
    {
        TensorDataType.Float16 => 5e-3,
        TensorDataType.BFloat16 => 5e-2,
        _ => 1e-4,
    };
}
