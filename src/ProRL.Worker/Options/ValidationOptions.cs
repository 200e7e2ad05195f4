using System.ComponentModel.DataAnnotations;

namespace ProRL.Worker.Options;

/// <summary><c>Validation</c>: periodic pass@1 / pass@k on held-out items (feeds the reset triggers).</summary>
public sealed class ValidationOptions : IOptionsSection
{
    public static string SectionName => "Validation";

    /// <summary>K: validate every K steps; 0 = off.</summary>
    [Range(0, 1_000_000)]
    public int EveryNSteps { get; set; } = 10;

    /// <summary>Held-out items per validation.</summary>
    [Range(1, 1_000_000)]
    public int Items { get; set; } = 64;

    /// <summary>Samples per item (the n of pass@k).</summary>
    [Range(1, 1024)]
    public int SamplesPerItem { get; set; } = 8;

    /// <summary>The k values of pass@k reported; empty means 1 and <see cref="SamplesPerItem"/>.</summary>
    public int[] PassAtK { get; set; } = [];

    [Range(0.0, 10.0, MinimumIsExclusive = true)]
    public double Temperature { get; set; } = 0.6;

    [Range(0.0, 1.0, MinimumIsExclusive = true)]
    public double TopP { get; set; } = 0.95;

    [Range(1, 1_000_000)]
    public int MaxNewTokens { get; set; } = 8192;

    /// <summary>Seed of the held-out items, kept apart from the training stream's.</summary>
    public long HeldOutSeed { get; set; } = 1_000_003;

    /// <summary>The k values in effect.</summary>
    public IReadOnlyList<int> EffectivePassAtK => PassAtK.Length > 0 ? PassAtK : SamplesPerItem > 1 ? [1, SamplesPerItem] : [1];
}

public sealed class ValidationOptionsValidator : SectionValidator<ValidationOptions>
{
    protected override IEnumerable<string> CrossFieldErrors(ValidationOptions o)
    {
        for (int i = 0; i < o.PassAtK.Length; i++)
        {
            if (o.PassAtK[i] < 1 || o.PassAtK[i] > o.SamplesPerItem)
                yield return $"Validation:PassAtK:{i} ({o.PassAtK[i]}) must be between 1 and Validation:SamplesPerItem ({o.SamplesPerItem}).";
        }
    }
}
