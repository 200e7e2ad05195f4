using System.ComponentModel.DataAnnotations;

namespace ProRL.Worker.Options;

/// <summary><c>Optimizer</c>: AdamW with decoupled weight decay and global-norm clipping (DESIGN §6).</summary>
public sealed class OptimizerOptions : IOptionsSection
{
    public static string SectionName => "Optimizer";

    [Range(0.0, 1.0, MinimumIsExclusive = true)]
    public double Lr { get; set; } = 2e-6;

    [Range(0.0, 1.0)]
    public double WeightDecay { get; set; } = 0.01;

    /// <summary>Global gradient-norm clip; 0 = off.</summary>
    [Range(0.0, 1e6)]
    public double GradClip { get; set; } = 1.0;

    [Range(0.0, 1.0, MaximumIsExclusive = true)]
    public double Beta1 { get; set; } = 0.9;

    [Range(0.0, 1.0, MaximumIsExclusive = true)]
    public double Beta2 { get; set; } = 0.999;

    [Range(0.0, 1.0, MinimumIsExclusive = true)]
    public double Eps { get; set; } = 1e-8;
}

public sealed class OptimizerOptionsValidator : SectionValidator<OptimizerOptions>;
