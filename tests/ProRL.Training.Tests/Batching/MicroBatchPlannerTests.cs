using ProRL.Training.Batching;

namespace ProRL.Training.Tests.Batching;

public class MicroBatchPlannerTests
{
    private static List<int[]> Plan(int[] lengths, int maxRows, int? maxTokens) =>
        MicroBatchPlanner.Plan([.. Enumerable.Range(0, lengths.Length)], r => lengths[r], maxRows, maxTokens);

    [Fact]
    public void Without_a_budget_rows_are_cut_every_max_rows()
    {
        Assert.Equal([[0, 1], [2, 3], [4]], Plan([9, 9, 9, 9, 9], maxRows: 2, maxTokens: null));
        Assert.Equal([[0, 1, 2]], Plan([9, 9, 9], maxRows: 8, maxTokens: 0));
    }

    [Fact]
    public void The_padded_size_rows_times_the_longest_row_stays_within_the_budget()
    {
        // 2×10 ≤ 20, a third 10 would make 30; 10 then 4 pads to 2×10 = 20, a further 4 to 30; 4 then 12 is 2×12 = 24;
        // 12 then 3 is 24 too.
        var lengths = new[] { 10, 10, 10, 4, 4, 12, 3 };
        var plan = Plan(lengths, maxRows: 16, maxTokens: 20);
        Assert.Equal([[0, 1], [2, 3], [4], [5], [6]], plan);
        Assert.All(plan, mb => Assert.True(mb.Length * mb.Max(r => lengths[r]) <= 20));
        Assert.Equal(Enumerable.Range(0, lengths.Length), plan.SelectMany(mb => mb)); // every row once, in order
    }

    [Fact]
    public void A_row_longer_than_the_budget_goes_alone()
    {
        Assert.Equal([[0], [1], [2]], Plan([3, 50, 3], maxRows: 16, maxTokens: 10));
    }

    [Fact]
    public void Rows_are_padded_to_two_tokens_at_least_as_the_packer_does()
    {
        Assert.Equal([[0, 1], [2]], Plan([1, 1, 1], maxRows: 16, maxTokens: 5));
    }

    [Fact]
    public void Packed_the_budget_counts_the_packed_rows_so_more_samples_share_a_pass()
    {
        // Padded: 10 then 4 is 2×10 = 20, a 6 would make 30; 6 then 3 is 12, a 7 would make 21.
        // Packed: 10 | 6 4 is 2 rows × 10 = 20, a 3 would need a third row (30); 3 then 7 is 7 | 3, 2 rows × 7 = 14.
        var lengths = new[] { 10, 4, 6, 3, 7 };
        Assert.Equal([[0, 1], [2, 3], [4]], Plan(lengths, maxRows: 16, maxTokens: 20));
        var packed = MicroBatchPlanner.Plan([.. Enumerable.Range(0, lengths.Length)], r => lengths[r], 16, 20, packed: true);
        Assert.Equal([[0, 1, 2], [3, 4]], packed);
        foreach (var micro in packed)
        {
            // The packer lays each micro-batch out in exactly the rows the planner counted.
            var batch = PackedBatch.PackSequences([.. micro.Select(r => new TrainingSample(0, new int[lengths[r] - 1], [1], [0f], 0, true))], 0);
            Assert.True(batch.Tokens.BatchSize * batch.Tokens.Length <= 20, $"micro-batch [{string.Join(", ", micro)}] computes {batch.Tokens.BatchSize * batch.Tokens.Length} tokens");
        }
        Assert.Equal([[0, 1], [2, 3], [4]], MicroBatchPlanner.Plan([.. Enumerable.Range(0, lengths.Length)], r => lengths[r], 2, 20, packed: true)); // maxRows still counts samples
    }

    [Fact]
    public void Bad_limits_are_refused()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => Plan([3], maxRows: 0, maxTokens: null));
        Assert.Throws<ArgumentOutOfRangeException>(() => Plan([3], maxRows: 1, maxTokens: -1));
    }
}
