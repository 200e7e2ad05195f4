using ProRL.Algorithms.Reset;

namespace ProRL.Algorithms.Tests.Reset;

/// <summary>The two ProRL reset styles through the one decision function, driven as the trainer drives it: once per step.</summary>
public class ResetStylesTests
{
    /// <summary>Runs the decision at steps 1..<paramref name="steps"/> as the trainer does; returns the reset steps and whether each re-initialised the optimizer.</summary>
    private static List<(long Step, ResetRule Rule, bool Optimizer)> Drive(ResetPolicyOptions options, int steps,
        Func<long, double?>? klShare = null, Func<long, double>? validation = null)
    {
        var resets = new List<(long, ResetRule, bool)>();
        long? lastReset = null;
        var points = new List<ValidationPoint>();
        for (long step = 0; step <= steps; step++)
        {
            if (ReferenceResetPolicy.ValidationNeeded(step, lastReset, options) is { } version)
                points.Add(new ValidationPoint(version, validation!(version)));
            var decision = ReferenceResetPolicy.Decide(new ResetPolicyInput(step, lastReset, points, klShare?.Invoke(step)), options);
            if (!decision.ShouldReset) continue;
            resets.Add((step, decision.Rule, decision.ResetOptimizer));
            lastReset = step;
            points.Clear();
        }
        return resets;
    }

    [Fact]
    public void ProRL_v2_resets_only_the_reference_every_period()
    {
        var options = new ResetPolicyOptions { PeriodSteps = 200, ResetOptimizerState = false };
        var resets = Drive(options, 1000);
        Assert.Equal([200L, 400, 600, 800, 1000], resets.Select(r => r.Step));
        Assert.All(resets, r => Assert.Equal((ResetRule.Period, false), (r.Rule, r.Optimizer)));
    }

    [Fact]
    public void ProRL_v1_resets_reference_and_optimizer_on_kl_share_and_on_a_validation_stall()
    {
        var options = new ResetPolicyOptions
        {
            KlShareThreshold = 0.5, StallEvaluations = 2, MinimumGapSteps = 10, ValidationPeriodSteps = 5, ResetOptimizerState = true,
        };
        // The KL share crosses θ at step 23 only; validation improves until step 40, then stays flat.
        var resets = Drive(options, 80, klShare: s => s == 23 ? 0.8 : 0.1, validation: v => Math.Min(v, 40) / 100.0);
        // 23: KL share. After it the stall rule needs 3 results past the reset (25, 30, 35 improve); from 40 on the scores are
        // flat, so 45 and 50 fail to beat 40: reset at 50. Each later phase needs 3 results again: 55, 60, 65 → 65; 70, 75, 80 → 80.
        Assert.Equal([(23L, ResetRule.KlShare, true), (50L, ResetRule.ValidationStall, true), (65L, ResetRule.ValidationStall, true),
            (80L, ResetRule.ValidationStall, true)], resets);
    }

    [Fact]
    public void Validation_needed_is_the_step_itself_at_validation_steps_after_the_last_reset()
    {
        var options = new ResetPolicyOptions { StallEvaluations = 3, ValidationPeriodSteps = 10 };
        Assert.Equal(0, ReferenceResetPolicy.ValidationNeeded(0, null, options)); // the baseline
        Assert.Null(ReferenceResetPolicy.ValidationNeeded(7, null, options));
        Assert.Equal(20, ReferenceResetPolicy.ValidationNeeded(20, 10, options));
        Assert.Null(ReferenceResetPolicy.ValidationNeeded(20, 20, options)); // the reset version starts the next phase
        Assert.Null(ReferenceResetPolicy.ValidationNeeded(20, null, new ResetPolicyOptions { StallEvaluations = 3 })); // nothing validated
        Assert.Null(ReferenceResetPolicy.ValidationNeeded(20, null, new ResetPolicyOptions { PeriodSteps = 5, KlShareThreshold = 0.5, ValidationPeriodSteps = 10 }));
        Assert.Throws<ArgumentException>(() => ReferenceResetPolicy.Decide(new ResetPolicyInput(1, null, [], null),
            new ResetPolicyOptions { ValidationPeriodSteps = 0 }));
    }
}
