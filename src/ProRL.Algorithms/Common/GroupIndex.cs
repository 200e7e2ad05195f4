namespace ProRL.Algorithms.Common;

/// <summary>
/// The responses of a batch gathered by prompt: each group lists the batch indices of the responses sampled for one
/// prompt, in the order its id first appears. Groups need not be contiguous nor of equal size.
/// </summary>
public sealed class GroupIndex
{
    private GroupIndex(IReadOnlyList<int[]> groups, int responseCount)
    {
        Groups = groups;
        ResponseCount = responseCount;
    }

    /// <summary>Batch indices of each group's members.</summary>
    public IReadOnlyList<int[]> Groups { get; }

    /// <summary>Number of responses in the batch.</summary>
    public int ResponseCount { get; }

    /// <summary>Groups from one id per response (responses with equal ids were sampled for the same prompt).</summary>
    public static GroupIndex FromIds(ReadOnlySpan<int> groupIds)
    {
        if (groupIds.IsEmpty) throw new ArgumentException("The batch is empty: no responses to group.", nameof(groupIds));
        var byId = new Dictionary<int, List<int>>();
        var order = new List<List<int>>();
        for (int i = 0; i < groupIds.Length; i++)
        {
            if (!byId.TryGetValue(groupIds[i], out var members))
            {
                members = [];
                byId[groupIds[i]] = members;
                order.Add(members);
            }
            members.Add(i);
        }
        return new GroupIndex(order.Select(m => m.ToArray()).ToArray(), groupIds.Length);
    }

    /// <summary>Contiguous groups of <paramref name="groupSize"/> responses: indices [g·n, (g+1)·n).</summary>
    public static GroupIndex Contiguous(int responseCount, int groupSize)
    {
        if (responseCount <= 0) throw new ArgumentException("The batch is empty: no responses to group.", nameof(responseCount));
        if (groupSize <= 0) throw new ArgumentOutOfRangeException(nameof(groupSize), groupSize, "Group size must be at least 1.");
        if (responseCount % groupSize != 0)
            throw new ArgumentException(
                $"{responseCount} responses do not split into groups of {groupSize}.", nameof(groupSize));
        var groups = new int[responseCount / groupSize][];
        for (int g = 0; g < groups.Length; g++)
            groups[g] = Enumerable.Range(g * groupSize, groupSize).ToArray();
        return new GroupIndex(groups, responseCount);
    }

    /// <summary>The values of one group's members, gathered from a per-response array.</summary>
    public double[] Gather(int group, ReadOnlySpan<double> perResponse)
    {
        if (perResponse.Length != ResponseCount)
            throw new ArgumentException(
                $"Expected {ResponseCount} per-response values, got {perResponse.Length}.", nameof(perResponse));
        var members = Groups[group];
        var values = new double[members.Length];
        for (int i = 0; i < members.Length; i++) values[i] = perResponse[members[i]];
        return values;
    }
}
