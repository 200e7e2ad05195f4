using ProRL.Algorithms.Reset;

namespace ProRL.Algorithms.Tests.Reset;

public class ReferenceResetPolicyTests
{
    private static ValidationPoint[] Scores(params double[] scores) =>
        scores.Select((s, i) => new ValidationPoint(10 * (i + 1), s)).ToArray();

    private static ResetDecision Decide(ResetPolicyOptions options, long step, long? lastReset = null,
        ValidationPoint[]? validation = null, double? klShare = null) =>
        ReferenceResetPolicy.Decide(new ResetPolicyInput(step, lastReset, validation ?? [], klShare), options);

    [Fact]
    public void Nothing_fires_when_every_rule_is_off()
    {
        var decision = Decide(new ResetPolicyOptions(), 1000, null, Scores(0.9, 0.1), klShare: 0.99);
        Assert.False(decision.ShouldReset);
        Assert.Equal(ResetRule.None, decision.Rule);
    }

    [Fact]
    public void Period_fires_every_N_steps_after_the_last_reset()
    {
        var options = new ResetPolicyOptions { PeriodSteps = 100 };
        Assert.Equal(ResetRule.None, Decide(options, 149, lastReset: 50).Rule);
        var decision = Decide(options, 150, lastReset: 50);
        Assert.True(decision.ShouldReset);
        Assert.Equal(ResetRule.Period, decision.Rule);
        Assert.Contains("100", decision.Reason);
    }

    [Fact]
    public void Kl_share_above_theta_fires()
    {
        var options = new ResetPolicyOptions { KlShareThreshold = 0.5 };
        Assert.False(Decide(options, 10, klShare: 0.5).ShouldReset);
        Assert.False(Decide(options, 10, klShare: null).ShouldReset);
        Assert.Equal(ResetRule.KlShare, Decide(options, 10, klShare: 0.6).Rule);
    }

    [Fact]
    public void A_drop_of_more_than_delta_below_the_best_fires()
    {
        var options = new ResetPolicyOptions { DropThreshold = 0.05 };
        // Best 0.6, latest 0.54: drop 0.06 > 0.05.
        Assert.Equal(ResetRule.ValidationDrop, Decide(options, 40, validation: Scores(0.5, 0.6, 0.54)).Rule);
        // Latest 0.56: drop 0.04.
        Assert.False(Decide(options, 40, validation: Scores(0.5, 0.6, 0.56)).ShouldReset);
    }

    [Fact]
    public void M_evaluations_without_improvement_fire_the_stall_rule()
    {
        var options = new ResetPolicyOptions { StallEvaluations = 2 };
        // Best before the last two = 0.6; 0.6 and 0.59 do not beat it.
        Assert.Equal(ResetRule.ValidationStall, Decide(options, 50, validation: Scores(0.5, 0.6, 0.6, 0.59)).Rule);
        // 0.61 beats 0.6.
        Assert.False(Decide(options, 50, validation: Scores(0.5, 0.6, 0.61, 0.59)).ShouldReset);
        // Only two evaluations: M + 1 = 3 are needed.
        Assert.False(Decide(options, 50, validation: Scores(0.6, 0.5)).ShouldReset);
        // With a minimum improvement of 0.02, 0.61 is not progress.
        options.MinImprovement = 0.02;
        Assert.True(Decide(options, 50, validation: Scores(0.5, 0.6, 0.61, 0.59)).ShouldReset);
    }

    [Fact]
    public void Only_validation_after_the_last_reset_counts()
    {
        var options = new ResetPolicyOptions { StallEvaluations = 2, DropThreshold = 0.1 };
        ValidationPoint[] validation = [new(10, 0.9), new(30, 0.5), new(40, 0.5), new(50, 0.5)];
        // Since the reset at 20: [0.5, 0.5, 0.5], a stall; the 0.9 before the reset would have been a drop of 0.4.
        var decision = Decide(options, 55, lastReset: 20, validation: validation);
        Assert.Equal(ResetRule.ValidationStall, decision.Rule);
        Assert.Equal(ResetRule.ValidationDrop, Decide(options, 55, lastReset: null, validation: validation).Rule);
    }

    [Fact]
    public void Minimum_gap_holds_a_reset_back_and_says_which_rule_fired()
    {
        var options = new ResetPolicyOptions { PeriodSteps = 10, MinimumGapSteps = 20 };
        var decision = Decide(options, 15, lastReset: 0);
        Assert.False(decision.ShouldReset);
        Assert.True(decision.HeldBackByMinimumGap);
        Assert.Equal(ResetRule.Period, decision.Rule);
        Assert.Contains("minimum gap", decision.Reason);
        Assert.True(Decide(options, 20, lastReset: 0).ShouldReset);
    }

    [Fact]
    public void The_first_rule_in_order_is_reported()
    {
        var options = new ResetPolicyOptions { PeriodSteps = 10, KlShareThreshold = 0.1 };
        Assert.Equal(ResetRule.Period, Decide(options, 10, klShare: 0.9).Rule);
    }

    [Fact]
    public void Bad_input_throws()
    {
        Assert.Contains("KlShareThreshold", Assert.Throws<ArgumentException>(() =>
            Decide(new ResetPolicyOptions { KlShareThreshold = 1.5 }, 10)).Message);
        Assert.Throws<ArgumentException>(() => Decide(new ResetPolicyOptions(), 10, lastReset: 20));
        Assert.Throws<ArgumentException>(() => Decide(new ResetPolicyOptions(), 10,
            validation: [new(5, 0.1), new(3, 0.2)]));
    }
}
