namespace ProRL.Training.Session;

/// <summary>
/// Token ids and attention mask of a right-padded batch, [B, T] row-major. The per-token arrays that go with it
/// (masks, log-probabilities, advantages, outputs) are [B, T−1]: position t refers to token t+1. A packed batch
/// (several sequences per row) also has <see cref="SegmentIds"/> and <see cref="PositionIds"/>.
/// </summary>
public sealed record TokenBatch(int BatchSize, int Length, long[] InputIds, long[] AttentionMask)
{
    /// <summary>
    /// Packed rows: which sequence each token belongs to (1, 2, ... within a row; 0 for the padding after the last).
    /// Null: one sequence per row, the attention mask's ones. Needs artifacts built for packed sequences.
    /// </summary>
    public long[]? SegmentIds { get; init; }

    /// <summary>Packed rows: each token's position in its own sequence (rotary). Null: 0..T−1 in every row.</summary>
    public long[]? PositionIds { get; init; }

    /// <summary>The segment ids a packed graph reads: <see cref="SegmentIds"/>, or one segment per row (the attention mask).</summary>
    public long[] SegmentIdsOrRows() => SegmentIds ?? AttentionMask;

    /// <summary>The positions a packed graph reads: <see cref="PositionIds"/>, or 0..T−1 in every row.</summary>
    public long[] PositionIdsOrRange() => PositionIds ?? [.. Enumerable.Range(0, BatchSize * Length).Select(i => (long)(i % Length))];

    /// <summary>Whether some row holds more than one sequence (a segment id above 1).</summary>
    public bool HasSeveralSequencesPerRow => SegmentIds is { } s && s.Any(v => v > 1);

    /// <summary>B·(T−1), the length of every per-token array.</summary>
    public int TargetCount => BatchSize * (Length - 1);

    public long[] Shape => [BatchSize, Length];
    public long[] TargetShape => [BatchSize, Length - 1];

    /// <summary>A batch whose attention mask is 1 everywhere.</summary>
    public static TokenBatch Unpadded(int batchSize, int length, long[] inputIds) =>
        new(batchSize, length, inputIds, Enumerable.Repeat(1L, inputIds.Length).ToArray());

    public void Validate()
    {
        if (BatchSize < 1 || Length < 2)
            throw new ArgumentException($"A token batch needs B ≥ 1 and T ≥ 2 (one next token at least); got B={BatchSize}, T={Length}.");
        if (InputIds.Length != BatchSize * Length)
            throw new ArgumentException($"input_ids has {InputIds.Length} values; B·T = {BatchSize * Length}.");
        if (AttentionMask.Length != BatchSize * Length)
            throw new ArgumentException($"attention_mask has {AttentionMask.Length} values; B·T = {BatchSize * Length}.");
        if ((SegmentIds is null) != (PositionIds is null))
            throw new ArgumentException("segment_ids and position_ids go together: give both (packed rows) or neither.");
        if (SegmentIds is { } segments && segments.Length != BatchSize * Length)
            throw new ArgumentException($"segment_ids has {segments.Length} values; B·T = {BatchSize * Length}.");
        if (PositionIds is { } positions && positions.Length != BatchSize * Length)
            throw new ArgumentException($"position_ids has {positions.Length} values; B·T = {BatchSize * Length}.");
    }

    internal void CheckTargets(float[] values, string name)
    {
        if (values.Length != TargetCount)
            throw new ArgumentException($"{name} has {values.Length} values; it must be [B, T−1] = {TargetCount}.", name);
    }
}

/// <summary>The per-token inputs of the policy loss, each [B, T−1] (see <see cref="TokenBatch"/>).</summary>
public sealed record PolicyLossInputs(float[] ResponseMask, float[] OldLogprobs, float[] RefLogprobs, float[] Advantages);

/// <summary>The runtime scalars of the policy loss (DESIGN §6 defaults).</summary>
public sealed record PolicyLossSettings
{
    /// <summary>Sampling temperature of the rollouts: logits are divided by it before log_softmax.</summary>
    public float Temperature { get; init; } = 1.2f;
    public float ClipLow { get; init; } = 0.2f;
    public float ClipHigh { get; init; } = 0.4f;
    /// <summary>Dual-clip bound c (&gt; 1); read only when the graph was built with dual clip.</summary>
    public float DualClip { get; init; } = 3f;
    public float KlCoef { get; init; } = 1e-4f;
    public float EntropyCoef { get; init; }
    /// <summary>
    /// Multiplies the micro-batch's loss (and gradient) so that micro-batches add up to the mini-batch's loss, e.g.
    /// micro-batch tokens / mini-batch tokens under token-mean aggregation.
    /// </summary>
    public float LossScale { get; init; } = 1f;
}

/// <summary>AdamW hyper-parameters (DESIGN §6 defaults).</summary>
public sealed record AdamWSettings
{
    public float LearningRate { get; init; } = 2e-6f;
    public float Beta1 { get; init; } = 0.9f;
    public float Beta2 { get; init; } = 0.999f;
    public float Epsilon { get; init; } = 1e-8f;
    public float WeightDecay { get; init; } = 0.01f;
    /// <summary>Global gradient-norm bound; ≤ 0 turns clipping off.</summary>
    public float MaxGradNorm { get; init; } = 1f;

    public void Validate()
    {
        if (!(float.IsFinite(LearningRate) && LearningRate >= 0)) throw new ArgumentException($"LearningRate must be ≥ 0, not {LearningRate}.");
        if (!(Beta1 is >= 0 and < 1)) throw new ArgumentException($"Beta1 must be in [0, 1), not {Beta1}.");
        if (!(Beta2 is >= 0 and < 1)) throw new ArgumentException($"Beta2 must be in [0, 1), not {Beta2}.");
        if (!(float.IsFinite(Epsilon) && Epsilon > 0)) throw new ArgumentException($"Epsilon must be > 0, not {Epsilon}.");
        if (!(float.IsFinite(WeightDecay) && WeightDecay >= 0)) throw new ArgumentException($"WeightDecay must be ≥ 0, not {WeightDecay}.");
        if (!float.IsFinite(MaxGradNorm)) throw new ArgumentException($"MaxGradNorm must be finite, not {MaxGradNorm}.");
    }
}

/// <summary>Which resident parameters the eval graph runs with.</summary>
public enum ParameterSet { Policy, Reference }

/// <summary>Per-token log-probabilities and entropies, each [B, T−1].</summary>
public sealed record EvalResult(float[] Logprobs, float[] Entropy);

/// <summary>The micro-batch's loss and the head's metrics (by output name: pg_loss, kl, entropy_mean, clip fractions, ...).</summary>
public sealed record TrainStepResult(float Loss, IReadOnlyDictionary<string, float> Metrics)
{
    public bool IsFinite => float.IsFinite(Loss);
}

/// <summary>
/// The outcome of <see cref="TrainingSession.OptimizerStep"/>: applied, or skipped (parameters and moments untouched)
/// because a loss or the gradient norm was not finite.
/// </summary>
public sealed record OptimizerStepResult(bool Applied, double GradNorm, long Step, int MicroBatches, string? SkipReason);
