using ProRL.Algorithms.Common;
using ProRL.Algorithms.Sampling;

namespace ProRL.Algorithms.Tests.Sampling;

public class DynamicSamplingTests
{
    [Fact]
    public void Groups_with_all_equal_rewards_are_dropped()
    {
        // Groups of 2: [1, 1] all solved, [0, 1] mixed, [0, 0] all failed, [0.3, 0.7] mixed.
        var selection = GroupFilter.Select([1, 1, 0, 1, 0, 0, 0.3, 0.7], groupSize: 2);
        Assert.Equal([1, 3], selection.Kept);
        Assert.Equal([0, 2], selection.Dropped);
        Assert.Equal(0.5, selection.KeepRate);
    }

    [Fact]
    public void Equal_rewards_whose_float_mean_is_inexact_are_still_dropped()
    {
        // (0.1 + 0.1 + 0.1)/3 = 0.10000000000000002 ≠ 0.1, so a std computed from that mean is not exactly 0.
        double[] rewards = [0.1, 0.1, 0.1];
        double mean = Statistics.Mean(rewards);
        Assert.NotEqual(0, Statistics.StandardDeviation(rewards, mean, unbiased: true));
        Assert.Equal([0], GroupFilter.Select(rewards, 3).Dropped);
    }

    [Fact]
    public void A_group_of_one_is_dropped()
    {
        var selection = GroupFilter.Select([1, 0], GroupIndex.FromIds([5, 6]));
        Assert.Empty(selection.Kept);
        Assert.Equal(2, selection.Dropped.Count);
    }

    [Theory]
    // ⌈10·1.2/0.5⌉ = 24.
    [InlineData(10, 0.5, 1.2, null, 24)]
    // Keep rate 0 is floored at 0.1: ⌈10·1.2/0.1⌉ = 120, capped at 50.
    [InlineData(10, 0.0, 1.2, 50, 50)]
    [InlineData(10, 0.0, 1.2, null, 120)]
    // ⌈3/0.5⌉ = 6 exactly (no rounding up to 7).
    [InlineData(3, 0.5, 1.0, null, 6)]
    // ⌈2/0.375⌉ = ⌈5.33⌉ = 6.
    [InlineData(2, 0.375, 1.0, null, 6)]
    // Never fewer than the groups still missing: keep rate 1 → 5.
    [InlineData(5, 1.0, 1.0, null, 5)]
    [InlineData(0, 0.5, 1.0, null, 0)]
    public void Prompts_to_draw_follow_the_observed_keep_rate(int missing, double keepRate, double oversampling, int? cap, int expected)
    {
        var options = new DynamicSamplingOptions { Oversampling = oversampling, MaxPromptsPerRound = cap };
        Assert.Equal(expected, DynamicSampler.PromptsToDraw(missing, keepRate, options));
    }

    [Fact]
    public void Sampler_draws_more_until_the_extra_rounds_are_spent()
    {
        var sampler = new DynamicSampler(8, new DynamicSamplingOptions { MaxExtraRounds = 2, Oversampling = 1 });
        Assert.Equal(new SamplingDecision(SamplingStatus.DrawMore, 8), sampler.Next());
        sampler.Record(8, 4);
        // 4 missing at keep rate 4/8 = 0.5 → 8.
        Assert.Equal(new SamplingDecision(SamplingStatus.DrawMore, 8), sampler.Next());
        sampler.Record(8, 2);
        // 2 missing at keep rate 6/16 = 0.375 → ⌈5.33⌉ = 6.
        Assert.Equal(new SamplingDecision(SamplingStatus.DrawMore, 6), sampler.Next());
        sampler.Record(6, 1);
        // Two extra rounds done, 7 of 8 kept: stop with what we have.
        Assert.Equal(SamplingStatus.RoundsExhausted, sampler.Next().Status);
        Assert.Equal(new DynamicSamplingCounters(3, 22, 7, 15), sampler.Counters);
        Assert.Equal(2, sampler.Counters.ExtraRounds);
        Assert.Equal(7.0 / 22, sampler.Counters.KeepRate, 12);
    }

    [Fact]
    public void Sampler_stops_when_the_batch_is_full()
    {
        var sampler = new DynamicSampler(4, new DynamicSamplingOptions());
        sampler.Record(GroupFilter.Select([1, 0, 0, 1, 1, 0, 0.5, 0], 2));
        Assert.Equal(new SamplingDecision(SamplingStatus.BatchFull, 0), sampler.Next());
    }

    [Fact]
    public void Sampler_with_dynamic_sampling_off_never_draws_again()
    {
        var sampler = new DynamicSampler(4, new DynamicSamplingOptions { Enabled = false });
        sampler.Record(4, 2);
        Assert.Equal(SamplingStatus.RoundsExhausted, sampler.Next().Status);
    }

    [Fact]
    public void Bad_arguments_throw()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new DynamicSampler(0, new DynamicSamplingOptions()));
        var sampler = new DynamicSampler(4, new DynamicSamplingOptions());
        Assert.Throws<ArgumentOutOfRangeException>(() => sampler.Record(3, 4));
        Assert.Throws<ArgumentOutOfRangeException>(() => sampler.Record(0, 0));
        var error = Assert.Throws<ArgumentException>(() => new DynamicSampler(4, new DynamicSamplingOptions { MinKeepRate = 0 }));
        Assert.Contains("MinKeepRate", error.Message);
        Assert.Throws<ArgumentException>(() => GroupFilter.Select([], 2));
    }
}
