using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using ProRL.Worker.Hosting;
using ProRL.Worker.Options;
using ProRL.Worker.RunDirectory;
using ProRL.Worker.Services.Reward;
using ProRL.Worker.Services.Rollout;
using ProRL.Worker.Services.Tasks;

namespace ProRL.Worker.Services.Validation;

/// <summary><c>ValidationService</c> (Services:Validation, Validation:EveryNSteps &gt; 0): periodic pass@1 / pass@k of the
/// committed policy on held-out items, written to <c>validation/</c> for the reset triggers and the operator.</summary>
public sealed class ValidationService(
    IOptions<ServicesOptions> services,
    IOptions<RunOptions> run,
    IOptions<ModelOptions> model,
    IOptions<ValidationOptions> validation,
    IOptions<TasksOptions> tasks,
    IOptions<SandboxOptions> sandbox,
    ILogger<ValidationService> logger,
    IHostApplicationLifetime lifetime) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!services.Value.Validation || validation.Value.EveryNSteps == 0) return;
        var poll = TimeSpan.FromMilliseconds(run.Value.PollIntervalMilliseconds);
        try
        {
            var store = RunStore.Open(run.Value.Directory);
            // The validation split (never drawn for training) and the held-out families: the same items at every validation.
            var items = TaskMixtureFactory.ForValidation(tasks.Value, validation.Value);
            using var sampler = new EnginePolicySampler(model.Value.ExecutionProvider.ToLowerInvariant(), 32, model.Value.Threads, model.Value.ChatTemplate);
            var stage = new ValidationStage(store, sampler, RewardService.CreateScorer(sandbox.Value, tasks.Value, logger), validation.Value,
                items.Items, items.FamilyItems);
            while (!stoppingToken.IsCancellationRequested)
            {
                var result = await stage.ValidateNextAsync(stoppingToken);
                if (result is not null)
                    logger.LogInformation("Validation of v{Step}: {PassAtK}", result.Step,
                        string.Join(", ", result.PassAtK.Select(p => $"pass@{p.Key} {p.Value:0.000}")));
                else await Task.Delay(poll, stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        catch (Exception e) when (ExpectedFailures.Advice(e) is not null)
        {
            // E.g. a policy version that GenAI cannot open: one line with the path and what to do, then exit code 1
            // (a bug still ends in the host's own report, with its stack trace).
            ExpectedFailures.Log(logger, LogLevel.Critical, e, "The validation service stopped");
            Environment.ExitCode = 1;
            lifetime.StopApplication();
        }
    }
}
