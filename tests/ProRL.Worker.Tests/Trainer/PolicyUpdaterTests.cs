using ProRL.Algorithms.Length;
using ProRL.Training.Batching;
using ProRL.Training.Session;
using ProRL.Worker.Trainer;
using Cpu = ProRL.Algorithms.Loss;
using Tensor = ProRL.Onnx.Tensors.Tensor;

namespace ProRL.Worker.Tests.Trainer;

public class PolicyUpdaterTests(PolicyArtifactsFixture tiny) : IClassFixture<PolicyArtifactsFixture>
{
    private const float Temperature = 1.2f;

    /// <summary>Two groups of two responses with unequal rewards, of unequal lengths (so packing pads).</summary>
    private static TrainingSample[] Samples(double r0, double r1, double r2, double r3) =>
    [
        new(0, [60, 61, 62], [70, 71], [-1f, -1f], r0, true),
        new(0, [60, 61, 62], [72, 73, 74], [-1f, -1f, -1f], r1, true),
        new(1, [63, 64], [75], [-1f], r2, true),
        new(1, [63, 64], [76, 77], [-1f, -1f], r3, true),
    ];

    private static PolicyUpdateSettings Settings(float klCoef, AdamWSettings? optimizer = null, int microBatchSize = 16, int? maxTokens = null) => new()
    {
        MaxTokensPerMicroBatch = maxTokens,
        Loss = new PolicyLossSettings { Temperature = Temperature, KlCoef = klCoef },
        Optimizer = optimizer ?? new AdamWSettings { LearningRate = 1e-2f, WeightDecay = 0 },
        LengthShaping = new LengthShapingOptions(),
        MiniBatches = 1,
        MicroBatchSize = microBatchSize,
        PadTokenId = 0,
    };

    [Fact]
    public void First_update_reports_the_CPU_policy_loss_of_its_per_token_arrays_with_ratio_1()
    {
        using var session = tiny.OpenSession();
        session.LoadReference(Scaled(session.GetParameters(), 1.05f), "perturbed reference"); // so that the KL is not 0
        var samples = Samples(1, 0, 0.5, 0);
        var packed = PackedBatch.Pack(samples, 0);
        var logp = session.EvalStep(packed.Tokens, Temperature).Logprobs;
        var refLogp = session.EvalStep(packed.Tokens, Temperature, ParameterSet.Reference).Logprobs;
        // The behaviour logprobs sit 0.25 below the trainer's: the reported rollout/trainer gap must say so.
        samples = WithBehaviourOffset(session, samples, -0.25f);

        // GRPO by hand (unbiased std, ε = 1e-6): group {1, 0} → ±0.5 / (√0.5 + ε); group {0.5, 0} → ±0.25 / (√0.125 + ε).
        double a0 = 0.5 / (Math.Sqrt(0.5) + 1e-6), a1 = 0.25 / (Math.Sqrt(0.125) + 1e-6);
        double[] perRow = [a0, -a0, a1, -a1];
        var advantages = new float[packed.ResponseMask.Length];
        for (int i = 0; i < advantages.Length; i++) advantages[i] = packed.ResponseMask[i] * (float)perRow[i / packed.Width];

        var expected = Cpu.PolicyLoss.Compute(
            new Cpu.PolicyLossBatch(samples.Length, packed.Width, logp, logp, advantages, packed.ResponseMask) { RefLogprobs = refLogp },
            new Cpu.PolicyLossOptions { ClipLow = 0.2, ClipHigh = 0.4, KlEstimator = Cpu.KlEstimator.K3, KlCoef = 0.5, Aggregation = Cpu.LossAggregation.TokenMean });

        var result = new PolicyUpdater(session, Settings(klCoef: 0.5f)).Update(samples, step: 1);

        Assert.True(expected.Kl > 1e-4, "the reference must differ from the policy for the KL check to mean anything");
        Assert.Equal(expected.Loss, result.Loss, 4);
        Assert.Equal(expected.PolicyGradientLoss, result.PolicyGradientLoss, 4);
        Assert.Equal(expected.Kl, result.Kl, 4);
        Assert.Equal(expected.KlShare, result.KlShare, 3);
        Assert.Equal(0, result.ClipFractionLow + result.ClipFractionHigh); // ratio = 1 clips nothing
        Assert.Equal(8, result.ResponseTokens);
        Assert.Equal(0.375, result.MeanReward, 12);
        Assert.Equal(1, result.UpdatesApplied);
        Assert.Equal(0.25, result.RolloutTrainerLogprobGap, 4);
    }

    [Fact]
    public void Splitting_the_mini_batch_into_micro_batches_of_1_gives_the_same_parameters()
    {
        // ε = 1 makes AdamW's first step ≈ lr·g rather than lr·sign(g), so gradient differences show in the parameters.
        var optimizer = new AdamWSettings { LearningRate = 0.05f, WeightDecay = 0, Epsilon = 1f, MaxGradNorm = 100f };
        using var whole = tiny.OpenSession();
        using var split = tiny.OpenSession();
        var initial = whole.GetParameters();
        var samples = Samples(1, 0, 0.5, 0);
        new PolicyUpdater(whole, Settings(0.1f, optimizer, microBatchSize: 4)).Update(samples, 1);
        new PolicyUpdater(split, Settings(0.1f, optimizer, microBatchSize: 1)).Update(samples, 1);

        double moved = MaxAbsDifference(initial, whole.GetParameters());
        double differs = MaxAbsDifference(whole.GetParameters(), split.GetParameters());
        Assert.True(moved > 1e-5, $"the update moved the parameters by at most {moved}");
        Assert.True(differs <= 1e-3 * moved, $"micro-batches of 1 differ by {differs} (update size {moved})");
    }

    [Fact]
    public void Packed_sequences_give_the_update_padded_rows_give()
    {
        var optimizer = new AdamWSettings { LearningRate = 0.05f, WeightDecay = 0, Epsilon = 1f, MaxGradNorm = 100f };
        using var padded = tiny.OpenSession();
        using var packed = tiny.OpenPackedSession();
        Assert.True(packed.Manifest.PackedSequences);
        var initial = padded.GetParameters();
        // Lengths 5, 6, 3, 4, 2, 2: rows 6 wide take [6], [5], [4, 2], [3, 2] — 4 rows instead of 6.
        TrainingSample[] samples = [.. Samples(1, 0, 0.5, 0), new(2, [65], [78], [-1f], 1, true), new(2, [65], [79], [-1f], 0, true)];
        Assert.Equal(4, PackedBatch.PackSequences(samples, 0).Tokens.BatchSize);
        var expected = new PolicyUpdater(padded, Settings(0.1f, optimizer)).Update(samples, 1);
        var actual = new PolicyUpdater(packed, Settings(0.1f, optimizer)).Update(samples, 1);

        Assert.Equal(expected.ResponseTokens, actual.ResponseTokens);
        Assert.Equal(expected.Loss, actual.Loss, 5);
        Assert.Equal(expected.Kl, actual.Kl, 6);
        Assert.Equal(expected.GradNorm, actual.GradNorm, 4);
        double moved = MaxAbsDifference(initial, padded.GetParameters());
        double differs = MaxAbsDifference(padded.GetParameters(), packed.GetParameters());
        Assert.True(moved > 1e-5, $"the update moved the parameters by at most {moved}");
        Assert.True(differs <= 1e-3 * moved, $"packed rows differ by {differs} (update size {moved})");

        // A budget of 12 computed tokens counts packed rows: [5, 6] then [3, 4, 2, 2] (three rows of 4), where padded
        // rows would need three passes. The update is the same.
        using var budgeted = tiny.OpenPackedSession();
        Assert.Equal([[0, 1], [2, 3, 4, 5]], MicroBatchPlanner.Plan([0, 1, 2, 3, 4, 5], r => samples[r].Length, 16, 12, packed: true));
        new PolicyUpdater(budgeted, Settings(0.1f, optimizer, maxTokens: 12)).Update(samples, 1);
        double budgetDiffers = MaxAbsDifference(padded.GetParameters(), budgeted.GetParameters());
        Assert.True(budgetDiffers <= 1e-3 * moved, $"packed micro-batches under a budget differ by {budgetDiffers} (update size {moved})");
    }

    [Fact]
    public void A_token_budget_splits_the_mini_batch_and_gives_the_same_parameters_deterministically()
    {
        var optimizer = new AdamWSettings { LearningRate = 0.05f, WeightDecay = 0, Epsilon = 1f, MaxGradNorm = 100f };
        using var whole = tiny.OpenSession();
        using var budgeted = tiny.OpenSession();
        using var again = tiny.OpenSession();
        var initial = whole.GetParameters();
        var samples = Samples(1, 0, 0.5, 0); // lengths 5, 6, 3, 4: a budget of 8 padded tokens packs only [3, 4] together
        Assert.Equal([[0], [1], [2, 3]], MicroBatchPlanner.Plan([0, 1, 2, 3], r => samples[r].Length, 16, 8));
        new PolicyUpdater(whole, Settings(0.1f, optimizer)).Update(samples, 1);
        new PolicyUpdater(budgeted, Settings(0.1f, optimizer, maxTokens: 8)).Update(samples, 1);
        new PolicyUpdater(again, Settings(0.1f, optimizer, maxTokens: 8)).Update(samples, 1);

        double moved = MaxAbsDifference(initial, whole.GetParameters());
        double differs = MaxAbsDifference(whole.GetParameters(), budgeted.GetParameters());
        Assert.True(moved > 1e-5, $"the update moved the parameters by at most {moved}");
        Assert.True(differs <= 1e-3 * moved, $"token-budget micro-batches differ by {differs} (update size {moved})");
        Assert.Equal(0, MaxAbsDifference(budgeted.GetParameters(), again.GetParameters()));
    }

    [Fact]
    public void Groups_of_identical_rewards_have_zero_advantage_and_leave_the_parameters_unchanged()
    {
        using var session = tiny.OpenSession();
        var before = session.GetParameters();
        var result = new PolicyUpdater(session, Settings(klCoef: 0)).Update(Samples(1, 1, 0, 0), 1);
        Assert.Equal(0, result.PolicyGradientLoss, 9);
        Assert.Equal(0, MaxAbsDifference(before, session.GetParameters()), 9);
    }

    [Fact]
    public void A_positive_advantage_response_becomes_more_likely_and_a_negative_one_less()
    {
        using var session = tiny.OpenSession();
        var samples = Samples(1, 0, 1, 0);
        var before = samples.Select(s => SequenceLogprob(session, s)).ToArray();
        new PolicyUpdater(session, Settings(klCoef: 0)).Update(samples, 1);
        var after = samples.Select(s => SequenceLogprob(session, s)).ToArray();
        Assert.True(after[0] > before[0] && after[2] > before[2], $"rewarded: {before[0]}→{after[0]}, {before[2]}→{after[2]}");
        Assert.True(after[1] < before[1] && after[3] < before[3], $"unrewarded: {before[1]}→{after[1]}, {before[3]}→{after[3]}");
    }

    [Fact]
    public void No_samples_or_no_reference_are_clear_errors()
    {
        using var session = TrainingSession.Open(tiny.ArtifactsDirectory, new TrainingSessionOptions { IntraOpThreads = 1 });
        var updater = new PolicyUpdater(session, Settings(0));
        Assert.Throws<ArgumentException>(() => updater.Update([], 1));
        var e = Assert.Throws<InvalidOperationException>(() => updater.Update(Samples(1, 0, 1, 0), 1));
        Assert.Contains("reference", e.Message);
    }

    [Fact]
    public void Truncated_importance_sampling_weights_the_policy_gradient_by_min_of_the_trainer_to_rollout_ratio_and_the_cap()
    {
        using var plain = tiny.OpenSession();
        using var weighted = tiny.OpenSession();
        // Rollout logprobs 0.25 below the trainer's: raw weight e^0.25 ≈ 1.284, truncated to the cap 1.1 on every token.
        var samples = WithBehaviourOffset(plain, Samples(1, 0, 0.5, 0), -0.25f);
        var without = new PolicyUpdater(plain, Settings(0)).Update(samples, 1);
        var with = new PolicyUpdater(weighted, Settings(0) with { TruncatedImportanceCap = 1.1 }).Update(samples, 1);
        Assert.True(Math.Abs(without.PolicyGradientLoss) > 1e-3, "the check needs a non-zero policy-gradient loss");
        Assert.Equal(1.1 * without.PolicyGradientLoss, with.PolicyGradientLoss, 5);
    }

    /// <summary>The samples with behaviour logprobs = the session's current logprobs + <paramref name="offset"/>.</summary>
    private static TrainingSample[] WithBehaviourOffset(TrainingSession session, TrainingSample[] samples, float offset)
    {
        var packed = PackedBatch.Pack(samples, 0);
        var logp = session.EvalStep(packed.Tokens, Temperature).Logprobs;
        return [.. samples.Select((s, row) => s with { BehaviourLogprobs = [.. TokenLogprobs(logp, packed, row, s).Select(v => v + offset)] })];
    }

    private static float[] TokenLogprobs(float[] logprobs, PackedBatch packed, int row, TrainingSample s) =>
        [.. Enumerable.Range(0, s.CompletionIds.Length).Select(j => logprobs[row * packed.Width + s.PromptIds.Length - 1 + j])];

    private static double SequenceLogprob(TrainingSession session, TrainingSample s)
    {
        var packed = PackedBatch.Pack([s], 0);
        return TokenLogprobs(session.EvalStep(packed.Tokens, Temperature).Logprobs, packed, 0, s).Sum(v => (double)v);
    }

    private static Dictionary<string, Tensor> Scaled(Dictionary<string, Tensor> parameters, float factor) =>
        parameters.ToDictionary(p => p.Key, p => Tensor.FromFloats(p.Key, p.Value.Dims, p.Value.ToFloats().Select(v => v * factor).ToArray()));

    private static double MaxAbsDifference(Dictionary<string, Tensor> a, Dictionary<string, Tensor> b)
    {
        double max = 0;
        foreach (var (name, tensor) in a)
        {
            var x = tensor.ToFloats();
            var y = b[name].ToFloats();
            for (int i = 0; i < x.Length; i++) max = Math.Max(max, Math.Abs(x[i] - y[i]));
        }
        return max;
    }
}
