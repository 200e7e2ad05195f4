using ProRL.Rollout.ModelGeneration;
using ProRL.Training.Artifacts;
using ProRL.Training.Batching;
using ProRL.Training.Session;

namespace ProRL.Training.Tests.Session;

/// <summary>
/// A training session on artifacts built for packed sequences against one on padded artifacts, fed the same samples:
/// the padded session is the oracle (its lowering and gradients are checked against the export and float64 finite
/// differences elsewhere), so packing must change where tokens sit and nothing else.
/// </summary>
public sealed class PackedSequenceSessionTests : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "prorl-packed-session-" + Guid.NewGuid().ToString("N"));
    private readonly string _model;

    public PackedSequenceSessionTests()
    {
        _model = ModelGenerator.Write(DecoderSpec.Tiny with { InitStd = 0.2f, Seed = 5 }, Path.Combine(_root, "model")).Directory;
    }

    public void Dispose()
    {
        if (Directory.Exists(_root)) Directory.Delete(_root, recursive: true);
    }

    private TrainingSession OpenSession(bool packed)
    {
        var dir = Path.Combine(_root, packed ? "packed" : "padded");
        if (!Directory.Exists(dir))
            ArtifactsBuilder.Build(_model, new ArtifactsOptions { Training = new TrainingGraphOptions { PackedSequences = packed } }).Write(dir);
        var session = TrainingSession.Open(dir, new TrainingSessionOptions { IntraOpThreads = 1 });
        session.SetReferenceToPolicy();
        return session;
    }

    /// <summary>Lengths chosen so that first-fit decreasing puts 2–3 samples in some rows (widths 9, 9, 8).</summary>
    private static List<TrainingSample> Samples()
    {
        var rng = new Random(11);
        int[] Tokens(int n) => [.. Enumerable.Range(0, n).Select(_ => rng.Next(1, 200))];
        float[] Logprobs(int n) => [.. Enumerable.Range(0, n).Select(_ => -(float)rng.NextDouble() * 3)];
        (int Prompt, int Completion)[] shapes = [(3, 6), (2, 2), (4, 1), (1, 4), (2, 3), (3, 3), (1, 1)];
        return [.. shapes.Select((s, i) => new TrainingSample(i / 2, Tokens(s.Prompt), Tokens(s.Completion), Logprobs(s.Completion), i % 3, true))];
    }

    private static PolicyLossInputs Inputs(PackedBatch batch, IReadOnlyList<TrainingSample> samples, float[] old)
    {
        // Reference logprobs off the old ones by a per-sample amount, advantages per sample: both follow each sample.
        var reference = (float[])old.Clone();
        for (int s = 0; s < samples.Count; s++)
        {
            var (row, offset) = batch.Placements[s];
            for (int j = 0; j < samples[s].CompletionIds.Length; j++)
                reference[row * batch.Width + offset + samples[s].PromptIds.Length - 1 + j] -= 0.05f * (s + 1);
        }
        double[] advantages = [.. samples.Select((_, i) => (i % 3) - 1.0 + 0.25 * i)];
        return new PolicyLossInputs(batch.ResponseMask, old, reference, batch.PerSampleToTokens(advantages, samples));
    }

    [Fact]
    public void Packed_rows_give_each_samples_logprobs_loss_and_update_as_padded_rows_do()
    {
        var samples = Samples();
        var padded = PackedBatch.Pack(samples, 0);
        var packed = PackedBatch.PackSequences(samples, 0);
        Assert.True(packed.Tokens.BatchSize < padded.Tokens.BatchSize, "packing put no two samples in one row");
        Assert.True(packed.PaddingTokens < padded.PaddingTokens);

        using var paddedSession = OpenSession(packed: false);
        using var packedSession = OpenSession(packed: true);
        var settings = new PolicyLossSettings { KlCoef = 0.1f, EntropyCoef = 0.01f };
        var paddedOld = paddedSession.EvalStep(padded.Tokens, settings.Temperature);
        var packedOld = packedSession.EvalStep(packed.Tokens, settings.Temperature);
        AssertSameSampleValues(padded, paddedOld.Logprobs, packed, packedOld.Logprobs, samples, 2e-5);
        AssertSameSampleValues(padded, paddedOld.Entropy, packed, packedOld.Entropy, samples, 2e-5);

        var paddedStep = paddedSession.TrainStep(padded.Tokens, Inputs(padded, samples, paddedOld.Logprobs), settings);
        var packedStep = packedSession.TrainStep(packed.Tokens, Inputs(packed, samples, packedOld.Logprobs), settings);
        Assert.True(Math.Abs(paddedStep.Loss) > 1e-3, $"loss {paddedStep.Loss} is too small to compare");
        Assert.Equal(paddedStep.Loss, packedStep.Loss, 5);
        foreach (var (name, value) in paddedStep.Metrics) Assert.Equal(value, packedStep.Metrics[name], 5);

        var adam = new AdamWSettings { LearningRate = 1e-2f, MaxGradNorm = 0 };
        var paddedUpdate = paddedSession.OptimizerStep(adam);
        var packedUpdate = packedSession.OptimizerStep(adam);
        Assert.True(paddedUpdate.Applied && packedUpdate.Applied);
        Assert.Equal(paddedUpdate.GradNorm, packedUpdate.GradNorm, 1e-5 * paddedUpdate.GradNorm);

        // After the update both sessions hold the same weights: the same logprobs, and not the old ones.
        var paddedNew = paddedSession.EvalStep(padded.Tokens, settings.Temperature);
        var packedNew = packedSession.EvalStep(packed.Tokens, settings.Temperature);
        AssertSameSampleValues(padded, paddedNew.Logprobs, packed, packedNew.Logprobs, samples, 5e-5);
        double moved = Enumerable.Range(0, paddedNew.Logprobs.Length).Where(i => padded.ResponseMask[i] > 0)
            .Max(i => Math.Abs(paddedNew.Logprobs[i] - paddedOld.Logprobs[i]));
        Assert.True(moved > 1e-3, $"the update moved logprobs by only {moved}: the comparison would prove nothing");
    }

    [Fact]
    public void Packed_artifacts_run_one_sequence_per_row_batches_too_and_padded_artifacts_refuse_packed_rows()
    {
        var samples = Samples();
        var padded = PackedBatch.Pack(samples, 0);
        using (var packedSession = OpenSession(packed: true))
        using (var paddedSession = OpenSession(packed: false))
        {
            var expected = paddedSession.EvalStep(padded.Tokens, 1f).Logprobs;
            var actual = packedSession.EvalStep(padded.Tokens, 1f).Logprobs;
            for (int i = 0; i < expected.Length; i++)
                if (padded.ResponseMask[i] > 0) Assert.Equal(expected[i], actual[i], 5);

            var error = Assert.Throws<ArgumentException>(() => paddedSession.EvalStep(PackedBatch.PackSequences(samples, 0).Tokens, 1f));
            Assert.Contains("packed sequences", error.Message, StringComparison.Ordinal);
        }
    }

    private static void AssertSameSampleValues(PackedBatch a, float[] valuesA, PackedBatch b, float[] valuesB, IReadOnlyList<TrainingSample> samples, double tolerance)
    {
        for (int s = 0; s < samples.Count; s++)
        {
            var expected = a.CompletionValues(valuesA, s, samples[s]);
            var actual = b.CompletionValues(valuesB, s, samples[s]);
            Assert.Equal(samples[s].CompletionIds.Length, expected.Length);
            for (int j = 0; j < expected.Length; j++)
                Assert.True(Math.Abs(expected[j] - actual[j]) <= tolerance, $"sample {s}, token {j}: padded {expected[j]}, packed {actual[j]}");
        }
    }
}
