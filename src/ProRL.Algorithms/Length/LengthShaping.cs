namespace ProRL.Algorithms.Length;

/// <summary>Reward shaping by response length: each piece is a pure function, <see cref="Shape"/> combines them.</summary>
public static class LengthShaping
{
    /// <summary>
    /// A response that ended with EOS keeps its reward; one that did not (truncated) gets
    /// (ZeroRewardWithoutEos ? 0 : reward) − NoEosPenalty.
    /// </summary>
    public static double WithoutEos(double reward, bool endedWithEos, LengthShapingOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (endedWithEos) return reward;
        return (options.ZeroRewardWithoutEos ? 0 : reward) - options.NoEosPenalty;
    }

    /// <summary>
    /// DAPO's soft overlong penalty (added to the reward) for a response of <paramref name="length"/> tokens:
    /// 0 if length ≤ L_max − L_cache; factor·((L_max − L_cache) − length)/L_cache if L_max − L_cache &lt; length ≤ L_max;
    /// −factor if length &gt; L_max.
    /// </summary>
    public static double OverlongPenalty(int length, int maxLength, int bufferLength, double factor = 1.0)
    {
        if (length < 0) throw new ArgumentOutOfRangeException(nameof(length), length, "A length is ≥ 0.");
        if (bufferLength <= 0 || bufferLength > maxLength)
            throw new ArgumentOutOfRangeException(nameof(bufferLength), bufferLength, $"Must be between 1 and maxLength ({maxLength}).");
        int expected = maxLength - bufferLength;
        if (length <= expected) return 0;
        if (length <= maxLength) return factor * (expected - length) / bufferLength;
        return -factor;
    }

    /// <summary>
    /// Cosine length penalty (added to the reward): −weight·(1 − cos(π·min(length, L)/L))/2, which is 0 at length 0, rises
    /// slowly, is −weight/2 at L/2 and −weight at L and beyond.
    /// </summary>
    public static double CosinePenalty(int length, int maxLength, double weight)
    {
        if (length < 0) throw new ArgumentOutOfRangeException(nameof(length), length, "A length is ≥ 0.");
        if (maxLength <= 0) throw new ArgumentOutOfRangeException(nameof(maxLength), maxLength, "Must be at least 1.");
        double progress = Math.Min(length, maxLength) / (double)maxLength;
        return -weight * (1 - Math.Cos(Math.PI * progress)) / 2;
    }

    /// <summary>
    /// The cyclic schedule: with cycle A + B, the penalty is on at <paramref name="step"/> (0-based) when
    /// step mod (A + B) &lt; A, i.e. for the first A steps of every cycle, and off for the next B.
    /// </summary>
    public static bool CosinePenaltyActive(long step, int onSteps, int offSteps)
    {
        if (step < 0) throw new ArgumentOutOfRangeException(nameof(step), step, "Steps count from 0.");
        if (onSteps < 0 || offSteps < 0 || onSteps + offSteps == 0)
            throw new ArgumentException($"On/off steps ({onSteps}, {offSteps}) must be ≥ 0 with a positive sum.", nameof(onSteps));
        return step % (onSteps + offSteps) < onSteps;
    }

    /// <summary>
    /// The shaped reward: first the no-EOS rule, then plus the overlong penalty (if enabled), then plus the cosine penalty
    /// (if enabled, active at <paramref name="step"/>, and — with OnlyCorrect — the verifier's reward is at least
    /// CorrectThreshold).
    /// </summary>
    public static double Shape(double reward, int length, bool endedWithEos, long step, LengthShapingOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        double shaped = WithoutEos(reward, endedWithEos, options);
        if (options.Overlong.Enabled)
            shaped += OverlongPenalty(length, options.Overlong.MaxLength, options.Overlong.BufferLength, options.Overlong.Factor);
        var cosine = options.Cosine;
        if (cosine.Enabled && CosinePenaltyActive(step, cosine.OnSteps, cosine.OffSteps)
            && (!cosine.OnlyCorrect || reward >= cosine.CorrectThreshold))
            shaped += CosinePenalty(length, cosine.MaxLength, cosine.Weight);
        return shaped;
    }
}
