using ProRL.Evaluation.Consistency;
using ProRL.Onnx.Models;
using ProRL.Onnx.Tensors;
using ProRL.Rollout.Engine;
using ProRL.Rollout.ModelGeneration;
using ProRL.Training.Artifacts;
using ProRL.Training.Heads;
using ProRL.TestSupport;
using Xunit.Abstractions;

namespace ProRL.Training.Tests.RealExports;

/// <summary>
/// Every decoder layout the GenAI builder emits (<see cref="GeneratedLayouts"/>), in each dtype: the lowered logits
/// against the export's own ONNX Runtime logits (contrib kernels), every parameter tensor's gradient against float64
/// central differences on a right-padded batch, and the rollout engine's behaviour log-probabilities against the eval
/// graph's. Weights use a standard deviation of 0.2 so that logits are of order 1 and differences are visible.
/// </summary>
public class LayoutMatrixTests(ITestOutputHelper output)
{
    public static IReadOnlyDictionary<string, DecoderSpec> Layouts => GeneratedLayouts.All;

    public static TheoryData<string> LayoutNames => [.. Layouts.Keys];

    [Theory]
    [MemberData(nameof(LayoutNames))]
    public void Each_layout_lowers_differentiates_and_matches_the_engine(string name)
    {
        var spec = Layouts[name];
        var root = Path.Combine(Path.GetTempPath(), "prorl-layout-" + Guid.NewGuid().ToString("N"));
        try
        {
            var folder = ModelGenerator.Write(spec, Path.Combine(root, "model"));
            var decoder = ArtifactsBuilder.LoadTrainableDecoder(folder);
            Assert.DoesNotContain(decoder.Graph.Nodes, n => !n.IsStandard);

            var lowering = ArtifactsCheck.CheckLowering(folder, decoder, batch: 3, length: 12);
            Assert.True(lowering.MaxAbsLogit > 0.3, $"logits of {lowering.MaxAbsLogit} are too small to show a wrong lowering");
            Assert.True(lowering.MaxAbsDifference <= lowering.Tolerance,
                $"{name}: max |Δlogit| {lowering.MaxAbsDifference} vs the {lowering.Oracle}, tolerance {lowering.Tolerance}");

            var specs = TrainingGraphBuilder.TrainableParameters(decoder);
            var parameters = specs.ToDictionary(s => s.Name, s => decoder.Graph.Initializer(s.Name)!, StringComparer.Ordinal);
            var checks = ArtifactsCheck.CheckGradients(decoder, parameters, new TrainingGraphOptions { PolicyLoss = new PolicyLossHeadOptions { DualClip = true } },
                folder.Config.Model.VocabSize, directions: 1, batch: 2, length: 8, epsilon: 1e-3, perTensor: true);
            Assert.All(checks, c => Assert.True(c.Within(1e-5),
                $"{name}, {c.Tensor ?? "all parameters"}: analytic {c.Analytic}, central difference {c.FiniteDifference}"));
            double gradientError = checks.Max(c => c.RelativeError);

            string engine = "n/a (no bf16 kernels on the CPU)";
            if (spec.Precision != ModelPrecision.Bf16)
            {
                var gap = EngineLogprobCheck.Run(folder.Directory, lowering.MaxAbsLogit, threads: 1);
                Assert.True(gap.Passed, $"{name}: engine/eval logprob gap {gap.MaxAbsGap} over {gap.Tolerance}");
                engine = $"{gap.MaxAbsGap:E1} (tolerance {gap.Tolerance:E1})";
            }
            output.WriteLine($"| {name} | ✓ | {lowering.MaxAbsDifference:E1} ({lowering.Oracle}) | {gradientError:E1} | {engine} |");
        }
        finally
        {
            if (Directory.Exists(root)) Directory.Delete(root, recursive: true);
        }
    }

    [Fact]
    public void Padded_vocabulary_rows_are_reported_and_never_sampled_from_an_exported_version()
    {
        var root = Path.Combine(Path.GetTempPath(), "prorl-layout-" + Guid.NewGuid().ToString("N"));
        try
        {
            var folder = ModelGenerator.Write(Layouts["padded-vocabulary/fp32"], Path.Combine(root, "model"));
            int real = ByteLevelTokenizer.VocabSize;
            var layout = ProRL.Training.Inspection.ModelLayout.Inspect(folder.Directory);
            Assert.Equal((300, 300L, real), (layout.ConfigVocabSize, layout.EmbeddingRows, layout.Tokenizer!.Size));
            Assert.Contains(layout.Warnings, w => w.Contains("41 padded embedding rows", StringComparison.Ordinal));

            // The raw export samples padded ids (41 of 300 rows at random weights); the trainer's export never does.
            var settings = new SamplingSettings { Temperature = 1.5, MaxNewTokens = 16, SamplesPerPrompt = 16, Seed = 9 };
            using (var raw = new RolloutEngine(new RolloutEngineOptions { ModelPath = folder.Directory }))
                Assert.Contains(raw.Generate([RolloutPrompt.Raw("abc")], settings).SelectMany(s => s.CompletionTokenIds), t => t >= real);

            ArtifactsBuilder.Build(folder.Directory).Write(Path.Combine(root, "artifacts"));
            using var session = ProRL.Training.Session.TrainingSession.Open(Path.Combine(root, "artifacts"));
            session.ExportModel(folder.Directory, Path.Combine(root, "v1"));
            using var engine = new RolloutEngine(new RolloutEngineOptions { ModelPath = Path.Combine(root, "v1") });
            var samples = engine.Generate([RolloutPrompt.Raw("abc")], settings);
            Assert.All(samples.SelectMany(s => s.CompletionTokenIds), t => Assert.True(t < real, $"sampled padded id {t}"));

            // The eval graph gives a padded id a log-probability near the fill value, and real ids finite ones.
            var logprobs = session.EvalStep(ProRL.Training.Session.TokenBatch.Unpadded(1, 3, [97, 98, 299]), 1f).Logprobs;
            Assert.True(logprobs[0] > -20, $"real token logprob {logprobs[0]}");
            Assert.True(logprobs[1] < -9000, $"padded token logprob {logprobs[1]}");
        }
        finally
        {
            if (Directory.Exists(root)) Directory.Delete(root, recursive: true);
        }
    }
}
