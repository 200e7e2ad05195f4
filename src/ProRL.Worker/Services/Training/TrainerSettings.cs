using ProRL.Algorithms.Advantages;
using ProRL.Algorithms.KlControl;
using ProRL.Algorithms.Length;
using ProRL.Algorithms.Loss;
using ProRL.Algorithms.Sampling;
using ProRL.Training.Heads;
using ProRL.Training.Session;
using ProRL.Worker.Options;
using ProRL.Worker.Trainer;

namespace ProRL.Worker.Services.Training;

/// <summary>Maps the validated option sections onto the algorithm and training types (one place, so nothing drifts).</summary>
public static class TrainerSettings
{
    /// <summary>Options are validated at start-up; a value that still reaches here unmapped is a bug, never a default.</summary>
    private static ArgumentOutOfRangeException Unknown(string option, string value) =>
        new(option, value, $"{option} '{value}' has no mapping; the options validation should have refused it.");

    public static PolicyLossHeadOptions LossHead(AlgorithmOptions a, RolloutOptions r) => new()
    {
        NormalizationLength = a.DrGrpoNormalizer ?? r.MaxNewTokens,
        KlEstimator = a.KlEstimator.ToLowerInvariant() switch
        {
            "none" => KlEstimator.None,
            "k1" => KlEstimator.K1,
            "k2" => KlEstimator.K2,
            "k3" => KlEstimator.K3,
            var other => throw Unknown("Algorithm:KlEstimator", other),
        },
        Aggregation = a.LossAggregation.ToLowerInvariant() switch
        {
            AlgorithmOptions.TokenMean => LossAggregation.TokenMean,
            AlgorithmOptions.SeqMeanTokenMean => LossAggregation.SeqMeanTokenMean,
            AlgorithmOptions.SeqMeanTokenSumNorm => LossAggregation.SeqMeanTokenSumNorm,
            var other => throw Unknown("Algorithm:LossAggregation", other),
        },
        EntropyInLoss = a.EntropyCoef != 0,
    };

    /// <summary>The KL controller, starting at <paramref name="coefficient"/> (a resumed run's saved value) or Algorithm:KlCoef.</summary>
    public static KlController KlControl(AlgorithmOptions a, double? coefficient = null) => KlController.Create(new KlControllerOptions
    {
        Kind = a.KlControl.ToLowerInvariant() switch
        {
            AlgorithmOptions.KlFixed => KlControllerKind.Fixed,
            AlgorithmOptions.KlAdaptive => KlControllerKind.Adaptive,
            var other => throw Unknown("Algorithm:KlControl", other),
        },
        InitialCoef = coefficient ?? a.KlCoef,
        TargetKl = a.KlTarget,
        Horizon = a.KlHorizon,
    });

    public static AdvantageOptions Advantage(AlgorithmOptions a) => new()
    {
        Estimator = a.Advantage.ToLowerInvariant() switch
        {
            AlgorithmOptions.Grpo => AdvantageEstimator.Grpo,
            AlgorithmOptions.DrGrpo => AdvantageEstimator.DrGrpo,
            AlgorithmOptions.ReinforcePlusPlusBaseline => AdvantageEstimator.ReinforcePlusPlusBaseline,
            AlgorithmOptions.Rloo => AdvantageEstimator.Rloo,
            var other => throw Unknown("Algorithm:Advantage", other),
        },
        StdEpsilon = a.AdvantageEpsilon,
    };

    public static LengthShapingOptions LengthShaping(AlgorithmOptions a, RolloutOptions r) => new()
    {
        ZeroRewardWithoutEos = a.ZeroRewardWithoutEos,
        NoEosPenalty = a.NoEosPenalty,
        Overlong = new OverlongPenaltyOptions
        {
            Enabled = a.OverlongBufferTokens > 0,
            MaxLength = r.MaxNewTokens,
            BufferLength = Math.Max(1, Math.Min(a.OverlongBufferTokens, r.MaxNewTokens)),
            Factor = a.OverlongPenaltyFactor,
        },
        Cosine = new CosineLengthPenaltyOptions
        {
            Enabled = a.CyclicLengthPenalty,
            Weight = a.CyclicLengthPenaltyWeight,
            MaxLength = r.MaxNewTokens,
            OnSteps = a.CyclicLengthPenaltyOnSteps,
            OffSteps = a.CyclicLengthPenaltyOffSteps,
        },
    };

    public static AdamWSettings AdamW(OptimizerOptions o) => new()
    {
        LearningRate = (float)o.Lr,
        WeightDecay = (float)o.WeightDecay,
        MaxGradNorm = (float)o.GradClip,
        Beta1 = (float)o.Beta1,
        Beta2 = (float)o.Beta2,
        Epsilon = (float)o.Eps,
    };

    public static PolicyUpdateSettings Update(AlgorithmOptions a, RolloutOptions r, OptimizerOptions o, long padTokenId) => new()
    {
        Advantage = Advantage(a),
        LengthShaping = LengthShaping(a, r),
        Loss = new PolicyLossSettings
        {
            Temperature = (float)r.Temperature,
            ClipLow = (float)a.ClipLow,
            ClipHigh = (float)a.ClipHigh,
            KlCoef = (float)a.KlCoef,
            EntropyCoef = (float)a.EntropyCoef,
        },
        Optimizer = AdamW(o),
        MiniBatches = a.MiniBatches,
        MicroBatchSize = Math.Max(1, r.BatchSize),
        MaxTokensPerMicroBatch = a.MaxTokensPerMicroBatch > 0 ? a.MaxTokensPerMicroBatch : null,
        TruncatedImportanceCap = a.ImportanceSamplingCap > 0 ? a.ImportanceSamplingCap : null,
        PadTokenId = padTokenId,
    };

    public static DynamicSamplingOptions DynamicSampling(AlgorithmOptions a) => new()
    {
        Enabled = a.DynamicSampling,
        MaxExtraRounds = a.MaxExtraRounds,
    };
}
