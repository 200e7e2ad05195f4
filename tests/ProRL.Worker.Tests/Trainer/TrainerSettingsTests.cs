using ProRL.Algorithms.Advantages;
using ProRL.Algorithms.Loss;
using ProRL.Training.Heads;
using ProRL.Worker.Options;
using ProRL.Worker.Services.Training;

namespace ProRL.Worker.Tests.Trainer;

public class TrainerSettingsTests
{
    [Theory]
    [InlineData("none", KlEstimator.None)]
    [InlineData("k1", KlEstimator.K1)]
    [InlineData("K2", KlEstimator.K2)]
    [InlineData("k3", KlEstimator.K3)]
    public void Each_KL_estimator_name_maps_to_its_loss_head_estimator(string name, KlEstimator expected) =>
        Assert.Equal(expected, TrainerSettings.LossHead(new AlgorithmOptions { KlEstimator = name }, new RolloutOptions()).KlEstimator);

    [Theory]
    [InlineData(AlgorithmOptions.TokenMean, LossAggregation.TokenMean)]
    [InlineData(AlgorithmOptions.SeqMeanTokenMean, LossAggregation.SeqMeanTokenMean)]
    [InlineData(AlgorithmOptions.SeqMeanTokenSumNorm, LossAggregation.SeqMeanTokenSumNorm)]
    public void Each_aggregation_name_maps_to_its_loss_head_aggregation(string name, LossAggregation expected) =>
        Assert.Equal(expected, TrainerSettings.LossHead(new AlgorithmOptions { LossAggregation = name }, new RolloutOptions()).Aggregation);

    [Theory]
    [InlineData(AlgorithmOptions.Grpo, AdvantageEstimator.Grpo)]
    [InlineData(AlgorithmOptions.DrGrpo, AdvantageEstimator.DrGrpo)]
    [InlineData(AlgorithmOptions.ReinforcePlusPlusBaseline, AdvantageEstimator.ReinforcePlusPlusBaseline)]
    [InlineData(AlgorithmOptions.Rloo, AdvantageEstimator.Rloo)]
    public void Each_advantage_name_maps_to_its_estimator(string name, AdvantageEstimator expected)
    {
        var options = TrainerSettings.Advantage(new AlgorithmOptions { Advantage = name, AdvantageEpsilon = 1e-3 });
        Assert.Equal(expected, options.Estimator);
        Assert.Equal(1e-3, options.StdEpsilon);
    }

    [Fact]
    public void Entropy_is_in_the_loss_head_only_when_its_coefficient_is_not_0()
    {
        Assert.False(TrainerSettings.LossHead(new AlgorithmOptions { EntropyCoef = 0 }, new RolloutOptions()).EntropyInLoss);
        Assert.True(TrainerSettings.LossHead(new AlgorithmOptions { EntropyCoef = 1e-3 }, new RolloutOptions()).EntropyInLoss);
    }

    [Theory]
    [InlineData(0, null)]
    [InlineData(2.5, 2.5)]
    public void An_importance_sampling_cap_of_0_turns_truncated_IS_off(double cap, double? expected) =>
        Assert.Equal(expected, TrainerSettings.Update(new AlgorithmOptions { ImportanceSamplingCap = cap }, new RolloutOptions(), new OptimizerOptions(), 0)
            .TruncatedImportanceCap);

    [Fact]
    public void Update_settings_carry_every_loss_optimizer_and_batching_value()
    {
        var a = new AlgorithmOptions { ClipLow = 0.1, ClipHigh = 0.3, KlCoef = 0.02, EntropyCoef = 0.005, MiniBatches = 3, MaxTokensPerMicroBatch = 4096 };
        var r = new RolloutOptions { Temperature = 0.9, BatchSize = 5, MaxNewTokens = 100 };
        var o = new OptimizerOptions { Lr = 3e-4, WeightDecay = 0.05, GradClip = 2, Beta1 = 0.8, Beta2 = 0.95, Eps = 1e-6 };
        var s = TrainerSettings.Update(a, r, o, padTokenId: 7);

        Assert.Equal((0.9f, 0.1f, 0.3f, 0.02f, 0.005f), (s.Loss.Temperature, s.Loss.ClipLow, s.Loss.ClipHigh, s.Loss.KlCoef, s.Loss.EntropyCoef));
        Assert.Equal((3e-4f, 0.05f, 2f, 0.8f, 0.95f, 1e-6f),
            (s.Optimizer.LearningRate, s.Optimizer.WeightDecay, s.Optimizer.MaxGradNorm, s.Optimizer.Beta1, s.Optimizer.Beta2, s.Optimizer.Epsilon));
        Assert.Equal((3, 5, 7L), (s.MiniBatches, s.MicroBatchSize, s.PadTokenId));
        Assert.Equal(4096, s.MaxTokensPerMicroBatch);
        Assert.Null(TrainerSettings.Update(new AlgorithmOptions(), r, o, padTokenId: 7).MaxTokensPerMicroBatch); // 0 = no budget
    }

    [Fact]
    public void Length_shaping_maps_the_EOS_overlong_and_cyclic_penalties_onto_the_response_limit()
    {
        var a = new AlgorithmOptions
        {
            ZeroRewardWithoutEos = true, NoEosPenalty = 0.5, OverlongBufferTokens = 40, OverlongPenaltyFactor = 2,
            CyclicLengthPenalty = true, CyclicLengthPenaltyWeight = 0.3, CyclicLengthPenaltyOnSteps = 10, CyclicLengthPenaltyOffSteps = 20,
        };
        var shaping = TrainerSettings.LengthShaping(a, new RolloutOptions { MaxNewTokens = 100 });
        Assert.True(shaping.ZeroRewardWithoutEos);
        Assert.Equal(0.5, shaping.NoEosPenalty);
        Assert.Equal((true, 100, 40, 2.0), (shaping.Overlong.Enabled, shaping.Overlong.MaxLength, shaping.Overlong.BufferLength, shaping.Overlong.Factor));
        Assert.Equal((true, 0.3, 100, 10, 20), (shaping.Cosine.Enabled, shaping.Cosine.Weight, shaping.Cosine.MaxLength, shaping.Cosine.OnSteps, shaping.Cosine.OffSteps));

        var off = TrainerSettings.LengthShaping(new AlgorithmOptions { OverlongBufferTokens = 0 }, new RolloutOptions { MaxNewTokens = 100 });
        Assert.False(off.Overlong.Enabled);
        Assert.False(off.Cosine.Enabled);
        // A buffer longer than the response limit is capped by it.
        Assert.Equal(100, TrainerSettings.LengthShaping(new AlgorithmOptions { OverlongBufferTokens = 500 }, new RolloutOptions { MaxNewTokens = 100 }).Overlong.BufferLength);
    }

    [Fact]
    public void Dr_grpo_normaliser_is_a_constant_the_response_budget_unless_set()
    {
        var rollout = new RolloutOptions { MaxNewTokens = 512 };
        Assert.Equal(512, TrainerSettings.LossHead(new AlgorithmOptions { LossAggregation = AlgorithmOptions.SeqMeanTokenSumNorm }, rollout).NormalizationLength);
        Assert.Equal(4096, TrainerSettings.LossHead(new AlgorithmOptions { LossAggregation = AlgorithmOptions.SeqMeanTokenSumNorm, DrGrpoNormalizer = 4096 }, rollout).NormalizationLength);
    }

    [Theory]
    [InlineData("k4", null, null)]
    [InlineData(null, "token-sum", null)]
    [InlineData(null, null, "ppo")]
    public void An_unmapped_value_is_an_error_not_a_silent_default(string? kl, string? aggregation, string? advantage)
    {
        var options = new AlgorithmOptions();
        if (kl is not null) options.KlEstimator = kl;
        if (aggregation is not null) options.LossAggregation = aggregation;
        if (advantage is not null) options.Advantage = advantage;
        Assert.Throws<ArgumentOutOfRangeException>(() =>
        {
            TrainerSettings.LossHead(options, new RolloutOptions());
            TrainerSettings.Advantage(options);
        });
    }
}
