using ProRL.Algorithms.Common;

namespace ProRL.Algorithms.Advantages;

/// <summary>
/// Sequence-level advantages from rewards and prompt groups, and their broadcast to tokens. A group of one response, or
/// of equal rewards, carries no relative signal: every estimator gives it advantage exactly 0 (before REINFORCE++'s batch
/// normalisation, which keeps such zeros at 0 only when the batch mean is 0, as it is for equal-size groups).
/// </summary>
public static class AdvantageEstimation
{
    /// <summary>One advantage per response, groups given by id (equal ids = same prompt).</summary>
    public static double[] Compute(ReadOnlySpan<double> rewards, ReadOnlySpan<int> groupIds, AdvantageOptions options)
    {
        if (rewards.Length != groupIds.Length)
            throw new ArgumentException(
                $"{rewards.Length} rewards but {groupIds.Length} group ids; give one id per response.", nameof(groupIds));
        return Compute(rewards, GroupIndex.FromIds(groupIds), options);
    }

    /// <summary>One advantage per response, for contiguous groups of <paramref name="groupSize"/> responses.</summary>
    public static double[] Compute(ReadOnlySpan<double> rewards, int groupSize, AdvantageOptions options) =>
        Compute(rewards, GroupIndex.Contiguous(rewards.Length, groupSize), options);

    /// <summary>One advantage per response, for the given grouping.</summary>
    public static double[] Compute(ReadOnlySpan<double> rewards, GroupIndex groups, AdvantageOptions options)
    {
        ArgumentNullException.ThrowIfNull(groups);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        if (rewards.IsEmpty) throw new ArgumentException("The batch is empty: no rewards.", nameof(rewards));
        Check.Finite(rewards, nameof(rewards));
        return options.Estimator switch
        {
            AdvantageEstimator.Grpo => PerGroup(rewards, groups, group => GroupNormalized(group, options)),
            AdvantageEstimator.DrGrpo => PerGroup(rewards, groups, MinusGroupMean),
            AdvantageEstimator.Rloo => PerGroup(rewards, groups, LeaveOneOut),
            AdvantageEstimator.ReinforcePlusPlusBaseline => BatchNormalized(PerGroup(rewards, groups, MinusGroupMean), options),
            _ => throw new ArgumentOutOfRangeException(nameof(options), options.Estimator, "Unknown advantage estimator."),
        };
    }

    /// <summary>
    /// Per-token advantages [B, T] (row-major): token (b, t) gets <c>sequenceAdvantages[b] · mask[b, t]</c>, so padding and
    /// prompt positions carry 0.
    /// </summary>
    public static float[] BroadcastToTokens(ReadOnlySpan<double> sequenceAdvantages, ReadOnlySpan<float> responseMask, int tokens)
    {
        Check.BatchDimensions(sequenceAdvantages.Length, tokens);
        Check.Shape(responseMask.Length, sequenceAdvantages.Length, tokens, nameof(responseMask));
        Check.Mask(responseMask, nameof(responseMask));
        var perToken = new float[responseMask.Length];
        for (int b = 0; b < sequenceAdvantages.Length; b++)
            for (int t = 0; t < tokens; t++)
                perToken[b * tokens + t] = (float)(sequenceAdvantages[b] * responseMask[b * tokens + t]);
        return perToken;
    }

    /// <summary>
    /// Applies a group's rule (group rewards → group advantages) to each group; a single response or a group of equal
    /// rewards has no relative signal and gets exactly 0 (a floating-point mean could otherwise leave ~1e-17 residues).
    /// </summary>
    private static double[] PerGroup(ReadOnlySpan<double> rewards, GroupIndex groups, Func<double[], double[]> groupAdvantages)
    {
        var result = new double[groups.ResponseCount];
        for (int g = 0; g < groups.Groups.Count; g++)
        {
            var members = groups.Groups[g];
            var groupRewards = groups.Gather(g, rewards);
            if (Statistics.AllEqual(groupRewards)) continue;
            var advantages = groupAdvantages(groupRewards);
            for (int i = 0; i < members.Length; i++) result[members[i]] = advantages[i];
        }
        return result;
    }

    private static double[] MinusGroupMean(double[] group)
    {
        double mean = Statistics.Mean(group);
        return group.Select(r => r - mean).ToArray();
    }

    private static double[] GroupNormalized(double[] group, AdvantageOptions options)
    {
        double mean = Statistics.Mean(group);
        double denominator = Statistics.StandardDeviation(group, mean, options.UnbiasedStd) + options.StdEpsilon;
        return group.Select(r => (r - mean) / denominator).ToArray();
    }

    // r − (sum − r)/(n − 1): the baseline excludes the response itself, so it is independent of it.
    private static double[] LeaveOneOut(double[] group)
    {
        double sum = group.Sum();
        return group.Select(r => r - (sum - r) / (group.Length - 1)).ToArray();
    }

    private static double[] BatchNormalized(double[] centred, AdvantageOptions options)
    {
        double mean = Statistics.Mean(centred);
        double std = Statistics.StandardDeviation(centred, mean, options.UnbiasedStd);
        return centred.Select(a => (a - mean) / (std + options.StdEpsilon)).ToArray();
    }
}
