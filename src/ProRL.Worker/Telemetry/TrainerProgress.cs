using System.Text.Json.Nodes;
using ProRL.Worker.Reporting;
using ProRL.Worker.RunDirectory;

namespace ProRL.Worker.Telemetry;

/// <summary>
/// What the service knows of the trainer's progress, from <c>metrics.jsonl</c> (so it works on a host that runs only
/// rollouts as well): the newest step and its metrics, and when a new step last appeared. Thread-safe.
/// </summary>
public sealed class TrainerProgress(TimeProvider time)
{
    private readonly Lock _gate = new();
    private readonly DateTimeOffset _started = time.GetUtcNow();
    private DateTimeOffset? _lastProgress;
    private JsonObject _latest = new();

    public TrainerProgress() : this(TimeProvider.System)
    {
    }

    public long? Step { get; private set; }

    /// <summary>Takes the records appended to metrics.jsonl since the last call; a newer step counts as progress.</summary>
    public void Observe(IReadOnlyList<JsonObject> records)
    {
        lock (_gate)
        {
            foreach (var record in records)
            {
                if (!MetricSeries.TryNumber(record[MetricNames.Step], out var s)) continue;
                if (Step is { } last && (long)s <= last) continue;
                Step = (long)s;
                _latest = record;
                _lastProgress = time.GetUtcNow();
            }
        }
    }

    /// <summary>A numeric field of the newest step's record; null when absent.</summary>
    public double? Latest(string key)
    {
        lock (_gate) return MetricSeries.TryNumber(_latest[key], out var v) ? v : null;
    }

    /// <summary>Time since the newest step appeared, or since the start while there is none.</summary>
    public TimeSpan SinceProgress
    {
        get
        {
            lock (_gate) return time.GetUtcNow() - (_lastProgress ?? _started);
        }
    }

    public bool IsHealthy(TimeSpan stall) => SinceProgress <= stall;
}
