namespace ProRL.Training.Batching;

/// <summary>
/// Splits a mini-batch's rows into micro-batches, in order: a micro-batch takes the next row while it holds at most
/// <c>maxRows</c> rows and its padded size — rows × the longest row's length, what <see cref="PackedBatch.Pack"/>
/// allocates — stays within <c>maxTokens</c>. Rows keep their order and the split depends on lengths alone, so a run
/// is as deterministic with a token budget as without. A row longer than the budget on its own goes alone: one row is
/// the least memory any micro-batch can take, and dropping it would bias the update.
/// </summary>
public static class MicroBatchPlanner
{
    /// <param name="rows">Row indices of the mini-batch, in order.</param>
    /// <param name="lengthOf">The full length (prompt + completion) of a row.</param>
    /// <param name="maxRows">Most rows per micro-batch (≥ 1).</param>
    /// <param name="maxTokens">Most padded tokens per micro-batch; null or 0: no token budget.</param>
    public static List<int[]> Plan(IReadOnlyList<int> rows, Func<int, int> lengthOf, int maxRows, int? maxTokens = null)
    {
        if (maxRows < 1) throw new ArgumentOutOfRangeException(nameof(maxRows), maxRows, "A micro-batch holds at least one row.");
        if (maxTokens < 0) throw new ArgumentOutOfRangeException(nameof(maxTokens), maxTokens, "The token budget must be ≥ 0 (0 = none).");
        long budget = maxTokens is > 0 ? maxTokens.Value : long.MaxValue;
        var result = new List<int[]>();
        var current = new List<int>();
        int longest = 0;
        foreach (var row in rows)
        {
            // PackedBatch pads every row to the longest, and to at least 2 tokens.
            int length = Math.Max(2, lengthOf(row));
            int widened = Math.Max(longest, length);
            if (current.Count > 0 && (current.Count + 1 > maxRows || (long)(current.Count + 1) * widened > budget))
            {
                result.Add([.. current]);
                current.Clear();
                widened = length;
            }
            current.Add(row);
            longest = widened;
        }
        if (current.Count > 0) result.Add([.. current]);
        return result;
    }
}
