using System.ComponentModel.DataAnnotations;

namespace ProRL.Worker.Options;

/// <summary><c>Sft</c>: optional supervised warm-up on the built-in tasks' format before RL (0 steps = none).</summary>
public sealed class SftOptions : IOptionsSection
{
    public static string SectionName => "Sft";

    [Range(0, 1_000_000)]
    public int Steps { get; set; }

    [Range(0.0, 1.0, MinimumIsExclusive = true)]
    public double Lr { get; set; } = 1e-4;

    [Range(1, 65_536)]
    public int BatchSize { get; set; } = 16;
}

public sealed class SftOptionsValidator : SectionValidator<SftOptions>;
