using ProRL.Rollout.Engine;

namespace ProRL.Rollout.Tests;

internal static class EngineAssert
{
    /// <summary>
    /// Recomputes every reported log-prob from an independent ONNX Runtime forward pass over prompt + completion,
    /// in double precision: log_softmax(logits / T)[token].
    /// </summary>
    public static void LogProbsMatchReference(LayoutReference reference, RolloutSample sample, double temperature, double tolerance = 2e-4)
    {
        var sequence = sample.PromptTokenIds.Concat(sample.CompletionTokenIds).ToArray();
        var logits = reference.Forward(sequence);
        Assert.Equal(sample.CompletionTokenIds.Length, sample.LogProbs.Length);
        for (int i = 0; i < sample.CompletionTokenIds.Length; i++)
        {
            var row = logits[sample.PromptTokenIds.Length - 1 + i];
            double expected = NaiveLogSoftmax(row, sample.CompletionTokenIds[i], temperature);
            Assert.True(Math.Abs(expected - sample.LogProbs[i]) <= tolerance,
                $"token {i} ({sample.CompletionTokenIds[i]}): engine {sample.LogProbs[i]}, reference {expected}");
        }
    }

    public static double NaiveLogSoftmax(float[] logits, int token, double temperature)
    {
        double max = logits.Max(v => v / temperature);
        double sum = logits.Sum(v => Math.Exp(v / temperature - max));
        return logits[token] / temperature - max - Math.Log(sum);
    }
}
