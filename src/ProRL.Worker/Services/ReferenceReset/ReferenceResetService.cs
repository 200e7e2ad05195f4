using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using ProRL.Worker.Hosting;
using ProRL.Worker.Options;
using ProRL.Worker.RunDirectory;

namespace ProRL.Worker.Services.ReferenceReset;

/// <summary><c>ReferenceResetService</c> (Services:ReferenceReset and ReferenceReset:Enabled): the reset schedule and triggers.
/// Run it on one host only: it is the reference's single writer.</summary>
public sealed class ReferenceResetService(
    IOptions<ServicesOptions> services,
    IOptions<RunOptions> run,
    IOptions<ReferenceResetOptions> reset,
    ILogger<ReferenceResetService> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!services.Value.ReferenceReset || !reset.Value.Enabled) return;
        var store = RunStore.Open(run.Value.Directory);
        store.Reference.CleanUpIncomplete();
        var stage = new ReferenceResetStage(store, reset.Value);
        var poll = TimeSpan.FromMilliseconds(run.Value.PollIntervalMilliseconds);
        string? lastProblem = null;
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                try
                {
                    if (stage.EvaluateLatest() is { ShouldReset: true } decision)
                        logger.LogInformation("Reference reset ({Rule}): {Reason}", decision.Rule, decision.Reason);
                    lastProblem = null;
                }
                catch (Exception e) when (e is IOException or RunDirectoryException)
                {
                    // E.g. the policy version was pruned while being copied, or policy/LATEST names a missing version:
                    // decide again at the next poll. Said once per distinct problem, not at every poll.
                    if (e.Message != lastProblem) ExpectedFailures.Log(logger, LogLevel.Warning, e, "Reference reset check failed (retrying at every poll)");
                    lastProblem = e.Message;
                }
                await Task.Delay(poll, stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }
}
