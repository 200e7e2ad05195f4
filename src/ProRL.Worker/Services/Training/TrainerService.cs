using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using ProRL.Worker.Hosting;
using ProRL.Worker.Options;
using ProRL.Worker.RunDirectory;

namespace ProRL.Worker.Services.Training;

/// <summary>
/// <c>TrainerService</c> (Services:Trainer): scored chunks + reference → new policy versions. Exactly one trainer
/// runs per run directory. With <c>Run:MaxSteps</c> set, the host stops (exit code 0) after committing that step.
/// </summary>
public sealed class TrainerService(
    IOptions<ServicesOptions> services,
    IOptions<ModelOptions> model,
    IOptions<RunOptions> run,
    IOptions<RolloutOptions> rollout,
    IOptions<AlgorithmOptions> algorithm,
    IOptions<OptimizerOptions> optimizer,
    IOptions<TasksOptions> tasks,
    IOptions<SftOptions> sft,
    IOptions<ValidationOptions> validation,
    IOptions<ReferenceResetOptions> reset,
    IOptions<TrainingOptions> training,
    IHostApplicationLifetime lifetime,
    ILogger<TrainerService> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!services.Value.Trainer) return;
        await Task.Yield(); // let the other services start while the artifacts build
        var configuration = new TrainerConfiguration(model.Value, run.Value, rollout.Value, algorithm.Value, optimizer.Value, tasks.Value, sft.Value,
            validation.Value, reset.Value, ValidatesHere: services.Value.Validation, Training: training.Value);
        try
        {
            using var loop = await Task.Run(() => new TrainerLoop(configuration, logger), stoppingToken);
            await Task.Run(() => loop.WarmUpIfConfigured(stoppingToken), stoppingToken);
            long maxSteps = run.Value.MaxSteps;
            while (!stoppingToken.IsCancellationRequested && (maxSteps <= 0 || loop.Step < maxSteps))
                await Task.Run(() => loop.StepAsync(stoppingToken), stoppingToken);
            if (maxSteps > 0 && loop.Step >= maxSteps)
            {
                RunStore.Open(run.Value.Directory).Events.Append(EventTypes.RunStopped, loop.Step, $"Run:MaxSteps ({maxSteps}) reached");
                logger.LogInformation("Run:MaxSteps ({MaxSteps}) reached; stopping", maxSteps);
                lifetime.StopApplication();
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // The step in flight is abandoned before its commit; the next start redoes it from the last commit.
        }
        catch (Exception e)
        {
            // A trainer that cannot go on must not leave the host idling: stop with a failure exit code.
            // An expected failure (full disk with Run:DiskFullPolicy=exit, a damaged version, ...) is one line with the path
            // and what to do; a bug keeps its stack trace.
            ExpectedFailures.Log(logger, LogLevel.Critical, e, "The trainer stopped");
            Environment.ExitCode = 1;
            lifetime.StopApplication();
        }
    }
}
