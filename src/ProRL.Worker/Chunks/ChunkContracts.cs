using System.Text.Json;
using System.Text.Json.Nodes;
using ProRL.Worker.RunDirectory;

namespace ProRL.Worker.Chunks;

/// <summary>One sampled response: completion token ids, the behaviour policy's logprob of each, text and finish reason.</summary>
public sealed record GeneratedSample(int[] TokenIds, float[] LogProbs, string Text, string FinishReason)
{
    public const string Eos = "eos";
    public const string Length = "length";
    public const string Stop = "stop";
}

/// <summary>A prompt's group of responses, with the task row (TaskJson schema) its verifier needs.</summary>
public sealed record RolloutGroup(JsonObject Task, int[] PromptTokenIds, IReadOnlyList<GeneratedSample> Samples)
{
    public string Domain => Task["domain"]?.GetValueKind() == JsonValueKind.String ? (string)Task["domain"]! : "unknown";
}

/// <summary>
/// A rollout chunk (<c>rollouts/</c>): groups sampled from one policy version for one trainer step (and sampling round,
/// when dynamic sampling asks for more).
/// </summary>
public sealed record RolloutChunk(long PolicyVersion, long Step, int Round, string Writer, IReadOnlyList<RolloutGroup> Groups);

/// <summary>The verifier's verdict on one sample.</summary>
public sealed record SampleScore(double Reward, string Reason, double? Fraction = null, bool FormatOk = true, string? ExtractedAnswer = null);

/// <summary>A scored chunk (<c>rewards/</c>): the rollout chunk and, per group and sample, its score.</summary>
public sealed record ScoredChunk(RolloutChunk Rollout, IReadOnlyList<IReadOnlyList<SampleScore>> Scores)
{
    /// <summary>Throws when the scores do not cover every sample exactly once.</summary>
    public void CheckShape(string what)
    {
        if (Scores.Count != Rollout.Groups.Count ||
            Scores.Zip(Rollout.Groups).Any(p => p.First.Count != p.Second.Samples.Count))
            throw new RunDirectoryException($"{what}: the scores do not match the rollout's groups and samples.");
    }
}

/// <summary>JSON payloads of chunk files.</summary>
public static class ChunkPayload
{
    public static byte[] Serialize<T>(T value) => JsonSerializer.SerializeToUtf8Bytes(value, RunJson.Compact);

    /// <summary>Reads a payload; <see cref="RunDirectoryException"/> naming <paramref name="what"/> when it is not a <typeparamref name="T"/>.</summary>
    public static T Deserialize<T>(byte[] payload, string what) where T : class
    {
        try
        {
            return JsonSerializer.Deserialize<T>(payload, RunJson.Compact) ?? throw new RunDirectoryException($"{what}: empty payload.");
        }
        catch (JsonException e)
        {
            throw new RunDirectoryException($"{what}: not a valid {typeof(T).Name} ({e.Message}).", e);
        }
    }
}

/// <summary>Sampling settings of a rollout request (chosen by the requester, so that every rollout worker agrees).</summary>
public sealed record SamplingSpec(int SamplesPerPrompt, double Temperature, double TopP, int TopK, int MaxNewTokens, ulong Seed);

/// <summary>
/// A request for rollouts (<c>requests/</c>): the tasks (TaskJson rows) to sample a group for, from policy version
/// <see cref="PolicyVersion"/> or newer. Exactly one rollout worker claims it; its rollout chunk carries the request's id.
/// </summary>
public sealed record RolloutRequest(long Step, int Round, long PolicyVersion, IReadOnlyList<JsonObject> Tasks, SamplingSpec Sampling);
