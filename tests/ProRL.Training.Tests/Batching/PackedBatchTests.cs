using ProRL.Training.Batching;

namespace ProRL.Training.Tests.Batching;

public class PackedBatchTests
{
    private const long Pad = 99;

    [Fact]
    public void Completion_token_j_of_a_prompt_of_length_p_sits_at_next_token_position_p_minus_1_plus_j()
    {
        // Row 0: prompt [1 2 3] (p = 3), completion [4 5]; row 1: prompt [6] (p = 1), completion [7]. T = max length = 5.
        var batch = PackedBatch.Pack(
        [
            new TrainingSample(0, [1, 2, 3], [4, 5], [-0.5f, -1.5f], 1, true),
            new TrainingSample(0, [6], [7], [-2.5f], 0, false),
        ], Pad);

        Assert.Equal(2, batch.Tokens.BatchSize);
        Assert.Equal(5, batch.Tokens.Length);
        Assert.Equal(4, batch.Width);
        Assert.Equal(3, batch.ResponseTokens);
        Assert.Equal([1L, 2, 3, 4, 5, 6, 7, Pad, Pad, Pad], batch.Tokens.InputIds);
        Assert.Equal([1L, 1, 1, 1, 1, 1, 1, 0, 0, 0], batch.Tokens.AttentionMask);
        // [B, T−1]: position t predicts token t+1. Row 0: tokens 4, 5 are predicted at t = 2, 3; row 1: token 7 at t = 0.
        Assert.Equal([0f, 0, 1, 1, 1, 0, 0, 0], batch.ResponseMask);
        Assert.Equal([0f, 0, -0.5f, -1.5f, -2.5f, 0, 0, 0], batch.BehaviourLogprobs);
    }

    [Fact]
    public void A_sample_with_no_completion_contributes_no_mask_and_a_lone_one_token_prompt_still_gets_width_1()
    {
        var batch = PackedBatch.Pack([new TrainingSample(3, [8], [], [], 0, false)], Pad);
        Assert.Equal(2, batch.Tokens.Length); // T ≥ 2 so that the [B, T−1] arrays are not empty
        Assert.Equal([8L, Pad], batch.Tokens.InputIds);
        Assert.Equal([1L, 0], batch.Tokens.AttentionMask);
        Assert.Equal([0f], batch.ResponseMask);
        Assert.Equal(0, batch.ResponseTokens);
    }

    [Fact]
    public void Empty_input_an_empty_prompt_and_mismatched_logprob_lengths_are_clear_errors()
    {
        var empty = Assert.Throws<ArgumentException>(() => PackedBatch.Pack([], Pad));
        Assert.Contains("empty", empty.Message);

        var noPrompt = Assert.Throws<ArgumentException>(() => PackedBatch.Pack(
            [new TrainingSample(0, [1], [2], [-1f], 0, true), new TrainingSample(0, [], [2], [-1f], 0, true)], Pad));
        Assert.Contains("Sample 1", noPrompt.Message);

        var mismatch = Assert.Throws<ArgumentException>(() => PackedBatch.Pack([new TrainingSample(0, [1], [2, 3], [-1f], 0, true)], Pad));
        Assert.Contains("1 behaviour logprobs for 2 completion tokens", mismatch.Message);
    }
}
