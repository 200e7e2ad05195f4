using System.Text;
using Microsoft.Extensions.Configuration;
using ProRL.Algorithms.Advantages;
using ProRL.Algorithms.KlControl;
using ProRL.Algorithms.Length;
using ProRL.Algorithms.Loss;
using ProRL.Algorithms.Reset;
using ProRL.Algorithms.Sampling;

namespace ProRL.Algorithms.Tests;

public class OptionsBindingTests
{
    private const string Json = """
    {
      "Algorithm": {
        "Advantage": { "Estimator": "ReinforcePlusPlusBaseline", "StdEpsilon": 1e-4, "UnbiasedStd": false },
        "Loss": { "ClipLow": 0.1, "ClipHigh": 0.3, "DualClip": 3, "Aggregation": "SeqMeanTokenSumNorm",
                  "NormalizationLength": 4096, "KlEstimator": "K2", "KlCoef": 0.001, "EntropyCoef": 0.002 },
        "DynamicSampling": { "Enabled": false, "MaxExtraRounds": 7, "MinKeepRate": 0.2, "Oversampling": 1.5, "MaxPromptsPerRound": 99 },
        "LengthShaping": { "NoEosPenalty": 0.5, "ZeroRewardWithoutEos": true,
                           "Overlong": { "Enabled": true, "MaxLength": 4096, "BufferLength": 512, "Factor": 0.5 },
                           "Cosine": { "Enabled": true, "Weight": 0.25, "MaxLength": 2048, "OnSteps": 30, "OffSteps": 70,
                                       "OnlyCorrect": false, "CorrectThreshold": 0.9 } },
        "KlController": { "Kind": "Adaptive", "InitialCoef": 0.05, "TargetKl": 0.02, "Horizon": 500 }
      },
      "ReferenceReset": { "StallEvaluations": 3, "MinImprovement": 0.01, "DropThreshold": 0.05, "KlShareThreshold": 0.3,
                          "PeriodSteps": 400, "MinimumGapSteps": 50, "ResetOptimizerState": false }
    }
    """;

    private static IConfiguration Configuration() =>
        new ConfigurationBuilder().AddJsonStream(new MemoryStream(Encoding.UTF8.GetBytes(Json))).Build();

    [Fact]
    public void Every_options_type_binds_from_json()
    {
        var config = Configuration();
        var advantage = config.GetSection("Algorithm:Advantage").Get<AdvantageOptions>()!;
        Assert.Equal(AdvantageEstimator.ReinforcePlusPlusBaseline, advantage.Estimator);
        Assert.Equal(1e-4, advantage.StdEpsilon);
        Assert.False(advantage.UnbiasedStd);

        var loss = config.GetSection("Algorithm:Loss").Get<PolicyLossOptions>()!;
        Assert.Equal(new PolicyLossOptions
        {
            ClipLow = 0.1, ClipHigh = 0.3, DualClip = 3, Aggregation = LossAggregation.SeqMeanTokenSumNorm,
            NormalizationLength = 4096, KlEstimator = KlEstimator.K2, KlCoef = 0.001, EntropyCoef = 0.002,
        }, loss);

        var sampling = config.GetSection("Algorithm:DynamicSampling").Get<DynamicSamplingOptions>()!;
        Assert.False(sampling.Enabled);
        Assert.Equal((7, 0.2, 1.5, 99), (sampling.MaxExtraRounds, sampling.MinKeepRate, sampling.Oversampling, sampling.MaxPromptsPerRound));

        var length = config.GetSection("Algorithm:LengthShaping").Get<LengthShapingOptions>()!;
        Assert.Equal((0.5, true), (length.NoEosPenalty, length.ZeroRewardWithoutEos));
        Assert.Equal((true, 4096, 512, 0.5), (length.Overlong.Enabled, length.Overlong.MaxLength, length.Overlong.BufferLength, length.Overlong.Factor));
        Assert.Equal((true, 0.25, 2048, 30, 70, false, 0.9),
            (length.Cosine.Enabled, length.Cosine.Weight, length.Cosine.MaxLength, length.Cosine.OnSteps, length.Cosine.OffSteps,
             length.Cosine.OnlyCorrect, length.Cosine.CorrectThreshold));

        var kl = config.GetSection("Algorithm:KlController").Get<KlControllerOptions>()!;
        Assert.Equal((KlControllerKind.Adaptive, 0.05, 0.02, 500), (kl.Kind, kl.InitialCoef, kl.TargetKl, kl.Horizon));

        var reset = config.GetSection("ReferenceReset").Get<ResetPolicyOptions>()!;
        Assert.Equal((3, 0.01, 0.05, 0.3, 400, 50, false),
            (reset.StallEvaluations, reset.MinImprovement, reset.DropThreshold, reset.KlShareThreshold, reset.PeriodSteps,
             reset.MinimumGapSteps, reset.ResetOptimizerState));

        advantage.Validate();
        loss.Validate();
        sampling.Validate();
        length.Validate();
        kl.Validate();
        reset.Validate();
    }
}
