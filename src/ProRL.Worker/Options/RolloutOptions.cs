using System.ComponentModel.DataAnnotations;

namespace ProRL.Worker.Options;

/// <summary><c>Rollout</c>: sampling of training responses (DESIGN §6).</summary>
public sealed class RolloutOptions : IOptionsSection
{
    public static string SectionName => "Rollout";

    /// <summary>n, the group size; GRPO needs at least 2.</summary>
    [Range(2, 1024)]
    public int SamplesPerPrompt { get; set; } = 16;

    [Range(1, 1_000_000)]
    public int PromptsPerStep { get; set; } = 256;

    /// <summary>Prompts per rollout chunk (the unit of exchange with the reward service and the trainer).</summary>
    [Range(1, 1_000_000)]
    public int PromptsPerChunk { get; set; } = 16;

    [Range(0.0, 10.0, MinimumIsExclusive = true)]
    public double Temperature { get; set; } = 1.2;

    [Range(0.0, 1.0, MinimumIsExclusive = true)]
    public double TopP { get; set; } = 1.0;

    /// <summary>0 = off.</summary>
    [Range(0, 1_000_000)]
    public int TopK { get; set; }

    [Range(1, 1_000_000)]
    public int MaxNewTokens { get; set; } = 8192;

    /// <summary>Sequences per generator call; GenAI caps a batch at 32.</summary>
    [Range(1, 32)]
    public int BatchSize { get; set; } = 16;

    /// <summary>How many policy versions behind the trainer a rollout may be. Only 0 (synchronous) is implemented: the
    /// trainer orders each step's rollouts from the newest committed policy.</summary>
    [Range(0, 1000)]
    public int MaxPolicyLag { get; set; }
}

public sealed class RolloutOptionsValidator : SectionValidator<RolloutOptions>
{
    protected override IEnumerable<string> CrossFieldErrors(RolloutOptions o)
    {
        if (o.MaxPolicyLag != 0)
            yield return $"Rollout:MaxPolicyLag ({o.MaxPolicyLag}) must be 0: asynchronous (off-policy) rollouts are not implemented; the trainer orders each step's rollouts from the newest committed policy.";
        if (o.PromptsPerChunk > o.PromptsPerStep)
            yield return $"Rollout:PromptsPerChunk ({o.PromptsPerChunk}) must not exceed Rollout:PromptsPerStep ({o.PromptsPerStep}).";
    }
}
