namespace ProRL.Algorithms.Reset;

/// <summary>The rule behind a reset decision.</summary>
public enum ResetRule
{
    /// <summary>No rule fired.</summary>
    None,

    /// <summary>Every N steps.</summary>
    Period,

    /// <summary>The KL share of the loss exceeded θ.</summary>
    KlShare,

    /// <summary>The latest validation score fell more than δ below the best since the last reset.</summary>
    ValidationDrop,

    /// <summary>M validation scores in a row failed to improve on the best before them.</summary>
    ValidationStall,
}

/// <summary>One validation result: the step it was taken at and its score (e.g. pass@1).</summary>
public readonly record struct ValidationPoint(long Step, double Score);

/// <summary>What the policy sees at a step.</summary>
/// <param name="Step">The current training step.</param>
/// <param name="LastResetStep">Step of the last reset; null if there has been none (counted from step 0).</param>
/// <param name="Validation">All validation results so far, in step order (those at or before the last reset are ignored).</param>
/// <param name="KlShare">The KL share of the loss at this step (see <c>PolicyLossResult.KlShare</c>); null if unknown.</param>
public sealed record ResetPolicyInput(long Step, long? LastResetStep, IReadOnlyList<ValidationPoint> Validation, double? KlShare);

/// <summary>The decision and why.</summary>
/// <param name="ShouldReset">Reset the reference now.</param>
/// <param name="Rule">The rule that fired (also when the minimum gap held it back); None if none fired.</param>
/// <param name="HeldBackByMinimumGap">A rule fired but the last reset is too recent.</param>
/// <param name="Reason">A sentence for the events log.</param>
public sealed record ResetDecision(bool ShouldReset, ResetRule Rule, bool HeldBackByMinimumGap, string Reason)
{
    /// <summary>Re-initialise the optimizer state with this reset (ProRL v1); false when there is no reset or the options
    /// keep the optimizer state (ProRL v2).</summary>
    public bool ResetOptimizer { get; init; }
}

/// <summary>
/// Decides when to hard-reset the reference policy. Rules are checked in the order period, KL share, validation drop,
/// validation stall; the first that fires is reported. Only validation results after the last reset count, since the
/// reset starts a new phase.
/// <para>
/// The decision is a pure function of its input, so a caller that builds the input from committed state only (the
/// trainer, between steps: the last committed step's KL share, the validation results of committed versions) makes the
/// same decisions whether or not it was killed and resumed on the way.
/// </para>
/// </summary>
public static class ReferenceResetPolicy
{
    /// <summary>
    /// The version whose validation result the decision at <paramref name="step"/> needs and must wait for: the step
    /// itself when the validation rules are on, it is a validation step (a multiple of
    /// <see cref="ResetPolicyOptions.ValidationPeriodSteps"/>, 0 included as the baseline) and it lies after the last
    /// reset; null otherwise. Earlier results were needed (and waited for) by earlier decisions.
    /// </summary>
    public static long? ValidationNeeded(long step, long? lastResetStep, ResetPolicyOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (!options.UsesValidation || options.ValidationPeriodSteps is not { } period) return null;
        return step % period == 0 && step > (lastResetStep ?? -1) ? step : null;
    }

    /// <summary>The decision at <see cref="ResetPolicyInput.Step"/>.</summary>
    public static ResetDecision Decide(ResetPolicyInput input, ResetPolicyOptions options)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        long sinceReset = input.Step - (input.LastResetStep ?? 0);
        if (sinceReset < 0)
            throw new ArgumentException($"Step {input.Step} is before the last reset at step {input.LastResetStep}.", nameof(input));
        var scores = ScoresSinceReset(input);

        var (rule, reason) = FirstRuleThatFires(input, options, sinceReset, scores);
        if (rule == ResetRule.None) return new ResetDecision(false, ResetRule.None, false, "No reset rule fired.");
        if (sinceReset < options.MinimumGapSteps)
            return new ResetDecision(false, rule, true,
                $"{reason}, but only {sinceReset} steps have passed since the last reset (minimum gap {options.MinimumGapSteps}).");
        return new ResetDecision(true, rule, false, reason + ".") { ResetOptimizer = options.ResetOptimizerState };
    }

    private static (ResetRule Rule, string Reason) FirstRuleThatFires(
        ResetPolicyInput input, ResetPolicyOptions options, long sinceReset, double[] scores)
    {
        if (options.PeriodSteps is { } period && sinceReset >= period)
            return (ResetRule.Period, $"{sinceReset} steps since the last reset reached the period of {period}");
        if (options.KlShareThreshold is { } theta && input.KlShare is { } share && share > theta)
            return (ResetRule.KlShare, $"KL share of the loss {share:G4} exceeded {theta:G4}");
        if (options.DropThreshold is { } delta && scores.Length > 0 && scores.Max() - scores[^1] > delta)
            return (ResetRule.ValidationDrop,
                $"validation score {scores[^1]:G4} is {scores.Max() - scores[^1]:G4} below the best {scores.Max():G4} (more than {delta:G4})");
        if (options.StallEvaluations is { } m && Stalled(scores, m, options.MinImprovement))
            return (ResetRule.ValidationStall, $"validation did not improve for {m} evaluations");
        return (ResetRule.None, "");
    }

    /// <summary>
    /// True when there are at least M + 1 scores and none of the last M beats the best score before those M by more than
    /// <paramref name="minImprovement"/>.
    /// </summary>
    public static bool Stalled(IReadOnlyList<double> scores, int evaluations, double minImprovement)
    {
        ArgumentNullException.ThrowIfNull(scores);
        if (evaluations < 1) throw new ArgumentOutOfRangeException(nameof(evaluations), evaluations, "At least one evaluation.");
        if (scores.Count < evaluations + 1) return false;
        double bestBefore = scores.Take(scores.Count - evaluations).Max();
        return scores.Skip(scores.Count - evaluations).All(s => s - bestBefore <= minImprovement);
    }

    private static double[] ScoresSinceReset(ResetPolicyInput input)
    {
        ArgumentNullException.ThrowIfNull(input.Validation, nameof(input.Validation));
        long after = input.LastResetStep ?? long.MinValue;
        var points = input.Validation.Where(p => p.Step > after).ToArray();
        for (int i = 0; i < points.Length; i++)
        {
            if (!double.IsFinite(points[i].Score))
                throw new ArgumentException($"Validation score at step {points[i].Step} is {points[i].Score}.", nameof(input));
            if (i > 0 && points[i].Step < points[i - 1].Step)
                throw new ArgumentException("Validation results must be in step order.", nameof(input));
        }
        return points.Select(p => p.Score).ToArray();
    }
}
