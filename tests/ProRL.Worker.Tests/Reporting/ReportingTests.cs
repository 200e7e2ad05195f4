using System.Buffers.Binary;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging.Abstractions;
using ProRL.Worker.Options;
using ProRL.Worker.Reporting;
using ProRL.Worker.RunDirectory;
using OptionsFactory = Microsoft.Extensions.Options.Options;

namespace ProRL.Worker.Tests.Reporting;

public sealed class ReportingTests : IDisposable
{
    private readonly TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    private static RunStore WithMetrics(string root, int steps, params long[] resets)
    {
        var run = RunStore.Open(root);
        for (int s = 1; s <= steps; s++)
        {
            run.Metrics.Append(s, new Dictionary<string, double>
            {
                [MetricNames.RewardMean] = 0.1 + 0.02 * s,
                [MetricNames.Kl] = 1e-3 * s,
                [MetricNames.Entropy] = 1.0 - 0.01 * s,
                [MetricNames.ResponseLengthMean] = 20 + s,
            });
        }
        foreach (var step in resets) run.Events.Append(EventTypes.ReferenceReset, step, "reset");
        return run;
    }

    private static (int Width, int Height) PngSize(byte[] png)
    {
        Assert.Equal(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A }, png[..8]);
        Assert.Equal("IHDR", System.Text.Encoding.ASCII.GetString(png, 12, 4));
        return (BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(16)), BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(20)));
    }

    [Fact]
    public void Plot_of_a_small_metrics_file_is_a_png_of_the_requested_size()
    {
        var run = WithMetrics(_temp.Path, 12, 5);
        var path = MetricsPlotter.Render(run, 800, 600);
        Assert.Equal(Path.Combine(run.PlotsFolder, "training.png"), path);
        Assert.Equal((800, 600), PngSize(File.ReadAllBytes(path)));
    }

    [Fact]
    public void Reset_events_are_drawn()
    {
        var metrics = WithMetrics(_temp.Path, 12).Metrics.File.ReadAll().Records;
        var reset = new JsonObject { ["type"] = EventTypes.ReferenceReset, ["step"] = 6 };
        var other = new JsonObject { ["type"] = EventTypes.PolicyCommitted, ["step"] = 6 };
        var plain = MetricsPlotter.RenderPng(metrics, [other], 400, 300);
        var marked = MetricsPlotter.RenderPng(metrics, [reset, other], 400, 300);
        Assert.NotEqual(plain, marked);
        Assert.Equal(plain, MetricsPlotter.RenderPng(metrics, [other], 400, 300)); // rendering is deterministic
    }

    [Fact]
    public void Empty_logs_still_give_a_png()
    {
        Assert.Equal((300, 200), PngSize(MetricsPlotter.RenderPng([], [], 300, 200)));
    }

    [Fact]
    public void Series_skip_records_without_a_finite_value()
    {
        var records = new List<JsonObject>
        {
            new() { ["step"] = 1, ["kl"] = 0.5 },
            new() { ["step"] = 2, ["kl"] = null },
            new() { ["step"] = 3 },
            new() { ["step"] = 4, ["kl"] = "high" },
            new() { ["step"] = 5, ["kl"] = 0.25 },
        };
        var series = MetricSeries.Extract(records, "kl");
        Assert.Equal([1.0, 5.0], series.Steps);
        Assert.Equal([0.5, 0.25], series.Values);
    }

    [Fact]
    public void Reset_steps_come_from_reference_reset_events_only()
    {
        var events = new List<JsonObject>
        {
            new() { ["type"] = EventTypes.ReferenceReset, ["step"] = 40 },
            new() { ["type"] = EventTypes.OptimizerReset, ["step"] = 41 },
            new() { ["type"] = EventTypes.ReferenceReset },
            new() { ["type"] = EventTypes.ReferenceReset, ["step"] = 90 },
        };
        Assert.Equal([40.0, 90.0], MetricSeries.ResetSteps(events));
    }

    [Fact]
    public void Progress_line_shows_the_metrics_a_step_has()
    {
        var line = ProgressFormatter.FormatStep(new JsonObject
        {
            [MetricNames.Step] = 12,
            [MetricNames.RewardMean] = 0.4321,
            [MetricNames.RewardOfDomain("logic")] = 0.5,
            [MetricNames.RewardOfDomain("math")] = 0.25,
            [MetricNames.Kl] = 0.00123,
            [MetricNames.ClipFractionLow] = 0.01,
            [MetricNames.ClipFractionHigh] = 0.02,
            [MetricNames.TokensPerSecond] = 12345.6,
            [MetricNames.StepSeconds] = 4.06,
        });
        Assert.Equal("step 12 | reward 0.432 (logic 0.50, math 0.25) | KL 1.23e-3 | clip 0.010/0.020 | tok/s 12,346 | 4.1 s", line);
    }

    [Fact]
    public async Task Reporting_service_prints_each_step_and_draws_the_plot_on_stop()
    {
        var run = WithMetrics(_temp.Path, 3, 2);
        var output = new StringWriter();
        var service = new ReportingService(
            OptionsFactory.Create(new RunOptions { Directory = run.Root, PollIntervalMilliseconds = 20 }),
            OptionsFactory.Create(new ReportingOptions { Console = true, PlotEverySteps = 100, PlotWidth = 400, PlotHeight = 300 }),
            new ProgressConsole(output),
            NullLogger<ReportingService>.Instance);

        await service.StartAsync(CancellationToken.None);
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (output.ToString().Split('\n').Count(l => l.StartsWith("step ")) < 3 && DateTime.UtcNow < deadline) await Task.Delay(20);
        run.Metrics.Append(4, new Dictionary<string, double> { [MetricNames.RewardMean] = 0.9 });
        while (!output.ToString().Contains("step 4") && DateTime.UtcNow < deadline) await Task.Delay(20);
        await service.StopAsync(CancellationToken.None);

        var lines = output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(["step 1", "step 2", "step 3", "step 4"], lines.Select(l => l.Split(" |")[0]));
        Assert.Equal((400, 300), PngSize(File.ReadAllBytes(Path.Combine(run.PlotsFolder, "training.png"))));
    }
}
