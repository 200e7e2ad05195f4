using ProRL.Onnx.IO;
using ProRL.Onnx.Tensors;
using ProRL.Rollout.Engine;
using ProRL.Training.Artifacts;
using ProRL.Training.Session;
using TrainingSession = ProRL.Training.Session.TrainingSession;

namespace ProRL.Evaluation.Consistency;

/// <summary>Worst gap between the rollout engine's behaviour log-probabilities and the eval graph's on the same tokens.</summary>
public sealed record EngineLogprobResult(double MaxAbsGap, int Tokens, TensorDataType LogitsType, double Tolerance)
{
    public bool Passed => MaxAbsGap <= Tolerance;
}

/// <summary>
/// The off-policy guard's premise, checked on one export: tokens sampled by ONNX Runtime GenAI get, from the trainer's
/// eval graph (float32 master weights), the log-probability the engine recorded. The engine reads the export's logits
/// in the export's dtype, so the tolerance depends on it.
/// </summary>
public static class EngineLogprobCheck
{
    /// <summary>
    /// Stated tolerance on |engine − trainer|: twice the lowering's logit tolerance for the logits' element type at
    /// the logits' magnitude (<see cref="ArtifactsCheck.LoweringTolerance"/>), since a log-softmax at temperature
    /// T ≥ 1 moves by at most twice the largest logit error.
    /// </summary>
    public static double Tolerance(TensorDataType logitsType, double maxAbsLogit) =>
        2 * ArtifactsCheck.LoweringTolerance(logitsType, maxAbsLogit);

    /// <summary>
    /// Samples <paramref name="samplesPerPrompt"/> completions of <paramref name="newTokens"/> tokens for two raw prompts
    /// at temperature 1.2 and compares their log-probabilities with the eval graph built from <paramref name="artifactsDirectory"/>.
    /// </summary>
    public static EngineLogprobResult Run(string modelDirectory, string artifactsDirectory, double maxAbsLogit, int samplesPerPrompt = 2,
        int newTokens = 12, ulong seed = 5, int threads = 0)
    {
        var logitsType = OnnxModelIO.Load(Path.Combine(modelDirectory, Onnx.Models.ModelFolder.Open(modelDirectory).Decoder.Filename))
            .Graph.FindOutput("logits")?.ElementType ?? TensorDataType.Float;
        using var session = TrainingSession.Open(artifactsDirectory, new TrainingSessionOptions { IntraOpThreads = threads });
        // Rollouts run on the versions the trainer exports (graph as the export's, vocabulary padding masked), so the
        // engine samples from the session's own export of the starting weights.
        var exported = Path.Combine(artifactsDirectory, "engine-check-export");
        if (Directory.Exists(exported)) Directory.Delete(exported, recursive: true);
        session.ExportModel(modelDirectory, exported);
        using var engine = new RolloutEngine(new RolloutEngineOptions { ModelPath = exported, IntraOpThreads = threads });
        const double temperature = 1.2;
        var samples = engine.Generate([RolloutPrompt.Raw("The quick brown fox"), RolloutPrompt.Raw("1 + 1 =")],
            new SamplingSettings { Temperature = temperature, MaxNewTokens = newTokens, Seed = seed, SamplesPerPrompt = samplesPerPrompt });
        double worst = 0;
        int tokens = 0;
        foreach (var sample in samples)
        {
            var ids = sample.PromptTokenIds.Concat(sample.CompletionTokenIds).Select(t => (long)t).ToArray();
            var logprobs = session.EvalStep(TokenBatch.Unpadded(1, ids.Length, ids), (float)temperature).Logprobs;
            for (int i = 0; i < sample.CompletionTokenIds.Length; i++)
            {
                float trainer = logprobs[sample.PromptTokenIds.Length - 1 + i];
                double gap = float.IsFinite(sample.LogProbs[i]) ? Math.Abs(trainer - sample.LogProbs[i]) : double.PositiveInfinity;
                worst = Math.Max(worst, gap);
                tokens++;
            }
        }
        return new EngineLogprobResult(worst, tokens, logitsType, Tolerance(logitsType, maxAbsLogit));
    }

    /// <summary>
    /// Builds the artifacts of <paramref name="modelDirectory"/> in a temporary folder, runs the check, and removes them.
    /// <paramref name="maxAbsLogit"/> is the logits' magnitude (<see cref="LoweringCheckResult.MaxAbsLogit"/>).
    /// </summary>
    public static EngineLogprobResult Run(string modelDirectory, double maxAbsLogit, int threads = 0)
    {
        var artifacts = Path.Combine(Path.GetTempPath(), "prorl-engine-check-" + Guid.NewGuid().ToString("N"));
        try
        {
            ArtifactsBuilder.Build(modelDirectory).Write(artifacts);
            return Run(modelDirectory, artifacts, maxAbsLogit, threads: threads);
        }
        finally
        {
            if (Directory.Exists(artifacts)) Directory.Delete(artifacts, recursive: true);
        }
    }
}
