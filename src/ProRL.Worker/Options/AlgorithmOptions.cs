using System.ComponentModel.DataAnnotations;

namespace ProRL.Worker.Options;

/// <summary><c>Algorithm</c>: the policy update (GRPO/DAPO with KL to a reference; DESIGN §6).</summary>
public sealed class AlgorithmOptions : IOptionsSection
{
    public static string SectionName => "Algorithm";

    public const string TokenMean = "token-mean";
    public const string SeqMeanTokenMean = "seq-mean-token-mean";
    public const string SeqMeanTokenSumNorm = "seq-mean-token-sum-norm";
    public const string Grpo = "grpo";
    public const string DrGrpo = "dr-grpo";
    public const string ReinforcePlusPlusBaseline = "reinforce++-baseline";
    public const string Rloo = "rloo";

    /// <summary>ε_low: the ratio is clipped below at 1 − ε_low.</summary>
    [Range(0.0, 1.0, MaximumIsExclusive = true)]
    public double ClipLow { get; set; } = 0.2;

    /// <summary>ε_high (DAPO's clip-higher): the ratio is clipped above at 1 + ε_high; at least ε_low.</summary>
    [Range(0.0, 10.0)]
    public double ClipHigh { get; set; } = 0.4;

    [OneOf(TokenMean, SeqMeanTokenMean, SeqMeanTokenSumNorm)]
    public string LossAggregation { get; set; } = TokenMean;

    /// <summary>
    /// Dr. GRPO's constant normaliser for <c>seq-mean-token-sum-norm</c>: each row's token losses are summed and divided
    /// by this; null = <c>Rollout:MaxNewTokens</c>. A constant, so that a token's weight never depends on its prompt's
    /// length or on which rows share its micro-batch.
    /// </summary>
    [Range(1, 10_000_000)]
    public int? DrGrpoNormalizer { get; set; }

    [OneOf("k1", "k2", "k3", "none")]
    public string KlEstimator { get; set; } = "k3";

    /// <summary>The KL coefficient, or the adaptive controller's starting value.</summary>
    [Range(0.0, 10.0)]
    public double KlCoef { get; set; } = 1e-4;

    public const string KlFixed = "fixed";
    public const string KlAdaptive = "adaptive";

    /// <summary><c>fixed</c>: <see cref="KlCoef"/> throughout; <c>adaptive</c>: steered toward <see cref="KlTarget"/> (Ziegler et al.).</summary>
    [OneOf(KlFixed, KlAdaptive)]
    public string KlControl { get; set; } = KlFixed;

    /// <summary>Adaptive control only: the per-token KL the coefficient steers toward.</summary>
    [Range(1e-9, 100.0)]
    public double KlTarget { get; set; } = 0.01;

    /// <summary>Adaptive control only: horizon in samples (how slowly the coefficient moves).</summary>
    [Range(1, 100_000_000)]
    public int KlHorizon { get; set; } = 10_000;

    /// <summary>Per-token policy entropy under which a step counts towards an <c>entropy_collapse</c> event; 0 = no events.</summary>
    [Range(0.0, 100.0)]
    public double EntropyFloor { get; set; } = 0.05;

    /// <summary>Consecutive RL steps under <see cref="EntropyFloor"/> that make an <c>entropy_collapse</c> event.</summary>
    [Range(1, 1_000_000)]
    public int EntropyCollapseSteps { get; set; } = 5;

    /// <summary>Entropy bonus coefficient (positive rewards entropy); 0 = off.</summary>
    [Range(-1.0, 1.0)]
    public double EntropyCoef { get; set; }

    [OneOf(Grpo, DrGrpo, ReinforcePlusPlusBaseline, Rloo)]
    public string Advantage { get; set; } = Grpo;

    [Range(0.0, 1.0, MinimumIsExclusive = true)]
    public double AdvantageEpsilon { get; set; } = 1e-6;

    /// <summary>Drop groups whose rewards are all equal and sample more until the batch is full.</summary>
    public bool DynamicSampling { get; set; } = true;

    [Range(0, 1000)]
    public int MaxExtraRounds { get; set; } = 4;

    /// <summary>Gradient updates per rollout step.</summary>
    [Range(1, 4096)]
    public int MiniBatches { get; set; } = 4;

    /// <summary>
    /// Most padded tokens (rows × longest row) per forward/backward pass; 0 = no token budget (micro-batches of
    /// Rollout:BatchSize rows). A sample longer than the budget is trained alone.
    /// </summary>
    [Range(0, 100_000_000)]
    public int MaxTokensPerMicroBatch { get; set; }

    /// <summary>Truncated importance sampling between rollout-engine and trainer logprobs: cap on the weight; 0 = off.</summary>
    [Range(0.0, 1e6)]
    public double ImportanceSamplingCap { get; set; }

    /// <summary>Set the reward of a response that stopped without EOS to 0 before shaping.</summary>
    public bool ZeroRewardWithoutEos { get; set; }

    /// <summary>Subtracted from the reward of a response that stopped without EOS.</summary>
    [Range(0.0, 100.0)]
    public double NoEosPenalty { get; set; }

    /// <summary>DAPO's soft overlong penalty: width of the ramp before the length limit, in tokens; 0 = off.</summary>
    [Range(0, 1_000_000)]
    public int OverlongBufferTokens { get; set; }

    [Range(0.0, 100.0)]
    public double OverlongPenaltyFactor { get; set; } = 1.0;

    /// <summary>ProRL v2's cyclic cosine length penalty.</summary>
    public bool CyclicLengthPenalty { get; set; }

    [Range(0.0, 100.0)]
    public double CyclicLengthPenaltyWeight { get; set; } = 0.5;

    [Range(0, 1_000_000)]
    public int CyclicLengthPenaltyOnSteps { get; set; } = 50;

    [Range(0, 1_000_000)]
    public int CyclicLengthPenaltyOffSteps { get; set; } = 50;
}

public sealed class AlgorithmOptionsValidator : SectionValidator<AlgorithmOptions>
{
    protected override IEnumerable<string> CrossFieldErrors(AlgorithmOptions o)
    {
        if (o.ClipHigh < o.ClipLow)
            yield return $"Algorithm:ClipHigh ({Show(o.ClipHigh)}) must be at least Algorithm:ClipLow ({Show(o.ClipLow)}) (DAPO's clip-higher).";
        if (string.Equals(o.KlEstimator, "none", StringComparison.OrdinalIgnoreCase) && o.KlCoef != 0)
            yield return $"Algorithm:KlCoef ({Show(o.KlCoef)}) has no effect with Algorithm:KlEstimator 'none': set KlCoef to 0 or choose k1, k2 or k3.";
        if (o.ImportanceSamplingCap is > 0 and < 1)
            yield return $"Algorithm:ImportanceSamplingCap ({Show(o.ImportanceSamplingCap)}) must be 0 (off) or at least 1.";
        if (o.CyclicLengthPenalty && o.CyclicLengthPenaltyOnSteps == 0)
            yield return "Algorithm:CyclicLengthPenaltyOnSteps must be at least 1 when Algorithm:CyclicLengthPenalty is on.";
    }
}
