using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using ProRL.Worker.Options;
using ProRL.Worker.RunDirectory;

namespace ProRL.Worker.Reporting;

/// <summary>
/// Follows <c>metrics.jsonl</c> (whichever process writes it): prints one progress line per step and redraws
/// <c>plots/training.png</c> every <see cref="ReportingOptions.PlotEverySteps"/> steps and once more on stop.
/// </summary>
public sealed class ReportingService(
    IOptions<RunOptions> run,
    IOptions<ReportingOptions> reporting,
    ProgressConsole console,
    ILogger<ReportingService> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var options = reporting.Value;
        if (!options.Console && options.PlotEverySteps == 0) return;
        var store = RunStore.Open(run.Value.Directory);
        var follower = new JsonlFollower(store.Metrics.File);
        int stepsSincePlot = 0;
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(run.Value.PollIntervalMilliseconds));
        try
        {
            do
            {
                stepsSincePlot += Report(follower, options);
                if (options.PlotEverySteps > 0 && stepsSincePlot >= options.PlotEverySteps && TryPlot(store, options)) stepsSincePlot = 0;
            }
            while (await timer.WaitForNextTickAsync(stoppingToken));
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        stepsSincePlot += Report(follower, options);
        if (options.PlotEverySteps > 0 && stepsSincePlot > 0) TryPlot(store, options);
    }

    private int Report(JsonlFollower follower, ReportingOptions options)
    {
        var records = follower.ReadNew();
        if (options.Console)
            foreach (var record in records) console.WriteLine(ProgressFormatter.FormatStep(record));
        return records.Count;
    }

    private bool TryPlot(RunStore store, ReportingOptions options)
    {
        try
        {
            MetricsPlotter.Render(store, options.PlotWidth, options.PlotHeight);
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidOperationException)
        {
            // A plot is a convenience: failing to draw one must never stop training.
            logger.LogWarning(e, "Could not draw the training plot in {Folder}", store.PlotsFolder);
            return false;
        }
    }
}
