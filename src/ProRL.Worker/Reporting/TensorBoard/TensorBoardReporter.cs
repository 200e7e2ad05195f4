using System.Collections.Concurrent;
using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using ProRL.Worker.RunDirectory;
using ProRL.Worker.Services.Validation;
using ProRL.Worker.Telemetry;

namespace ProRL.Worker.Reporting.TensorBoard;

/// <summary>
/// Copies what the run directory records into TensorBoard event files under <c>RUN/tensorboard/</c>: every numeric field
/// of <c>metrics.jsonl</c> as a scalar of the same name, validation results under <c>validation/</c>, reset events as
/// text under <c>events/</c>, and, when the trainer runs in this process, histograms of advantages and response lengths
/// under <c>histograms/</c>. Each category resumes after the newest step the folder already holds, so a restart
/// (after a crash or not) never writes a step twice.
/// </summary>
public sealed class TensorBoardReporter : IDisposable
{
    public const string FolderName = "tensorboard";
    public const string ValidationPrefix = "validation/";
    public const string EventsPrefix = "events/";
    public const string HistogramsPrefix = "histograms/";
    public const string AdvantagesTag = HistogramsPrefix + "advantages";
    public const string ResponseLengthTag = HistogramsPrefix + "response_length";

    /// <summary>Event types written as text: the reference and optimizer resets.</summary>
    public static readonly IReadOnlyList<string> TextEventTypes = [EventTypes.ReferenceReset, EventTypes.OptimizerReset];

    private readonly RunStore _store;
    private readonly EventFileLog _log;
    private readonly JsonlFollower _metrics;
    private readonly JsonlFollower _events;
    private readonly ConcurrentDictionary<long, StepDistributions> _pending = new();
    private long? _lastMetricsStep;
    private long? _lastValidationStep;

    public TensorBoardReporter(RunStore store)
    {
        _store = store;
        _log = EventFileLog.Open(Path.Combine(store.Root, FolderName));
        _metrics = new JsonlFollower(store.Metrics.File);
        _events = new JsonlFollower(store.Events.File);
        _lastMetricsStep = _log.LastStep(IsMetricsTag);
        _lastValidationStep = _log.LastStep(t => t.StartsWith(ValidationPrefix, StringComparison.Ordinal));
        TrainingDistributions.Published += OnDistributions;
    }

    public string EventFilePath => _log.Path;

    public static bool IsMetricsTag(string tag) =>
        !tag.StartsWith(ValidationPrefix, StringComparison.Ordinal) && !tag.StartsWith(EventsPrefix, StringComparison.Ordinal) &&
        !tag.StartsWith(HistogramsPrefix, StringComparison.Ordinal);

    /// <summary>Writes what appeared since the last call; returns the number of events written.</summary>
    public int Pump()
    {
        int written = 0;
        foreach (var record in _metrics.ReadNew())
        {
            if (!MetricSeries.TryNumber(record[MetricNames.Step], out var stepValue)) continue;
            long step = (long)stepValue;
            if (step <= _lastMetricsStep) continue;
            var wall = WallTime(record[MetricNames.Time]);
            var scalars = new List<KeyValuePair<string, double>>();
            foreach (var (key, node) in record)
                if (key is not (MetricNames.Step or MetricNames.Time) && MetricSeries.TryNumber(node, out var v) && IsMetricsTag(key))
                    scalars.Add(new(key, v));
            _log.WriteScalars(step, wall, scalars);
            _lastMetricsStep = step;
            written++;
            // The step is committed now: its distributions can be written; those of older, abandoned steps are dropped.
            foreach (var s in _pending.Keys.Where(s => s <= step).ToList())
            {
                if (!_pending.TryRemove(s, out var d) || s != step || step <= _log.LastStep(AdvantagesTag)) continue;
                _log.WriteHistogram(step, wall, AdvantagesTag, d.Advantages);
                _log.WriteHistogram(step, wall, ResponseLengthTag, d.ResponseLengths);
                written++;
            }
        }
        foreach (var e in _events.ReadNew())
        {
            if (e["type"] is not JsonValue t || !t.TryGetValue<string>(out var type) || !TextEventTypes.Contains(type)) continue;
            if (!MetricSeries.TryNumber(e["step"], out var stepValue)) continue;
            long step = (long)stepValue;
            var tag = EventsPrefix + type;
            if (step <= _log.LastStep(tag)) continue;
            _log.WriteText(step, WallTime(e["time"]), tag, Describe(e));
            written++;
        }
        foreach (var result in ValidationResult.ReadAll(_store))
        {
            if (result.Step <= _lastValidationStep) continue;
            var scalars = result.PassAtK.OrderBy(p => p.Key, StringComparer.Ordinal)
                .Select(p => new KeyValuePair<string, double>($"{ValidationPrefix}pass@{p.Key}", p.Value))
                .Append(new(ValidationPrefix + "mean_reward", result.MeanReward))
                .Concat(result.MeanRewardByDomain.OrderBy(p => p.Key, StringComparer.Ordinal)
                    .Select(p => new KeyValuePair<string, double>($"{ValidationPrefix}reward/{p.Key}", p.Value)))
                .Concat(HeldOutFamilyScalars(result.HeldOutFamilies));
            _log.WriteScalars(result.Step, EventFileLog.Now(), scalars);
            _lastValidationStep = result.Step;
            written++;
        }
        return written;
    }

    /// <summary><c>validation/heldout_families/pass@k</c> over the held-out families, and pass@1 of each.</summary>
    private static IEnumerable<KeyValuePair<string, double>> HeldOutFamilyScalars(HeldOutFamiliesResult? families)
    {
        if (families is null) yield break;
        const string prefix = ValidationPrefix + "heldout_families/";
        foreach (var (k, value) in families.PassAtK.OrderBy(p => p.Key, StringComparer.Ordinal)) yield return new($"{prefix}pass@{k}", value);
        yield return new(prefix + "mean_reward", families.MeanReward);
        foreach (var (family, value) in families.PassAt1ByFamily.OrderBy(p => p.Key, StringComparer.Ordinal)) yield return new($"{prefix}{family}/pass@1", value);
    }

    private void OnDistributions(StepDistributions d)
    {
        if (d.Step > _lastMetricsStep.GetValueOrDefault(long.MinValue)) _pending[d.Step] = d;
    }

    private static string Describe(JsonObject e)
    {
        var text = new StringBuilder((string?)e["message"] ?? "");
        if (e["data"] is JsonObject data) text.Append("\n\n    ").Append(data.ToJsonString());
        return text.ToString();
    }

    private static double WallTime(JsonNode? time) =>
        time is JsonValue v && v.TryGetValue<string>(out var s) &&
        DateTimeOffset.TryParse(s, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var t)
            ? t.ToUnixTimeMilliseconds() / 1000.0
            : EventFileLog.Now();

    public void Dispose()
    {
        TrainingDistributions.Published -= OnDistributions;
        _log.Dispose();
    }
}
