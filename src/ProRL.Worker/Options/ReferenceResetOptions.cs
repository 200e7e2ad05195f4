using System.ComponentModel.DataAnnotations;

namespace ProRL.Worker.Options;

/// <summary>
/// <c>ReferenceReset</c>: when the reference becomes a copy of the current policy (ProRL's hard reset). Each trigger is
/// off when unset (null); any trigger that fires resets, unless fewer than <see cref="MinGapSteps"/> steps have passed.
/// </summary>
public sealed class ReferenceResetOptions : IOptionsSection
{
    public static string SectionName => "ReferenceReset";

    public bool Enabled { get; set; } = true;

    /// <summary>M: reset when the last M validations did not improve on the best before them.</summary>
    [Range(1, 10_000)]
    public int? StallEvaluations { get; set; } = 3;

    /// <summary>Improvement a validation score must exceed to count as progress.</summary>
    [Range(0.0, 1.0)]
    public double MinImprovement { get; set; }

    /// <summary>δ: reset when the latest validation is more than δ below the best since the last reset.</summary>
    [Range(0.0, 1.0)]
    public double? DropDelta { get; set; } = 0.05;

    /// <summary>θ: reset when the KL term's share of the loss exceeds θ.</summary>
    [Range(0.0, 1.0)]
    public double? KlShareThreshold { get; set; } = 0.5;

    /// <summary>N: reset every N steps (ProRL v2: 200–500).</summary>
    [Range(1, 1_000_000)]
    public int? EveryNSteps { get; set; }

    [Range(0, 1_000_000)]
    public int MinGapSteps { get; set; } = 50;

    /// <summary>Re-initialise the optimizer state on reset (ProRL v1: true) or keep it (v2: false).</summary>
    public bool ResetOptimizer { get; set; } = true;
}

public sealed class ReferenceResetOptionsValidator : SectionValidator<ReferenceResetOptions>
{
    protected override IEnumerable<string> CrossFieldErrors(ReferenceResetOptions o)
    {
        if (o.Enabled && o.StallEvaluations is null && o.DropDelta is null && o.KlShareThreshold is null && o.EveryNSteps is null)
            yield return "ReferenceReset:Enabled is true but no trigger is set: set at least one of ReferenceReset:StallEvaluations, " +
                         "ReferenceReset:DropDelta, ReferenceReset:KlShareThreshold, ReferenceReset:EveryNSteps, or set Enabled to false.";
    }
}
