using ProRL.Training.Session;

namespace ProRL.Training.Batching;

/// <summary>One response to train on: its prompt and completion tokens, the behaviour policy's logprobs, its reward.</summary>
public sealed record TrainingSample(int GroupId, int[] PromptIds, int[] CompletionIds, float[] BehaviourLogprobs, double Reward, bool EndedWithEos)
{
    public int Length => PromptIds.Length + CompletionIds.Length;
}

/// <summary>
/// Samples packed into one right-padded [B, T] batch, with the [B, T−1] arrays that line up with next-token
/// positions: position t predicts token t+1, so completion token j of a prompt of length p sits at t = p − 1 + j.
/// </summary>
public sealed record PackedBatch(TokenBatch Tokens, float[] ResponseMask, float[] BehaviourLogprobs, int ResponseTokens)
{
    public int Width => Tokens.Length - 1;

    public static PackedBatch Pack(IReadOnlyList<TrainingSample> samples, long padTokenId)
    {
        if (samples.Count == 0) throw new ArgumentException("Cannot pack an empty list of samples.", nameof(samples));
        int b = samples.Count;
        int t = Math.Max(2, samples.Max(s => s.Length));
        var ids = new long[b * t];
        var attention = new long[b * t];
        var mask = new float[b * (t - 1)];
        var behaviour = new float[b * (t - 1)];
        Array.Fill(ids, padTokenId);
        int responseTokens = 0;
        for (int row = 0; row < b; row++)
        {
            var s = samples[row];
            if (s.PromptIds.Length == 0) throw new ArgumentException($"Sample {row} has an empty prompt.", nameof(samples));
            if (s.BehaviourLogprobs.Length != s.CompletionIds.Length)
                throw new ArgumentException($"Sample {row}: {s.BehaviourLogprobs.Length} behaviour logprobs for {s.CompletionIds.Length} completion tokens.", nameof(samples));
            int p = s.PromptIds.Length;
            for (int i = 0; i < p; i++) ids[row * t + i] = s.PromptIds[i];
            for (int j = 0; j < s.CompletionIds.Length; j++)
            {
                ids[row * t + p + j] = s.CompletionIds[j];
                int pos = row * (t - 1) + p - 1 + j;
                mask[pos] = 1f;
                behaviour[pos] = s.BehaviourLogprobs[j];
            }
            for (int i = 0; i < s.Length; i++) attention[row * t + i] = 1;
            responseTokens += s.CompletionIds.Length;
        }
        return new PackedBatch(new TokenBatch(b, t, ids, attention), mask, behaviour, responseTokens);
    }
}
