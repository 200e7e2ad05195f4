using Microsoft.ML.OnnxRuntime;
using ProRL.Onnx.Graph;
using ProRL.Rollout.ModelGeneration;
using ProRL.Training.Artifacts;
using ProRL.Training.Lowering;
using ProRL.Training.Session;
using TrainingSession = ProRL.Training.Session.TrainingSession;

namespace ProRL.Training.Tests.RealExports;

/// <summary>
/// Exports of every opset from 14 (2024–25 builders) to 21 (the current builder): the eval, training and optimizer
/// graphs are raised to opset 21 as a whole, ONNX Runtime loads each of them, and the log-probabilities equal those of
/// the opset-21 export of the same weights.
/// </summary>
public class OpsetRangeTests
{
    public static TheoryData<int> Opsets => [14, 15, 16, 17, 18, 19, 20];

    [Theory]
    [MemberData(nameof(Opsets))]
    public void Artifacts_of_an_older_opset_export_load_in_ONNX_Runtime_and_match_the_opset_21_export(int opset)
    {
        var root = Path.Combine(Path.GetTempPath(), "prorl-opset-" + Guid.NewGuid().ToString("N"));
        try
        {
            var spec = DecoderSpec.Tiny with { Seed = 5, InitStd = 0.2f, Context = 32 };
            var old = ModelGenerator.Write(spec with { Opset = opset }, Path.Combine(root, "old"));
            var current = ModelGenerator.Write(spec, Path.Combine(root, "current"));
            Assert.Equal(opset, (int)ProRL.Onnx.IO.OnnxModelIO.Load(old.ModelPath).OpsetVersion());

            var artifacts = ArtifactsBuilder.Build(old.Directory);
            foreach (var graph in new[] { artifacts.EvalModel, artifacts.TrainingModel, artifacts.OptimizerModel })
            {
                Assert.Equal(OpsetUpgrade.TargetOpset, graph.OpsetVersion());
                Assert.True(graph.IrVersion >= OpsetUpgrade.TargetIrVersion);
                using var session = new InferenceSession(ProRL.Onnx.IO.OnnxModelIO.ToBytes(graph)); // ORT validates every node against opset 21
            }

            artifacts.Write(Path.Combine(root, "old-artifacts"));
            ArtifactsBuilder.Build(current.Directory).Write(Path.Combine(root, "current-artifacts"));
            using var oldSession = TrainingSession.Open(Path.Combine(root, "old-artifacts"));
            using var currentSession = TrainingSession.Open(Path.Combine(root, "current-artifacts"));
            var batch = new TokenBatch(2, 6, [10, 20, 30, 40, 50, 60, 70, 80, 90, 2, 2, 2], [1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0]);
            var expected = currentSession.EvalStep(batch, 1f).Logprobs;
            var actual = oldSession.EvalStep(batch, 1f).Logprobs;
            for (int i = 0; i < expected.Length; i++)
                Assert.True(Math.Abs(expected[i] - actual[i]) <= 1e-5, $"target {i}: opset {opset} {actual[i]}, opset 21 {expected[i]}");
        }
        finally
        {
            if (Directory.Exists(root)) Directory.Delete(root, recursive: true);
        }
    }

    [Fact]
    public void An_opset_below_11_is_refused_with_the_export_to_make()
    {
        var model = new OnnxModel(new OnnxGraph { Name = "old" });
        model.Opsets[OnnxModel.StandardDomain] = 9;
        var e = Assert.Throws<LoweringException>(() => OpsetUpgrade.Apply(model, "old.onnx"));
        Assert.Contains("opset 9", e.Message);
        Assert.Contains("builder", e.Message);
    }
}
