using ProRL.Algorithms.Common;

namespace ProRL.Algorithms.Sampling;

/// <summary>Dynamic sampling settings (DAPO; bindable from the <c>Algorithm</c> configuration section).</summary>
public sealed class DynamicSamplingOptions
{
    /// <summary>Drop groups whose rewards are all equal and sample more prompts to refill the batch. Default on.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>Rounds of sampling allowed after the first one; when spent, the step trains on what it has. Default 4.</summary>
    public int MaxExtraRounds { get; set; } = 4;

    /// <summary>
    /// Floor on the observed keep rate used to size the next round, so a round that kept nothing asks for a bounded number
    /// of prompts rather than infinitely many. Default 0.1.
    /// </summary>
    public double MinKeepRate { get; set; } = 0.1;

    /// <summary>Safety margin multiplying the projected number of prompts (≥ 1). Default 1.2.</summary>
    public double Oversampling { get; set; } = 1.2;

    /// <summary>Most prompts drawn in one extra round; null means no cap.</summary>
    public int? MaxPromptsPerRound { get; set; }

    /// <summary>Throws an <see cref="ArgumentException"/> naming the first invalid option.</summary>
    public void Validate()
    {
        Check.Option(MaxExtraRounds >= 0, nameof(MaxExtraRounds), MaxExtraRounds, "must be ≥ 0");
        Check.Option(MinKeepRate is > 0 and <= 1, nameof(MinKeepRate), MinKeepRate, "must be in (0, 1]");
        Check.Option(double.IsFinite(Oversampling) && Oversampling >= 1, nameof(Oversampling), Oversampling, "must be a number ≥ 1");
        Check.Option(MaxPromptsPerRound is null || MaxPromptsPerRound > 0, nameof(MaxPromptsPerRound), MaxPromptsPerRound,
            "must be null (no cap) or at least 1");
    }
}
