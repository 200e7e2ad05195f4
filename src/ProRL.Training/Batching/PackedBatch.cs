using ProRL.Training.Session;

namespace ProRL.Training.Batching;

/// <summary>One response to train on: its prompt and completion tokens, the behaviour policy's logprobs, its reward.</summary>
public sealed record TrainingSample(int GroupId, int[] PromptIds, int[] CompletionIds, float[] BehaviourLogprobs, double Reward, bool EndedWithEos)
{
    public int Length => PromptIds.Length + CompletionIds.Length;
}

/// <summary>Where a sample's tokens start in a batch: row, and the offset of its first prompt token in that row.</summary>
public readonly record struct SamplePlacement(int Row, int Offset);

/// <summary>
/// Samples laid out in one [B, T] batch, with the [B, T−1] arrays that line up with next-token positions: position t
/// predicts token t+1, so completion token j of a sample whose prompt of length p starts at offset o sits at
/// t = o + p − 1 + j. <see cref="Pack"/> puts one sample per row, right-padded; <see cref="PackSequences"/> puts several
/// per row, each its own segment (<see cref="TokenBatch.SegmentIds"/>), so that short responses fill the padding.
/// </summary>
public sealed record PackedBatch(TokenBatch Tokens, float[] ResponseMask, float[] BehaviourLogprobs, int ResponseTokens)
{
    public int Width => Tokens.Length - 1;

    /// <summary>Where each sample sits, in the order the samples were given.</summary>
    public IReadOnlyList<SamplePlacement> Placements { get; init; } = [];

    /// <summary>Several samples per row (segment ids set).</summary>
    public bool IsPacked => Tokens.SegmentIds is not null;

    /// <summary>Tokens the batch computes (B·T) that belong to no sample.</summary>
    public long PaddingTokens => (long)Tokens.BatchSize * Tokens.Length - Tokens.AttentionMask.Sum();

    /// <summary>One sample per row, right-padded to the longest (and to at least 2 tokens).</summary>
    public static PackedBatch Pack(IReadOnlyList<TrainingSample> samples, long padTokenId)
    {
        CheckSamples(samples);
        return Layout(samples, padTokenId, [.. Enumerable.Range(0, samples.Count).Select(i => new List<int> { i })], packed: false);
    }

    /// <summary>
    /// Several samples per row: rows are as wide as the longest sample, and samples go, longest first, into the first row
    /// with room (first-fit decreasing; ties keep the given order, so the layout depends on lengths alone). Attention
    /// costs T² per row whatever is in it, so rows never grow past the longest sample: packing only removes padding.
    /// <paramref name="widthFactor"/> (≥ 1) widens the rows, for `prorl bench pack` to measure that choice: twice as wide
    /// left as much padding on the `small` preset and was slower, so the trainer uses 1. The artifacts must be built for
    /// packed sequences.
    /// </summary>
    public static PackedBatch PackSequences(IReadOnlyList<TrainingSample> samples, long padTokenId, double widthFactor = 1)
    {
        CheckSamples(samples);
        if (!(widthFactor >= 1 && double.IsFinite(widthFactor)))
            throw new ArgumentOutOfRangeException(nameof(widthFactor), widthFactor, "Rows are at least as wide as the longest sample (factor ≥ 1).");
        var lengths = samples.Select(s => s.Length).ToArray();
        return Layout(samples, padTokenId, FirstFitDecreasing(lengths, (int)(PackedWidth(lengths) * widthFactor)), packed: true);
    }

    /// <summary>The row width of packed sequences of these lengths: the longest, and at least 2 tokens.</summary>
    public static int PackedWidth(IReadOnlyCollection<int> lengths) => Math.Max(2, lengths.Max());

    /// <summary>
    /// Indices of <paramref name="lengths"/> in rows of <paramref name="width"/> tokens: longest first, each into the first
    /// row with room (ties keep the given order, so the rows depend on the lengths alone).
    /// </summary>
    public static List<List<int>> FirstFitDecreasing(IReadOnlyList<int> lengths, int width)
    {
        var rows = new List<List<int>>();
        var used = new List<int>();
        foreach (var i in Enumerable.Range(0, lengths.Count).OrderByDescending(i => lengths[i]).ThenBy(i => i))
        {
            if (lengths[i] > width) throw new ArgumentException($"Length {lengths[i]} does not fit a row of {width} tokens.", nameof(lengths));
            int row = used.FindIndex(u => u + lengths[i] <= width);
            if (row < 0)
            {
                rows.Add([]);
                used.Add(0);
                row = rows.Count - 1;
            }
            rows[row].Add(i);
            used[row] += lengths[i];
        }
        return rows;
    }

    /// <summary>
    /// A per-sample value (an advantage) at each of the sample's response positions, 0 elsewhere: [B, T−1], the layout
    /// of <see cref="ResponseMask"/>.
    /// </summary>
    public float[] PerSampleToTokens(ReadOnlySpan<double> perSample, IReadOnlyList<TrainingSample> samples)
    {
        if (perSample.Length != Placements.Count || samples.Count != Placements.Count)
            throw new ArgumentException($"{perSample.Length} values and {samples.Count} samples for a batch of {Placements.Count} samples.");
        var perToken = new float[ResponseMask.Length];
        for (int s = 0; s < Placements.Count; s++)
        {
            int start = TargetIndex(s, samples[s].PromptIds.Length - 1);
            for (int j = 0; j < samples[s].CompletionIds.Length; j++)
                perToken[start + j] = (float)(perSample[s] * ResponseMask[start + j]);
        }
        return perToken;
    }

    /// <summary>The values of [B, T−1] array <paramref name="targets"/> at sample <paramref name="sample"/>'s completion tokens.</summary>
    public float[] CompletionValues(float[] targets, int sample, TrainingSample of)
    {
        Tokens.CheckTargets(targets, nameof(targets));
        int start = TargetIndex(sample, of.PromptIds.Length - 1);
        return targets[start..(start + of.CompletionIds.Length)];
    }

    private int TargetIndex(int sample, int positionInSample)
    {
        var (row, offset) = Placements[sample];
        return row * Width + offset + positionInSample;
    }

    private static void CheckSamples(IReadOnlyList<TrainingSample> samples)
    {
        if (samples.Count == 0) throw new ArgumentException("Cannot pack an empty list of samples.", nameof(samples));
        for (int i = 0; i < samples.Count; i++)
        {
            var s = samples[i];
            if (s.PromptIds.Length == 0) throw new ArgumentException($"Sample {i} has an empty prompt.", nameof(samples));
            if (s.BehaviourLogprobs.Length != s.CompletionIds.Length)
                throw new ArgumentException($"Sample {i}: {s.BehaviourLogprobs.Length} behaviour logprobs for {s.CompletionIds.Length} completion tokens.", nameof(samples));
        }
    }

    private static PackedBatch Layout(IReadOnlyList<TrainingSample> samples, long padTokenId, List<List<int>> rows, bool packed)
    {
        int b = rows.Count;
        int t = Math.Max(2, rows.Max(r => r.Sum(i => samples[i].Length)));
        var ids = new long[b * t];
        var attention = new long[b * t];
        var segments = packed ? new long[b * t] : null;
        var positions = packed ? new long[b * t] : null;
        var mask = new float[b * (t - 1)];
        var behaviour = new float[b * (t - 1)];
        var placements = new SamplePlacement[samples.Count];
        Array.Fill(ids, padTokenId);
        int responseTokens = 0;
        for (int row = 0; row < b; row++)
        {
            int offset = 0;
            for (int k = 0; k < rows[row].Count; k++)
            {
                int index = rows[row][k];
                var s = samples[index];
                placements[index] = new SamplePlacement(row, offset);
                int start = row * t + offset, p = s.PromptIds.Length;
                for (int i = 0; i < p; i++) ids[start + i] = s.PromptIds[i];
                for (int j = 0; j < s.CompletionIds.Length; j++)
                {
                    ids[start + p + j] = s.CompletionIds[j];
                    int target = row * (t - 1) + offset + p - 1 + j;
                    mask[target] = 1f;
                    behaviour[target] = s.BehaviourLogprobs[j];
                }
                for (int i = 0; i < s.Length; i++)
                {
                    attention[start + i] = 1;
                    if (packed)
                    {
                        segments![start + i] = k + 1;
                        positions![start + i] = i;
                    }
                }
                responseTokens += s.CompletionIds.Length;
                offset += s.Length;
            }
            // The padding after the last sample: segment 0, positions counting on (any in-range value would do).
            if (packed)
                for (int i = offset; i < t; i++) positions![row * t + i] = i - offset;
        }
        var tokens = new TokenBatch(b, t, ids, attention) { SegmentIds = segments, PositionIds = positions };
        return new PackedBatch(tokens, mask, behaviour, responseTokens) { Placements = placements };
    }
}
