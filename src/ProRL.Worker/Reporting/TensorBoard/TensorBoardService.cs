using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using ProRL.Worker.Options;
using ProRL.Worker.RunDirectory;

namespace ProRL.Worker.Reporting.TensorBoard;

/// <summary>
/// Runs <see cref="TensorBoardReporter"/> on the host that runs the trainer (one writer per run directory; rollout-only
/// hosts would otherwise write duplicate files). A failure to write is logged and never stops training.
/// </summary>
public sealed class TensorBoardService(
    IOptions<RunOptions> run,
    IOptions<ServicesOptions> services,
    IOptions<TelemetryOptions> telemetry,
    ILogger<TensorBoardService> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!telemetry.Value.TensorBoard || !services.Value.Trainer) return;
        await Task.Yield();
        TensorBoardReporter reporter;
        try
        {
            reporter = new TensorBoardReporter(RunStore.Open(run.Value.Directory));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            logger.LogWarning(e, "TensorBoard event files are off: could not open {Folder}", TensorBoardReporter.FolderName);
            return;
        }
        using (reporter)
        {
            logger.LogInformation("TensorBoard event file: {Path}", reporter.EventFilePath);
            using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(run.Value.PollIntervalMilliseconds));
            try
            {
                do TryPump(reporter);
                while (await timer.WaitForNextTickAsync(stoppingToken));
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
            }
            TryPump(reporter); // the last step committed before the stop
        }
    }

    private void TryPump(TensorBoardReporter reporter)
    {
        try
        {
            reporter.Pump();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            logger.LogWarning(e, "Could not write the TensorBoard event file");
        }
    }
}
