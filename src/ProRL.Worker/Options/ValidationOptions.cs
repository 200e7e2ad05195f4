using System.ComponentModel.DataAnnotations;
using ProRL.Tasks.Logic;
using ProRL.Tasks.Mixture;

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

    /// <summary>Seed of the mixture that draws the validation items (their generator seeds lie in the validation seed domain whatever it is).</summary>
    public long HeldOutSeed { get; set; } = 1_000_003;

    /// <summary>Share of each dataset (and shipped sample set) held out for validation, chosen by a stable hash of the item id; training never draws these items.</summary>
    [Range(0.0, 0.99)]
    public double HeldOutFraction { get; set; } = HeldOutSplit.DefaultDatasetFraction;

    /// <summary>Logic families only validation draws (reported apart); empty means the built-in held-out families, <c>none</c> means no family.</summary>
    public string[] HeldOutFamilies { get; set; } = [];

    public const string NoFamilies = "none";

    /// <summary>Items of each held-out family per validation; 0 = do not validate on them.</summary>
    [Range(0, 100_000)]
    public int HeldOutFamilyItems { get; set; } = 8;

    /// <summary>The held-out split these options describe (the training mixture excludes it, validation draws from it).</summary>
    public HeldOutSplit Split() => new(HeldOutFraction, HeldOutFamilies switch
    {
        [] => LogicGenerators.HeldOutFamilies,
        [var only] when string.Equals(only, NoFamilies, StringComparison.OrdinalIgnoreCase) => [],
        var families => families,
    });

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
        for (int i = 0; i < o.HeldOutFamilies.Length; i++)
        {
            var family = o.HeldOutFamilies[i];
            if (string.Equals(family, ValidationOptions.NoFamilies, StringComparison.OrdinalIgnoreCase))
            {
                if (o.HeldOutFamilies.Length > 1)
                    yield return $"Validation:HeldOutFamilies:{i}: '{family}' must be the only entry (it means no family is held out).";
            }
            else if (!LogicGenerators.IsKnown(family))
                yield return $"Validation:HeldOutFamilies:{i}: unknown logic family '{family}'; allowed: " +
                             string.Join(", ", LogicGenerators.Families.Select(f => f.Name)) + $", or '{ValidationOptions.NoFamilies}' alone.";
        }
    }
}
