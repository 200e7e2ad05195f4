using ProRL.Algorithms.Common;

namespace ProRL.Algorithms.Sampling;

/// <summary>Which prompt groups a step keeps: their indices in <see cref="GroupIndex.Groups"/> order.</summary>
/// <param name="Kept">Groups whose rewards differ (reward std &gt; 0): they carry a learning signal.</param>
/// <param name="Dropped">Groups whose rewards are all equal (all solved or all failed): every advantage would be 0.</param>
public sealed record GroupSelection(IReadOnlyList<int> Kept, IReadOnlyList<int> Dropped)
{
    /// <summary>Kept / (kept + dropped).</summary>
    public double KeepRate => (double)Kept.Count / (Kept.Count + Dropped.Count);
}

/// <summary>DAPO's dynamic-sampling filter.</summary>
public static class GroupFilter
{
    /// <summary>
    /// Keeps the groups whose reward standard deviation is above 0, tested exactly as "not all rewards are equal" (a mean
    /// computed in floating point can leave a spurious tiny deviation for equal rewards such as 0.1, 0.1, 0.1). A group of
    /// one response has deviation 0 and is dropped.
    /// </summary>
    public static GroupSelection Select(ReadOnlySpan<double> rewards, GroupIndex groups)
    {
        ArgumentNullException.ThrowIfNull(groups);
        Check.Finite(rewards, nameof(rewards));
        var kept = new List<int>();
        var dropped = new List<int>();
        for (int g = 0; g < groups.Groups.Count; g++)
            (Statistics.AllEqual(groups.Gather(g, rewards)) ? dropped : kept).Add(g);
        return new GroupSelection(kept, dropped);
    }

    /// <summary><see cref="Select(ReadOnlySpan{double}, GroupIndex)"/> for contiguous groups of <paramref name="groupSize"/>.</summary>
    public static GroupSelection Select(ReadOnlySpan<double> rewards, int groupSize) =>
        Select(rewards, GroupIndex.Contiguous(rewards.Length, groupSize));
}
