using ProRL.Training.Artifacts;
using ProRL.Training.Batching;
using ProRL.Training.Heads;
using ProRL.Training.Session;
using ProRL.Training.Supervised;
using ProRL.Training.Tests.Artifacts;

namespace ProRL.Training.Tests.Batching;

public class SupervisedWarmupTests(TinyModelFixture tiny) : IClassFixture<TinyModelFixture>
{
    private const long Pad = 0;

    // Three examples of different lengths, so that packing pads and micro-batches (of 2) hold unequal token counts.
    private static readonly SupervisedExample[] Batch =
    [
        new([60, 61, 62, 63], [70, 71, 72]),
        new([64, 65], [73, 74, 75, 76, 77]),
        new([66, 67, 68], [78]),
    ];

    [Fact]
    public void Reported_loss_is_the_mean_NLL_of_the_target_tokens_and_a_few_steps_lower_it()
    {
        var directory = tiny.NewDirectory("cross-entropy");
        ArtifactsBuilder.Build(tiny.Model.Directory, new ArtifactsOptions { Training = new TrainingGraphOptions { Head = LossHeadKind.CrossEntropy } })
            .Write(directory);
        using var session = TrainingSession.Open(directory, new TrainingSessionOptions { IntraOpThreads = 2 });
        var warmup = new SupervisedWarmup(session, new AdamWSettings { LearningRate = 1e-2f, WeightDecay = 0 }, Pad);

        double initial = MeanNll(session);
        var first = warmup.Step(Batch, microBatchSize: 2);
        Assert.True(first.Applied, first.SkipReason);
        Assert.Equal(9, first.Tokens);
        // The micro-batch losses (scaled by their token share) add up to the mean over all 9 target tokens.
        Assert.Equal(initial, first.Loss, 4);

        double last = first.Loss;
        for (int i = 0; i < 4; i++) last = warmup.Step(Batch, microBatchSize: 2).Loss;
        double final = MeanNll(session);
        Assert.True(last < first.Loss, $"reported loss {first.Loss} → {last}");
        Assert.True(final < initial - 0.1, $"independent NLL {initial} → {final}");
    }

    [Fact]
    public void An_empty_batch_is_a_clear_error()
    {
        var warmup = new SupervisedWarmup(null!, new AdamWSettings(), Pad);
        Assert.Throws<ArgumentException>(() => warmup.Step([]));
        Assert.Throws<ArgumentException>(() => warmup.Step([new SupervisedExample([1, 2], [])]));
    }

    /// <summary>The oracle: −mean of the eval graph's logprobs (temperature 1) over the target tokens, one example at a time.</summary>
    private static double MeanNll(TrainingSession session)
    {
        double sum = 0;
        int count = 0;
        foreach (var e in Batch)
        {
            int[] ids = [.. e.PromptIds, .. e.TargetIds];
            var logprobs = session.EvalStep(TokenBatch.Unpadded(1, ids.Length, [.. ids.Select(t => (long)t)]), 1f).Logprobs;
            // Target token j follows the prompt: it is predicted at position p − 1 + j.
            for (int j = 0; j < e.TargetIds.Length; j++) sum -= logprobs[e.PromptIds.Length - 1 + j];
            count += e.TargetIds.Length;
        }
        return sum / count;
    }
}
