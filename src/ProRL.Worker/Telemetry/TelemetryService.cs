using System.Diagnostics.Metrics;
using System.Globalization;
using System.Net;
using System.Text;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using ProRL.Worker.Options;
using ProRL.Worker.RunDirectory;

namespace ProRL.Worker.Telemetry;

/// <summary>
/// Follows <c>metrics.jsonl</c> into <see cref="TrainerProgress"/>, publishes it as observable gauges (step, reward, KL,
/// entropy, tokens/s, seconds since progress, queue depths) on the meter that the Prometheus exporter serves, and,
/// when <c>Telemetry:PrometheusPort</c> is set, answers <c>/healthz</c> on that port: 200 while the trainer made progress
/// within <c>Telemetry:StallSeconds</c>, else 503.
/// </summary>
public sealed class TelemetryService(
    IOptions<RunOptions> run,
    IOptions<TelemetryOptions> telemetry,
    TrainerProgress progress,
    ILogger<TelemetryService> logger) : BackgroundService
{
    private Meter? _meter;
    private HttpListener? _health;

    public override Task StartAsync(CancellationToken cancellationToken)
    {
        var store = RunStore.Open(run.Value.Directory);
        _meter = CreateGauges(store, progress);
        if (telemetry.Value.PrometheusPort > 0)
        {
            // The exporter owns http://host:port/; a longer prefix on the same port routes /healthz here instead.
            var prefix = $"http://{telemetry.Value.PrometheusHost}:{telemetry.Value.PrometheusPort}/healthz/";
            _health = new HttpListener();
            _health.Prefixes.Add(prefix);
            try
            {
                _health.Start();
            }
            catch (HttpListenerException e)
            {
                // Monitoring must not stop training: without the endpoint the supervisor still has the watchdog.
                logger.LogError(e, "Could not serve {Prefix}; /healthz is off", prefix);
                (_health as IDisposable).Dispose();
                _health = null;
            }
        }
        return base.StartAsync(cancellationToken);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await Task.Yield();
        var follower = new JsonlFollower(RunStore.Open(run.Value.Directory).Metrics.File);
        var serving = _health is null ? Task.CompletedTask : ServeHealthAsync(_health, stoppingToken);
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(run.Value.PollIntervalMilliseconds));
        try
        {
            do progress.Observe(follower.ReadNew());
            while (await timer.WaitForNextTickAsync(stoppingToken));
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        _health?.Stop();
        await serving;
    }

    private async Task ServeHealthAsync(HttpListener listener, CancellationToken stoppingToken)
    {
        var stall = TimeSpan.FromSeconds(telemetry.Value.StallSeconds);
        while (!stoppingToken.IsCancellationRequested)
        {
            HttpListenerContext context;
            try
            {
                context = await listener.GetContextAsync().WaitAsync(stoppingToken);
            }
            catch (Exception e) when (e is OperationCanceledException or HttpListenerException or ObjectDisposedException)
            {
                return;
            }
            try
            {
                bool healthy = progress.IsHealthy(stall);
                var body = Encoding.UTF8.GetBytes(string.Create(CultureInfo.InvariantCulture,
                    $"{(healthy ? "ok" : "stalled")}: step {progress.Step?.ToString(CultureInfo.InvariantCulture) ?? "none"}, " +
                    $"last progress {progress.SinceProgress.TotalSeconds:F0} s ago (Telemetry:StallSeconds {stall.TotalSeconds:F0})\n"));
                context.Response.StatusCode = healthy ? 200 : 503;
                context.Response.ContentType = "text/plain; charset=utf-8";
                context.Response.ContentLength64 = body.Length;
                await context.Response.OutputStream.WriteAsync(body, stoppingToken);
                context.Response.Close();
            }
            catch (Exception e) when (e is HttpListenerException or IOException or OperationCanceledException)
            {
                logger.LogDebug(e, "A /healthz request failed");
            }
        }
    }

    /// <summary>The gauges read <paramref name="progress"/> and the chunk folders when a reader (the exporter) collects.</summary>
    public static Meter CreateGauges(RunStore store, TrainerProgress progress)
    {
        var meter = new Meter(WorkerInstruments.MeterName);
        meter.CreateObservableGauge("prorl.trainer.step", () => Measure(progress.Step), "{step}", "Newest committed trainer step.");
        meter.CreateObservableGauge("prorl.trainer.since_progress", () => progress.SinceProgress.TotalSeconds, "s",
            "Seconds since a trainer step was last committed (since the start while none).");
        Gauge(meter, progress, "prorl.reward.mean", MetricNames.RewardMean, "Mean reward of the newest step's samples.");
        Gauge(meter, progress, "prorl.kl", MetricNames.Kl, "KL to the reference policy at the newest step.");
        Gauge(meter, progress, "prorl.entropy", MetricNames.Entropy, "Policy entropy at the newest step.");
        Gauge(meter, progress, "prorl.tokens_per_second", MetricNames.TokensPerSecond, "Response tokens per second of the newest step.");
        meter.CreateObservableGauge("prorl.queue.depth", () => new[]
        {
            Depth(store.Requests, "requests"),
            Depth(store.Rollouts, "rollouts"),
            Depth(store.Rewards, "rewards"),
        }, "{chunk}", "Chunks waiting in each run-directory queue.");
        return meter;
    }

    private static void Gauge(Meter meter, TrainerProgress progress, string name, string key, string description) =>
        meter.CreateObservableGauge(name, () => MeasureDouble(progress.Latest(key)), description: description);

    private static IEnumerable<Measurement<long>> Measure(long? value) => value is { } v ? [new Measurement<long>(v)] : [];

    private static IEnumerable<Measurement<double>> MeasureDouble(double? value) => value is { } v ? [new Measurement<double>(v)] : [];

    private static Measurement<int> Depth(ChunkQueue queue, string name)
    {
        int depth;
        try
        {
            depth = queue.ListReady().Count;
        }
        catch (IOException)
        {
            depth = 0;
        }
        return new Measurement<int>(depth, new KeyValuePair<string, object?>("queue", name));
    }

    public override void Dispose()
    {
        _meter?.Dispose();
        (_health as IDisposable)?.Dispose();
        base.Dispose();
    }
}
