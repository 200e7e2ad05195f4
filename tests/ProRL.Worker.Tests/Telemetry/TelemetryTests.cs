using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Hosting.Systemd;
using Microsoft.Extensions.Logging.Abstractions;
using ProRL.Tasks.Sandbox;
using ProRL.Worker.Options;
using ProRL.Worker.RunDirectory;
using ProRL.Worker.Telemetry;

namespace ProRL.Worker.Tests.Telemetry;

public sealed class TelemetryTests : IDisposable
{
    private readonly TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    private sealed class ManualTime(DateTimeOffset start) : TimeProvider
    {
        public DateTimeOffset Now { get; set; } = start;
        public override DateTimeOffset GetUtcNow() => Now;
    }

    private sealed class RecordingNotifier : ISystemdNotifier
    {
        public List<string> States { get; } = [];
        public bool IsEnabled => true;
        public void Notify(ServiceState state) { lock (States) States.Add(state.ToString()); }
    }

    private sealed class FixedRunner(SandboxResult result) : ICodeRunner
    {
        public string IsolationDescription => "test";
        public Task<SandboxResult> RunPythonAsync(SandboxRequest request, CancellationToken cancellationToken = default) => Task.FromResult(result);
    }

    private static int FreePort()
    {
        var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        int port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        return port;
    }

    [Fact]
    public async Task Prometheus_endpoint_serves_the_trainer_gauges_counters_and_healthz_on_loopback()
    {
        var run = RunStore.Open(_temp.Path);
        for (int s = 1; s <= 3; s++)
            run.Metrics.Append(s, new Dictionary<string, double> { [MetricNames.RewardMean] = 0.5, [MetricNames.Kl] = 0.01, [MetricNames.Entropy] = 1.25, [MetricNames.TokensPerSecond] = 640 });
        run.Rollouts.Publish("w1", "x"u8);
        run.Rollouts.Publish("w1", "y"u8);
        var failing = new MeteredCodeRunner(new FixedRunner(new SandboxResult(-1, "", "", TimedOut: true, OutputLimitExceeded: false, TimeSpan.FromSeconds(1))));

        int port = FreePort();
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Run:Directory"] = _temp.Path,
            ["Run:PollIntervalMilliseconds"] = "50",
            ["Telemetry:PrometheusPort"] = port.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Telemetry:PrometheusHost"] = "127.0.0.1",
            ["Telemetry:TensorBoard"] = "false",
        });
        // Only the sections telemetry reads: the full set would ask for a model.
        builder.Services.Configure<RunOptions>(builder.Configuration.GetSection(RunOptions.SectionName));
        builder.Services.Configure<ServicesOptions>(builder.Configuration.GetSection(ServicesOptions.SectionName));
        builder.Services.Configure<TelemetryOptions>(builder.Configuration.GetSection(TelemetryOptions.SectionName));
        builder.Services.AddWorkerTelemetry(builder.Configuration);
        using var host = builder.Build();
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(30)); // the test stops itself whatever happens
        await host.StartAsync(stop.Token);
        try
        {
            // Instruments record only while a listener (the meter provider, started with the host) is attached.
            run.Trainer.Commit(1, f => File.WriteAllText(Path.Combine(f, "state.json"), "{}"));
            await failing.RunPythonAsync(new SandboxRequest(new Dictionary<string, string>(), [], "", new SandboxLimits()));
            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
            string text = "";
            for (int i = 0; i < 100 && !(text.Contains("prorl_trainer_step", StringComparison.Ordinal) && Samples(text, "prorl_trainer_step").Contains(3)); i++)
            {
                await Task.Delay(100, stop.Token);
                text = await http.GetStringAsync($"http://127.0.0.1:{port}/metrics", stop.Token);
            }
            Assert.Contains(3, Samples(text, "prorl_trainer_step"));
            Assert.Contains(0.5, Samples(text, "prorl_reward_mean"));
            Assert.Contains(0.01, Samples(text, "prorl_kl"));
            Assert.Contains(1.25, Samples(text, "prorl_entropy"));
            Assert.Contains(640, Samples(text, "prorl_tokens_per_second"));
            Assert.Contains(2, Samples(text, "prorl_queue_depth", "queue=\"rollouts\""));
            Assert.True(Samples(text, "prorl_sandbox_runs_total").Max() >= 1);
            Assert.True(Samples(text, "prorl_sandbox_failures_total", "reason=\"timeout\"").Max() >= 1);
            Assert.True(Samples(text, "prorl_checkpoint_commit_duration_seconds_count", "store=\"trainer\"").Max() >= 1);

            using var health = await http.GetAsync($"http://127.0.0.1:{port}/healthz", stop.Token);
            Assert.Equal(HttpStatusCode.OK, health.StatusCode);
            Assert.StartsWith("ok: step 3", await health.Content.ReadAsStringAsync(stop.Token));
        }
        finally
        {
            await host.StopAsync(CancellationToken.None);
        }
    }

    /// <summary>
    /// The values of the samples of <paramref name="name"/> whose labels contain <paramref name="label"/>; an absent
    /// series fails. Other tests' hosts may register gauges of the same meter while this one runs, so the test looks for
    /// its own value among them.
    /// </summary>
    private static IReadOnlyList<double> Samples(string exposition, string name, string label = "")
    {
        var values = new List<double>();
        foreach (var line in exposition.Split('\n'))
        {
            var m = Regex.Match(line, $@"^{Regex.Escape(name)}(\{{(?<labels>[^}}]*)\}})? (?<value>\S+)");
            if (m.Success && m.Groups["labels"].Value.Contains(label, StringComparison.Ordinal))
                values.Add(double.Parse(m.Groups["value"].Value, System.Globalization.CultureInfo.InvariantCulture));
        }
        if (values.Count == 0) throw new Xunit.Sdk.XunitException($"no sample {name}{{{label}}} in:\n{exposition}");
        return values;
    }

    [Fact]
    public void Health_follows_progress_and_stalls_after_StallSeconds()
    {
        var time = new ManualTime(DateTimeOffset.UnixEpoch);
        var progress = new TrainerProgress(time);
        var stall = TimeSpan.FromSeconds(60);
        time.Now += TimeSpan.FromSeconds(59);
        Assert.True(progress.IsHealthy(stall)); // counted from the start while no step exists
        time.Now += TimeSpan.FromSeconds(2);
        Assert.False(progress.IsHealthy(stall));
        progress.Observe([new() { ["step"] = 7, ["kl"] = 0.5 }]);
        Assert.True(progress.IsHealthy(stall));
        Assert.Equal(7, progress.Step);
        time.Now += TimeSpan.FromSeconds(61);
        progress.Observe([new() { ["step"] = 7 }]); // the same step again is no progress
        Assert.False(progress.IsHealthy(stall));
        Assert.Equal(0.5, progress.Latest("kl"));
    }

    [Fact]
    public async Task Watchdog_pings_only_while_healthy_and_reads_the_interval_systemd_passes()
    {
        Assert.Equal(TimeSpan.FromSeconds(15), SystemdWatchdogService.RequestedInterval(n => n == "WATCHDOG_USEC" ? "30000000" : null));
        Assert.Null(SystemdWatchdogService.RequestedInterval(_ => null));
        Assert.Null(SystemdWatchdogService.RequestedInterval(n => n switch { "WATCHDOG_USEC" => "30000000", "WATCHDOG_PID" => "1", _ => null }));

        var time = new ManualTime(DateTimeOffset.UnixEpoch);
        var progress = new TrainerProgress(time);
        var notifier = new RecordingNotifier();
        using (var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(300)))
            await SystemdWatchdogService.RunAsync(notifier, progress, TimeSpan.FromSeconds(60), TimeSpan.FromMilliseconds(20), NullLogger.Instance, cts.Token);
        Assert.True(notifier.States.Count >= 2);
        Assert.All(notifier.States, s => Assert.Equal("WATCHDOG=1", s));

        time.Now += TimeSpan.FromSeconds(120); // stalled: systemd must see the pings stop
        notifier.States.Clear();
        using (var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(200)))
            await SystemdWatchdogService.RunAsync(notifier, progress, TimeSpan.FromSeconds(60), TimeSpan.FromMilliseconds(20), NullLogger.Instance, cts.Token);
        Assert.Empty(notifier.States);
    }
}
