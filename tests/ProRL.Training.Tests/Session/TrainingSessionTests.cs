using Microsoft.ML.OnnxRuntime;
using ProRL.Algorithms.Loss;
using ProRL.Onnx.IO;
using ProRL.Onnx.Tensors;
using ProRL.Training.Artifacts;
using ProRL.Training.Autodiff;
using ProRL.Training.Heads;
using ProRL.Training.Session;
using TrainingSession = ProRL.Training.Session.TrainingSession;

namespace ProRL.Training.Tests.Session;

public class TrainingSessionTests
{
    private const int Vocab = 24;

    private static TrainingSession Open(TrainingArtifacts a) =>
        new(a.Manifest, a.EvalBytes(), a.TrainingBytes(), a.Checkpoint, new TrainingSessionOptions { IntraOpThreads = 1 });

    private static TrainingArtifacts PolicyArtifacts(PolicyLossHeadOptions? loss = null) =>
        ArtifactsBuilder.FromDecoder(MlpDecoder.Build(Vocab), new ArtifactsOptions { Training = new TrainingGraphOptions { PolicyLoss = loss ?? new() } });

    private static TokenBatch Batch(int batch, int length, int seed)
    {
        var rng = new Random(seed);
        var ids = Enumerable.Range(0, batch * length).Select(_ => (long)rng.Next(Vocab)).ToArray();
        var mask = Enumerable.Repeat(1L, ids.Length).ToArray();
        mask[^1] = 0; // right padding on the last row
        return new TokenBatch(batch, length, ids, mask);
    }

    private static PolicyLossInputs PolicyInputs(TokenBatch batch, float[] oldLogprobs, int seed)
    {
        var rng = new Random(seed);
        int n = batch.TargetCount;
        var mask = Enumerable.Range(0, n).Select(i => i % (batch.Length - 1) < 1 ? 0f : 1f).ToArray(); // first target is "prompt"
        var advantages = Enumerable.Range(0, n).Select(i => (float)(rng.NextDouble() * 2 - 1)).ToArray();
        var reference = oldLogprobs.Select(x => x + (float)(rng.NextDouble() * 0.2 - 0.1)).ToArray();
        return new PolicyLossInputs(mask, oldLogprobs, reference, advantages);
    }

    private static readonly AdamWSettings Adam = new() { LearningRate = 1e-2f, WeightDecay = 0.01f, MaxGradNorm = 1f };

    [Fact]
    public void Eval_logprobs_are_the_decoders_log_softmax_at_the_temperature()
    {
        var decoder = MlpDecoder.Build(Vocab);
        var a = ArtifactsBuilder.FromDecoder(decoder);
        using var session = Open(a);
        var batch = Batch(2, 7, seed: 3);
        var result = session.EvalStep(batch, temperature: 1.2f);

        using var plain = new InferenceSession(OnnxModelIO.ToBytes(decoder));
        var logits = OrtTensors.Run(plain, new Dictionary<string, Tensor>
        {
            [TrainingGraphBuilder.InputIds] = Tensor.FromInt64s("i", batch.Shape, batch.InputIds),
            [TrainingGraphBuilder.AttentionMask] = Tensor.FromInt64s("m", batch.Shape, batch.AttentionMask),
        }, [TrainingGraphBuilder.Logits])[TrainingGraphBuilder.Logits].ToFloats();
        var expected = MlpDecoder.ReferenceLogprobs(logits, batch.InputIds, 2, 7, Vocab, 1.2);
        for (int i = 0; i < expected.Length; i++) Assert.Equal(expected[i], result.Logprobs[i], 4);
        Assert.All(result.Entropy, h => Assert.InRange(h, 0f, MathF.Log(Vocab) + 1e-4f));
    }

    [Fact]
    public void A_hundred_AdamW_steps_of_cross_entropy_on_one_sequence_cut_its_loss_by_ninety_percent()
    {
        var a = ArtifactsBuilder.FromDecoder(MlpDecoder.Build(Vocab),
            new ArtifactsOptions { Training = new TrainingGraphOptions { Head = LossHeadKind.CrossEntropy } });
        using var session = Open(a);
        long[] sequence = [3, 17, 5, 9, 21, 0, 12, 7, 19, 2, 14, 8];
        var batch = TokenBatch.Unpadded(1, sequence.Length, sequence);
        var targets = Enumerable.Repeat(1f, batch.TargetCount).ToArray();
        float first = float.NaN, last = float.NaN;
        for (int step = 0; step < 100; step++)
        {
            last = session.TrainStepCrossEntropy(batch, targets).Loss;
            if (step == 0) first = last;
            Assert.True(session.OptimizerStep(Adam with { LearningRate = 3e-2f, WeightDecay = 0 }).Applied);
        }
        Assert.True(last <= 0.1f * first, $"loss went from {first} to {last}");
        Assert.Equal(100, session.OptimizerStepCount);
    }

    [Fact]
    public void Checkpoint_save_then_load_gives_an_identical_next_step()
    {
        var a = PolicyArtifacts();
        var batch = Batch(2, 6, seed: 4);
        var dir = Path.Combine(Path.GetTempPath(), "prorl-ckpt-" + Guid.NewGuid().ToString("N"));
        try
        {
            using var first = Open(a);
            var inputs = PolicyInputs(batch, first.EvalStep(batch, 1.2f).Logprobs, seed: 1);
            for (int i = 0; i < 3; i++)
            {
                first.TrainStep(batch, inputs, new PolicyLossSettings());
                first.OptimizerStep(Adam);
            }
            first.SaveCheckpoint(dir);
            var lossA = first.TrainStep(batch, inputs, new PolicyLossSettings()).Loss;
            first.OptimizerStep(Adam);

            using var second = Open(a);
            second.LoadCheckpoint(dir);
            Assert.Equal(3, second.OptimizerStepCount);
            var lossB = second.TrainStep(batch, inputs, new PolicyLossSettings()).Loss;
            second.OptimizerStep(Adam);

            Assert.Equal(lossA, lossB);
            var pa = first.GetParameters();
            var pb = second.GetParameters();
            foreach (var (name, t) in pa) Assert.Equal(t.Data, pb[name].Data);
            var ma = first.CaptureCheckpoint().Moments;
            foreach (var (name, t) in second.CaptureCheckpoint().Moments) Assert.Equal(ma[name].Data, t.Data);
        }
        finally
        {
            if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void A_non_finite_loss_or_gradient_norm_skips_the_step_and_leaves_parameters_and_moments_untouched()
    {
        using var session = Open(PolicyArtifacts());
        var batch = Batch(2, 6, seed: 5);
        var inputs = PolicyInputs(batch, session.EvalStep(batch, 1.2f).Logprobs, seed: 2);
        session.TrainStep(batch, inputs, new PolicyLossSettings());
        Assert.True(session.OptimizerStep(Adam).Applied);
        var before = session.CaptureCheckpoint();

        var nan = inputs with { Advantages = inputs.Advantages.Select((x, i) => i == 3 ? float.NaN : x).ToArray() };
        Assert.False(session.TrainStep(batch, nan, new PolicyLossSettings()).IsFinite);
        var skipped = session.OptimizerStep(Adam);
        Assert.False(skipped.Applied);
        Assert.Contains("loss", skipped.SkipReason);

        // A finite loss whose gradient overflows float32: the norm is infinite.
        var huge = session.TrainStep(batch, inputs, new PolicyLossSettings { LossScale = 3e38f });
        Assert.True(huge.IsFinite);
        var overflow = session.OptimizerStep(Adam);
        Assert.False(overflow.Applied);
        Assert.False(double.IsFinite(overflow.GradNorm));

        var after = session.CaptureCheckpoint();
        Assert.Equal(before.OptimizerStep, after.OptimizerStep);
        foreach (var (name, t) in before.Parameters) Assert.Equal(t.Data, after.Parameters[name].Data);
        foreach (var (name, t) in before.Moments) Assert.Equal(t.Data, after.Moments[name].Data);

        // Training goes on normally afterwards.
        session.TrainStep(batch, inputs, new PolicyLossSettings());
        Assert.True(session.OptimizerStep(Adam).Applied);
    }

    public static TheoryData<LossAggregation, bool> AccumulationCases()
    {
        var data = new TheoryData<LossAggregation, bool>();
        foreach (var aggregation in Enum.GetValues<LossAggregation>()) data.Add(aggregation, true);
        data.Add(LossAggregation.TokenMean, false);
        return data;
    }

    [Theory]
    [MemberData(nameof(AccumulationCases))]
    public void Scaled_micro_batches_accumulate_to_the_gradient_of_the_whole_mini_batch(LossAggregation aggregation, bool inGraph)
    {
        var a = ArtifactsBuilder.FromDecoder(MlpDecoder.Build(Vocab), new ArtifactsOptions
        {
            Training = new TrainingGraphOptions { PolicyLoss = new PolicyLossHeadOptions { Aggregation = aggregation }, AccumulateGradients = inGraph },
        });
        var whole = Batch(3, 6, seed: 6) with { AttentionMask = Enumerable.Repeat(1L, 18).ToArray() };
        using var one = Open(a);
        using var two = Open(a);
        var inputs = PolicyInputs(whole, one.EvalStep(whole, 1.2f).Logprobs, seed: 3);
        inputs.ResponseMask[7] = inputs.ResponseMask[8] = 0; // rows hold different token counts
        var settings = new PolicyLossSettings();
        one.TrainStep(whole, inputs, settings);
        var normWhole = one.OptimizerStep(Adam).GradNorm;

        int n = whole.Length, m = n - 1;
        var total = MaskCounts.Of(inputs.ResponseMask, 3);
        foreach (var (first, rows) in new[] { (0, 1), (1, 2) })
        {
            var part = new TokenBatch(rows, n, whole.InputIds[(first * n)..((first + rows) * n)], whole.AttentionMask[(first * n)..((first + rows) * n)]);
            float[] Cut(float[] x) => x[(first * m)..((first + rows) * m)];
            var micro = new PolicyLossInputs(Cut(inputs.ResponseMask), Cut(inputs.OldLogprobs), Cut(inputs.RefLogprobs), Cut(inputs.Advantages));
            var scale = MicroBatchScale.LossScale(aggregation, MaskCounts.Of(micro.ResponseMask, rows), total);
            two.TrainStep(part, micro, settings with { LossScale = scale });
        }
        Assert.Equal(2, two.AccumulatedMicroBatches);
        var normParts = two.OptimizerStep(Adam).GradNorm;
        Assert.Equal(normWhole, normParts, 5);
        var p1 = one.GetParameters();
        foreach (var (name, t) in two.GetParameters())
        {
            var x = p1[name].ToFloats();
            var y = t.ToFloats();
            for (int i = 0; i < x.Length; i++) Assert.Equal(x[i], y[i], 5);
        }
    }

    [Fact]
    public void The_eval_graph_runs_with_reference_parameters_that_stay_put_while_the_policy_trains()
    {
        using var session = Open(PolicyArtifacts());
        var batch = Batch(2, 6, seed: 8);
        Assert.Throws<InvalidOperationException>(() => session.EvalStep(batch, 1f, ParameterSet.Reference));
        var initial = session.EvalStep(batch, 1f).Logprobs;
        session.SetReferenceToPolicy();
        session.TrainStep(batch, PolicyInputs(batch, initial, seed: 4), new PolicyLossSettings { Temperature = 1f });
        Assert.True(session.OptimizerStep(Adam).Applied);

        Assert.Equal(initial, session.EvalStep(batch, 1f, ParameterSet.Reference).Logprobs);
        var policy = session.EvalStep(batch, 1f).Logprobs;
        Assert.Contains(policy.Zip(initial), p => Math.Abs(p.First - p.Second) > 1e-4);
    }

    [Fact]
    public void Reset_optimizer_state_zeroes_moments_and_the_step_counter()
    {
        using var session = Open(PolicyArtifacts());
        var batch = Batch(1, 5, seed: 9);
        session.TrainStep(batch, PolicyInputs(batch, session.EvalStep(batch, 1.2f).Logprobs, 5), new PolicyLossSettings());
        session.OptimizerStep(Adam);
        Assert.Contains(session.CaptureCheckpoint().Moments.Values, t => t.ToFloats().Any(x => x != 0));
        session.ResetOptimizerState();
        var state = session.CaptureCheckpoint();
        Assert.Equal(0, state.OptimizerStep);
        Assert.All(state.Moments.Values, t => Assert.All(t.ToFloats(), x => Assert.Equal(0f, x)));
    }

    [Fact]
    public void Bad_inputs_are_refused_with_the_name_of_the_array()
    {
        using var session = Open(PolicyArtifacts());
        var batch = Batch(2, 6, seed: 10);
        var inputs = PolicyInputs(batch, new float[batch.TargetCount], 1) with { Advantages = new float[3] };
        var e = Assert.Throws<ArgumentException>(() => session.TrainStep(batch, inputs, new PolicyLossSettings()));
        Assert.Contains(PolicyLossHead.Advantages, e.Message);
        Assert.Throws<InvalidOperationException>(() => session.OptimizerStep(Adam));
        Assert.Throws<InvalidOperationException>(() => session.TrainStepCrossEntropy(batch, new float[batch.TargetCount]));

        // A checkpoint missing one tensor is refused as a whole: nothing of it is loaded.
        var before = session.GetParameters();
        var partial = before.Where(p => p.Key != "lm_head.weight")
            .ToDictionary(p => p.Key, p => Tensor.FromFloats(p.Key, p.Value.Dims, new float[p.Value.ElementCount()]));
        var missing = Assert.Throws<InvalidDataException>(() => session.SetParameters(partial));
        Assert.Contains("lm_head.weight", missing.Message);
        foreach (var (name, t) in session.GetParameters()) Assert.Equal(before[name].Data, t.Data);
    }

    [Fact]
    public void The_state_is_20_bytes_per_parameter_with_the_reference_and_16_without()
    {
        using var session = Open(PolicyArtifacts());
        Assert.Equal(16 * session.ParameterCount, session.StateBytes);
        session.SetReferenceToPolicy();
        Assert.Equal(20 * session.ParameterCount, session.StateBytes);
    }

    [Fact]
    public void Two_sessions_with_two_threads_train_to_byte_identical_weights()
    {
        var a = PolicyArtifacts();
        var first = TrainThreeSteps(a, MemoryArena.Shared);
        var second = TrainThreeSteps(a, MemoryArena.Shared);
        Assert.Equal(first.Length, second.Length);
        for (int i = 0; i < first.Length; i++) Assert.Equal(first[i], second[i]);
    }

    [Fact]
    public void The_shared_arena_and_no_arena_train_to_byte_identical_weights()
    {
        // Where intermediates live must not change a single bit; two sessions open at once share the arena.
        var a = PolicyArtifacts();
        using var other = new TrainingSession(a.Manifest, a.EvalBytes(), a.TrainingBytes(), a.Checkpoint, new TrainingSessionOptions { Arena = MemoryArena.Shared });
        other.EvalStep(Batch(3, 9, seed: 2), 1f);
        var shared = TrainThreeSteps(a, MemoryArena.Shared);
        var off = TrainThreeSteps(a, MemoryArena.Off);
        Assert.Equal(shared.Length, off.Length);
        for (int i = 0; i < shared.Length; i++) Assert.Equal(shared[i], off[i]);
        Assert.Throws<ArgumentException>(() => new TrainingSessionOptions { Arena = (MemoryArena)7 }.Validate());
    }

    private static byte[][] TrainThreeSteps(TrainingArtifacts a, MemoryArena arena)
    {
        var batch = Batch(2, 6, seed: 12);
        using var session = new TrainingSession(a.Manifest, a.EvalBytes(), a.TrainingBytes(), a.Checkpoint, new TrainingSessionOptions { IntraOpThreads = 2, Arena = arena });
        var inputs = PolicyInputs(batch, session.EvalStep(batch, 1.2f).Logprobs, seed: 6);
        for (int step = 0; step < 3; step++)
        {
            session.TrainStep(batch, inputs, new PolicyLossSettings { LossScale = 0.5f });
            session.TrainStep(batch, inputs, new PolicyLossSettings { LossScale = 0.5f }); // accumulated in place
            Assert.True(session.OptimizerStep(Adam).Applied);
        }
        var state = session.CaptureCheckpoint();
        return [.. state.Parameters.Values.Concat(state.Moments.Values).OrderBy(t => t.Name, StringComparer.Ordinal).Select(t => t.Data)];
    }

    [Fact]
    public void A_checkpoint_file_with_a_wrong_shape_is_refused_by_name_before_any_buffer_changes()
    {
        using var session = Open(PolicyArtifacts());
        var dir = Path.Combine(Path.GetTempPath(), "prorl-ckpt-" + Guid.NewGuid().ToString("N"));
        try
        {
            var state = session.CaptureCheckpoint();
            var parameters = state.Parameters.ToDictionary(p => p.Key, p => p.Key == "lm_head.weight"
                ? Tensor.FromFloats(p.Key, [p.Value.ElementCount()], new float[p.Value.ElementCount()])
                : Tensor.FromFloats(p.Key, p.Value.Dims, new float[p.Value.ElementCount()]));
            new Checkpoint(parameters, state.Moments, 5).Save(dir);
            var before = session.GetParameters();
            var e = Assert.Throws<InvalidDataException>(() => session.LoadCheckpoint(dir));
            Assert.Contains("lm_head.weight", e.Message);
            foreach (var (name, t) in session.GetParameters()) Assert.Equal(before[name].Data, t.Data);
            Assert.Equal(0, session.OptimizerStepCount);
        }
        finally
        {
            if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void In_place_accumulation_on_several_threads_matches_adding_separate_gradients()
    {
        // Weights of 150 k–260 k elements, so that ONNX Runtime splits the in-place Add over its threads.
        var decoder = MlpDecoder.Build(vocab: 300, hidden: 512, seed: 3);
        var inGraph = ArtifactsBuilder.FromDecoder(decoder);
        var separate = ArtifactsBuilder.FromDecoder(decoder, new ArtifactsOptions { Training = new TrainingGraphOptions { AccumulateGradients = false } });
        var rng = new Random(4);
        var batch = TokenBatch.Unpadded(2, 9, [.. Enumerable.Range(0, 18).Select(_ => (long)rng.Next(300))]);
        var adam = new AdamWSettings { LearningRate = 1e-3f, WeightDecay = 0, MaxGradNorm = 0 };
        Checkpoint Accumulate(TrainingArtifacts a)
        {
            using var session = new TrainingSession(a.Manifest, a.EvalBytes(), a.TrainingBytes(), a.Checkpoint, new TrainingSessionOptions { IntraOpThreads = 2 });
            var inputs = PolicyInputs(batch, session.EvalStep(batch, 1f).Logprobs, seed: 7);
            session.TrainStep(batch, inputs, new PolicyLossSettings { Temperature = 1f, LossScale = 0.25f });
            session.TrainStep(batch, inputs with { Advantages = [.. inputs.Advantages.Select(x => -2 * x)] }, new PolicyLossSettings { Temperature = 1f, LossScale = 0.75f });
            Assert.True(session.OptimizerStep(adam).Applied);
            return session.CaptureCheckpoint();
        }
        // After one step from zero, the first moment is (1 − β1)·g: the accumulated gradient itself, scaled.
        var expected = Accumulate(separate).Moments;
        var actual = Accumulate(inGraph).Moments;
        foreach (var (name, t) in expected.Where(m => m.Key.EndsWith(".exp_avg", StringComparison.Ordinal)))
        {
            var x = t.ToFloats();
            var y = actual[name].ToFloats();
            float scale = x.Max(Math.Abs);
            Assert.True(scale > 0, $"{name}: no gradient");
            for (int i = 0; i < x.Length; i++) Assert.True(Math.Abs(x[i] - y[i]) <= 1e-5f * scale, $"{name}[{i}]: {x[i]} vs {y[i]}");
        }
    }
}
