namespace ProRL.Algorithms.Advantages;

/// <summary>How a response's scalar advantage is derived from the rewards of its group (and batch).</summary>
public enum AdvantageEstimator
{
    /// <summary>GRPO: A = (r − mean_group) / (std_group + ε).</summary>
    Grpo,

    /// <summary>Dr. GRPO: A = r − mean_group (no division by the group std).</summary>
    DrGrpo,

    /// <summary>
    /// REINFORCE++ with a group-mean baseline (ProRL v2): a = r − mean_group, then A = (a − mean_batch(a)) / (std_batch(a) + ε).
    /// </summary>
    ReinforcePlusPlusBaseline,

    /// <summary>RLOO: A = r − mean of the other members of the group = n/(n−1)·(r − mean_group).</summary>
    Rloo,
}
