using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace ProRL.Worker.Telemetry;

/// <summary>
/// The worker's System.Diagnostics.Metrics instruments recorded where things happen (sandbox runs, version commits).
/// The gauges that follow the trainer's progress live in <see cref="TelemetryService"/>. OpenTelemetry exports every
/// instrument of the meter <see cref="MeterName"/>; without a listener, recording costs next to nothing.
/// </summary>
public static class WorkerInstruments
{
    public const string MeterName = "ProRL.Worker";

    private static readonly Meter Meter = new(MeterName);

    public static readonly Counter<long> SandboxRuns =
        Meter.CreateCounter<long>("prorl.sandbox.runs", "{run}", "Code-verifier runs started in the sandbox.");

    public static readonly Counter<long> SandboxFailures =
        Meter.CreateCounter<long>("prorl.sandbox.failures", "{run}", "Sandbox runs that timed out, exceeded the output limit, or could not run.");

    // The exporter's default buckets are meant for milliseconds (0 … 10000); commits take 10 ms to minutes.
    public static readonly Histogram<double> CommitSeconds =
        Meter.CreateHistogram("prorl.checkpoint.commit.duration", "s", "Time to commit one version (write, fsync, rename), by store.",
            tags: null, advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300] });

    /// <summary>Records the duration of a commit to the store named by its folder (policy, reference, trainer).</summary>
    public static void RecordCommit(string storeFolder, long startTimestamp) =>
        CommitSeconds.Record(Stopwatch.GetElapsedTime(startTimestamp).TotalSeconds,
            new KeyValuePair<string, object?>("store", Path.GetFileName(storeFolder)));
}
