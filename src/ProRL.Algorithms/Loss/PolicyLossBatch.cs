namespace ProRL.Algorithms.Loss;

/// <summary>
/// The per-token inputs of the policy loss: every array is [B, T] flattened row-major (index b·T + t), where position t
/// holds the log-probability of token t+1 given the tokens before it (the training graph's <c>[B, T−1]</c> outputs).
/// The optional arrays are absent when empty (the default; a null array converts to an empty one).
/// </summary>
/// <param name="BatchSize">B, the number of sequences.</param>
/// <param name="Tokens">T, the row length.</param>
/// <param name="Logprobs">logp: the current policy's log-probabilities of the sampled tokens.</param>
/// <param name="OldLogprobs">old_logp: the log-probabilities under the policy that produced the rollouts (the PPO anchor).</param>
/// <param name="Advantages">A per token (usually a response's advantage broadcast under the mask).</param>
/// <param name="ResponseMask">m: 1 for response tokens that count, 0 for prompt and padding.</param>
public sealed record PolicyLossBatch(
    int BatchSize,
    int Tokens,
    ReadOnlyMemory<float> Logprobs,
    ReadOnlyMemory<float> OldLogprobs,
    ReadOnlyMemory<float> Advantages,
    ReadOnlyMemory<float> ResponseMask)
{
    /// <summary>ref_logp: the reference policy's log-probabilities; required unless the KL estimator is None.</summary>
    public ReadOnlyMemory<float> RefLogprobs { get; init; }

    /// <summary>Per-token entropy of the policy's next-token distribution; required when the entropy coefficient is not 0.</summary>
    public ReadOnlyMemory<float> Entropy { get; init; }

    /// <summary>
    /// Optional per-token importance weights w ≥ 0 (e.g. <see cref="ImportanceSampling.Truncated"/>), multiplying the
    /// policy-gradient term only.
    /// </summary>
    public ReadOnlyMemory<float> ImportanceWeights { get; init; }
}
