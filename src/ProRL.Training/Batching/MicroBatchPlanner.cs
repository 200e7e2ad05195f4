namespace ProRL.Training.Batching;

/// <summary>
/// Splits a mini-batch's rows into micro-batches, in order: a micro-batch takes the next row while it holds at most
/// <c>maxRows</c> rows and the tokens it computes stay within <c>maxTokens</c>: rows × the longest row's length, what
/// <see cref="PackedBatch.Pack"/> allocates, or with <c>packed</c> the rows of <see cref="PackedBatch.PackSequences"/>
/// × that length, so that packing lets more samples share a pass. Rows keep their order and the split depends on
/// lengths alone, so a run is as deterministic with a token budget as without. A row longer than the budget on its own
/// goes alone: one row is the least memory any micro-batch can take, and dropping it would bias the update.
/// </summary>
public static class MicroBatchPlanner
{
    /// <param name="rows">Row indices of the mini-batch, in order.</param>
    /// <param name="lengthOf">The full length (prompt + completion) of a row.</param>
    /// <param name="maxRows">Most rows (samples) per micro-batch (≥ 1).</param>
    /// <param name="maxTokens">Most computed tokens per micro-batch; null or 0: no token budget.</param>
    /// <param name="packed">Count the tokens of the packed layout (several samples per row) rather than the padded one.</param>
    public static List<int[]> Plan(IReadOnlyList<int> rows, Func<int, int> lengthOf, int maxRows, int? maxTokens = null, bool packed = false)
    {
        if (maxRows < 1) throw new ArgumentOutOfRangeException(nameof(maxRows), maxRows, "A micro-batch holds at least one row.");
        if (maxTokens < 0) throw new ArgumentOutOfRangeException(nameof(maxTokens), maxTokens, "The token budget must be ≥ 0 (0 = none).");
        long budget = maxTokens is > 0 ? maxTokens.Value : long.MaxValue;
        var result = new List<int[]>();
        var current = new List<int>();
        var lengths = new List<int>();
        foreach (var row in rows)
        {
            // Both layouts pad every row to the longest sample, and to at least 2 tokens.
            int length = Math.Max(2, lengthOf(row));
            if (current.Count > 0 && (current.Count + 1 > maxRows || Tokens([.. lengths, length], packed) > budget))
            {
                result.Add([.. current]);
                current.Clear();
                lengths.Clear();
            }
            current.Add(row);
            lengths.Add(length);
        }
        if (current.Count > 0) result.Add([.. current]);
        return result;
    }

    /// <summary>Tokens a micro-batch of these lengths computes: rows × width.</summary>
    private static long Tokens(List<int> lengths, bool packed)
    {
        int width = PackedBatch.PackedWidth(lengths);
        long rows = packed ? PackedBatch.FirstFitDecreasing(lengths, width).Count : lengths.Count;
        return rows * width;
    }
}
