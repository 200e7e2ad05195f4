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

    [Fact]
    public void Packing_puts_samples_longest_first_into_the_first_row_with_room_each_its_own_segment()
    {
        // Lengths 5, 2, 3, 4, 1 (prompt + completion); rows are 5 wide. Longest first: 5 → row 0; 4 → row 1;
        // 3 → row 2; 2 → row 2 (3 + 2 = 5); 1 → row 1 (4 + 1 = 5).
        var samples = new List<TrainingSample>
        {
            new(0, [1, 2], [3, 4, 5], [-1f, -2f, -3f], 0, true),   // 5 tokens
            new(0, [6], [7], [-4f], 0, true),                      // 2
            new(1, [8, 9], [10], [-5f], 0, true),                  // 3
            new(1, [11, 12, 13], [14], [-6f], 0, true),            // 4
            new(2, [15], [], [], 0, false),                        // 1
        };
        var batch = PackedBatch.PackSequences(samples, Pad);

        Assert.True(batch.IsPacked);
        Assert.Equal((3, 5), (batch.Tokens.BatchSize, batch.Tokens.Length));
        Assert.Equal([new SamplePlacement(0, 0), new SamplePlacement(2, 3), new SamplePlacement(2, 0), new SamplePlacement(1, 0), new SamplePlacement(1, 4)],
            batch.Placements);
        Assert.Equal([1L, 2, 3, 4, 5, /**/ 11, 12, 13, 14, 15, /**/ 8, 9, 10, 6, 7], batch.Tokens.InputIds);
        Assert.Equal([1L, 1, 1, 1, 1, /**/ 1, 1, 1, 1, 2, /**/ 1, 1, 1, 2, 2], batch.Tokens.SegmentIds!);
        Assert.Equal([0L, 1, 2, 3, 4, /**/ 0, 1, 2, 3, 0, /**/ 0, 1, 2, 0, 1], batch.Tokens.PositionIds!);
        Assert.Equal(Enumerable.Repeat(1L, 15), batch.Tokens.AttentionMask);
        Assert.Equal(0, batch.PaddingTokens);
        // Targets [3, 4]: a sample's completion token j sits at offset + p − 1 + j, never across a sample boundary.
        Assert.Equal([0f, 1, 1, 1, /**/ 0, 0, 1, 0, /**/ 0, 1, 0, 1], batch.ResponseMask);
        Assert.Equal([0f, -1, -2, -3, /**/ 0, 0, -6, 0, /**/ 0, -5, 0, -4], batch.BehaviourLogprobs);
        Assert.Equal(6, batch.ResponseTokens);

        Assert.Equal([0f, 0.5f, 0.5f, 0.5f, /**/ 0, 0, 4, 0, /**/ 0, 3, 0, 2], batch.PerSampleToTokens([0.5, 2, 3, 4, 5], samples));
        Assert.Equal([-4f], batch.CompletionValues(batch.BehaviourLogprobs, 1, samples[1]));
        Assert.Equal([-1f, -2f, -3f], batch.CompletionValues(batch.BehaviourLogprobs, 0, samples[0]));
    }

    [Fact]
    public void Padding_left_after_packing_is_segment_0_and_one_per_row_packing_keeps_no_segments()
    {
        var samples = new List<TrainingSample> { new(0, [1, 2, 3], [4], [-1f], 0, true), new(0, [5], [6], [-2f], 0, true) };
        var packed = PackedBatch.PackSequences(samples, Pad);
        Assert.Equal((2, 4), (packed.Tokens.BatchSize, packed.Tokens.Length)); // 4 wide: the 2-token sample cannot join the full row
        Assert.Equal([1L, 2, 3, 4, /**/ 5, 6, Pad, Pad], packed.Tokens.InputIds);
        Assert.Equal([1L, 1, 1, 1, /**/ 1, 1, 0, 0], packed.Tokens.SegmentIds!);

        var three = PackedBatch.PackSequences([.. samples, new TrainingSample(1, [7], [], [], 0, false)], Pad);
        Assert.Equal([1L, 2, 3, 4, /**/ 5, 6, 7, Pad], three.Tokens.InputIds);
        Assert.Equal([1L, 1, 1, 1, /**/ 1, 1, 2, 0], three.Tokens.SegmentIds!);
        Assert.Equal([0L, 1, 2, 3, /**/ 0, 1, 0, 0], three.Tokens.PositionIds!);
        Assert.Equal([1L, 1, 1, 1, /**/ 1, 1, 1, 0], three.Tokens.AttentionMask);
        Assert.Equal(1, three.PaddingTokens);

        // Rows of room 8 (twice the longest): all three samples share one row, which is as wide as what it holds.
        var wide = PackedBatch.PackSequences([.. samples, new TrainingSample(1, [7], [], [], 0, false)], Pad, widthFactor: 2);
        Assert.Equal((1, 7), (wide.Tokens.BatchSize, wide.Tokens.Length));
        Assert.Equal([1L, 2, 3, 4, 5, 6, 7], wide.Tokens.InputIds);
        Assert.Throws<ArgumentOutOfRangeException>(() => PackedBatch.PackSequences(samples, Pad, widthFactor: 0.5));

        var padded = PackedBatch.Pack(samples, Pad);
        Assert.False(padded.IsPacked);
        Assert.Null(padded.Tokens.PositionIds);
        Assert.Equal([new SamplePlacement(0, 0), new SamplePlacement(1, 0)], padded.Placements);
        Assert.Equal(2, padded.PaddingTokens);
    }
}
