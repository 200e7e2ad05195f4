using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using ProRL.Worker.Hosting;
using ProRL.Worker.Options;
using ProRL.Worker.RunDirectory;

namespace ProRL.Worker.Services.Rollout;

/// <summary>
/// <c>RolloutService</c> (Services:Rollout): rollout requests → rollout chunks, sampled with ONNX Runtime GenAI from the
/// committed policy (reloaded when a newer version is requested). Any number may run on other hosts or processes.
/// </summary>
public sealed class RolloutService(
    IOptions<ServicesOptions> services,
    IOptions<RunOptions> run,
    IOptions<ModelOptions> model,
    IOptions<RolloutOptions> rollout,
    ILogger<RolloutService> logger,
    IHostApplicationLifetime lifetime) : BackgroundService
{
    public static string ConsumerIdFor(ServicesOptions services) => ProcessIdentity.Stable("rollout") + "." + services.InstanceName;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!services.Value.Rollout) return;
        var store = RunStore.Open(run.Value.Directory);
        using var sampler = new EnginePolicySampler(model.Value.ExecutionProvider.ToLowerInvariant(), rollout.Value.BatchSize, model.Value.Threads,
            model.Value.ChatTemplate);
        var stage = new RolloutStage(store, ConsumerIdFor(services.Value), sampler);
        var recovered = stage.Recover();
        logger.LogInformation("Rollout service {Consumer} started on {Run} ({Recovered} requests recovered)", stage.ConsumerId, store.Root, recovered);
        var poll = TimeSpan.FromMilliseconds(run.Value.PollIntervalMilliseconds);
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                var before = stage.LoadedVersion;
                var outcome = await stage.ProcessNextAsync(stoppingToken);
                if (stage.LoadedVersion != before) logger.LogInformation("Rollout policy is now v{Version}", stage.LoadedVersion);
                if (outcome is RolloutStage.Outcome.Idle or RolloutStage.Outcome.WaitingForPolicy) await Task.Delay(poll, stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        catch (Exception e) when (ExpectedFailures.Advice(e) is not null)
        {
            // E.g. a policy version that GenAI cannot open: one line with the path and what to do, then exit code 1
            // (a bug still ends in the host's own report, with its stack trace).
            ExpectedFailures.Log(logger, LogLevel.Critical, e, "The rollout service stopped");
            Environment.ExitCode = 1;
            lifetime.StopApplication();
        }
    }
}
