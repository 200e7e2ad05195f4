using ProRL.Algorithms.Common;

namespace ProRL.Algorithms.Reset;

/// <summary>
/// When to hard-reset the reference policy to the current policy (bindable from the <c>ReferenceReset</c> configuration
/// section). Every rule is off when its setting is null; any rule that fires triggers a reset, unless fewer than
/// <see cref="MinimumGapSteps"/> steps have passed since the last one.
/// </summary>
public sealed class ResetPolicyOptions
{
    /// <summary>
    /// M: reset when the last M validation scores since the last reset all failed to beat the best score before them by more
    /// than <see cref="MinImprovement"/> (a stall or a decline). Needs M + 1 evaluations since the last reset.
    /// </summary>
    public int? StallEvaluations { get; set; }

    /// <summary>Improvement a score must exceed to count as progress for the stall rule. Default 0.</summary>
    public double MinImprovement { get; set; }

    /// <summary>δ: reset when the latest validation score is more than δ below the best since the last reset.</summary>
    public double? DropThreshold { get; set; }

    /// <summary>θ in [0, 1]: reset when the KL share of the loss exceeds θ.</summary>
    public double? KlShareThreshold { get; set; }

    /// <summary>N: reset every N steps since the last reset (ProRL v2: 200–500).</summary>
    public int? PeriodSteps { get; set; }

    /// <summary>Minimum steps between two resets (and between the start and the first reset). Default 0.</summary>
    public int MinimumGapSteps { get; set; }

    /// <summary>Re-initialise the optimizer state on reset (ProRL v1) or keep it (v2); carried into <see cref="ResetDecision.ResetOptimizer"/>.</summary>
    public bool ResetOptimizerState { get; set; } = true;

    /// <summary>
    /// K: a validation result exists for every K-th step (the validation cadence); null when nothing is validated, which
    /// leaves the validation rules nothing to fire on. Tells <see cref="ReferenceResetPolicy.ValidationNeeded"/> which
    /// result a decision must wait for.
    /// </summary>
    public int? ValidationPeriodSteps { get; set; }

    /// <summary>The stall or drop rule is on: decisions read validation results.</summary>
    public bool UsesValidation => StallEvaluations is not null || DropThreshold is not null;

    /// <summary>Throws an <see cref="ArgumentException"/> naming the first invalid option.</summary>
    public void Validate()
    {
        Check.Option(StallEvaluations is null || StallEvaluations >= 1, nameof(StallEvaluations), StallEvaluations, "must be null (off) or at least 1");
        Check.Option(double.IsFinite(MinImprovement) && MinImprovement >= 0, nameof(MinImprovement), MinImprovement, "must be a number ≥ 0");
        Check.Option(DropThreshold is null || (double.IsFinite(DropThreshold.Value) && DropThreshold >= 0), nameof(DropThreshold), DropThreshold,
            "must be null (off) or a number ≥ 0");
        Check.Option(KlShareThreshold is null || KlShareThreshold is >= 0 and <= 1, nameof(KlShareThreshold), KlShareThreshold,
            "must be null (off) or in [0, 1]");
        Check.Option(PeriodSteps is null || PeriodSteps >= 1, nameof(PeriodSteps), PeriodSteps, "must be null (off) or at least 1");
        Check.Option(MinimumGapSteps >= 0, nameof(MinimumGapSteps), MinimumGapSteps, "must be ≥ 0");
        Check.Option(ValidationPeriodSteps is null || ValidationPeriodSteps >= 1, nameof(ValidationPeriodSteps), ValidationPeriodSteps,
            "must be null (no validation) or at least 1");
    }
}
