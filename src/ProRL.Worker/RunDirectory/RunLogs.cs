using System.Text.Json.Nodes;

namespace ProRL.Worker.RunDirectory;

/// <summary>Keys of <c>metrics.jsonl</c> records shared by the trainer that writes them and the reporters that read them.</summary>
public static class MetricNames
{
    public const string Step = "step";
    public const string Time = "time";
    public const string RewardMean = "reward/mean";
    public const string RewardDomainPrefix = "reward/";
    public const string PassRate = "pass_rate";
    public const string Kl = "kl";
    public const string KlShare = "kl_share";
    public const string Entropy = "entropy";
    public const string Loss = "loss";
    public const string ClipFractionLow = "clip_fraction/low";
    public const string ClipFractionHigh = "clip_fraction/high";
    public const string ResponseLengthMean = "response_length/mean";
    public const string KeptGroupFraction = "kept_group_fraction";
    public const string TokensPerSecond = "tokens_per_second";
    public const string StepSeconds = "step_seconds";
    public const string Phase = "phase";

    public static string RewardOfDomain(string domain) => RewardDomainPrefix + domain;
}

/// <summary>Types of <c>events.jsonl</c> records.</summary>
public static class EventTypes
{
    public const string RunStarted = "run_started";
    public const string RunStopped = "run_stopped";
    public const string ReferenceReset = "reference_reset";
    public const string OptimizerReset = "optimizer_reset";
    public const string PolicyCommitted = "policy_committed";
    public const string Validation = "validation";
    public const string ChunkRejected = "chunk_rejected";
    public const string EntropyCollapse = "entropy_collapse";
}

/// <summary><c>metrics.jsonl</c>: one record per trainer step, numbers keyed by <see cref="MetricNames"/>.</summary>
public sealed class MetricsLog(string path)
{
    public JsonlFile File { get; } = new(path);

    /// <summary>Appends a step's metrics; non-finite values are written as null (JSON has no NaN).</summary>
    public void Append(long step, IReadOnlyDictionary<string, double> values, string? phase = null)
    {
        var record = new JsonObject { [MetricNames.Step] = step, [MetricNames.Time] = DateTimeOffset.UtcNow };
        if (phase is not null) record[MetricNames.Phase] = phase;
        foreach (var (key, value) in values) record[key] = double.IsFinite(value) ? value : null;
        File.Append(record);
    }
}

/// <summary><c>events.jsonl</c>: things that happened (resets, commits, rejections), each with a type, step and message.</summary>
public sealed class EventLog(string path)
{
    public JsonlFile File { get; } = new(path);

    public void Append(string type, long? step, string message, JsonObject? data = null)
    {
        var record = new JsonObject { ["type"] = type, ["time"] = DateTimeOffset.UtcNow, ["message"] = message };
        if (step is not null) record["step"] = step;
        if (data is not null) record["data"] = data.DeepClone();
        File.Append(record);
    }
}
