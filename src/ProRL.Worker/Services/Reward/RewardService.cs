using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using ProRL.Tasks.Code;
using ProRL.Tasks.Sandbox;
using ProRL.Tasks.Verification;
using ProRL.Worker.Options;
using ProRL.Worker.RunDirectory;

namespace ProRL.Worker.Services.Reward;

/// <summary>
/// <c>RewardService</c> (Services:Reward): rollout chunks → scored chunks. Several may run (on other hosts or under other
/// Services:InstanceName values); each chunk is scored by exactly one. Stopping abandons the chunk being scored; the
/// next start of the same instance scores it again.
/// </summary>
public sealed class RewardService(
    IOptions<ServicesOptions> services,
    IOptions<RunOptions> run,
    IOptions<SandboxOptions> sandbox,
    IOptions<TasksOptions> tasks,
    ILogger<RewardService> logger) : BackgroundService
{
    /// <summary>The consumer id of this host's reward service: stable across restarts, so its claims are recovered.</summary>
    public static string ConsumerIdFor(ServicesOptions services) => ProcessIdentity.Stable("reward") + "." + services.InstanceName;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!services.Value.Reward) return;
        var store = RunStore.Open(run.Value.Directory);
        var stage = new RewardStage(store, ConsumerIdFor(services.Value), new ChunkScorer(CreateScorer(sandbox.Value, tasks.Value, logger)));
        var recovered = stage.Recover();
        logger.LogInformation("Reward service {Consumer} started on {Run} ({Recovered} chunks recovered)", stage.ConsumerId, store.Root, recovered);
        var poll = TimeSpan.FromMilliseconds(run.Value.PollIntervalMilliseconds);
        var lastSweep = DateTime.UtcNow;
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                if (!await stage.ProcessNextAsync(stoppingToken)) await Task.Delay(poll, stoppingToken);
                if (DateTime.UtcNow - lastSweep > TimeSpan.FromMinutes(10))
                {
                    // Writers that died mid-write leave hidden temporaries; an hour is far beyond any live write.
                    store.Rollouts.DeleteStaleTemporaries(TimeSpan.FromHours(1));
                    lastSweep = DateTime.UtcNow;
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    /// <summary>The five domain verifiers; code runs in the process sandbox, created on first use.</summary>
    public static RewardScorer CreateScorer(SandboxOptions sandbox, TasksOptions tasks, ILogger logger)
    {
        var limits = new SandboxLimits
        {
            WallClock = TimeSpan.FromSeconds(sandbox.RunTimeoutSeconds),
            CpuSeconds = (int)Math.Ceiling(sandbox.RunTimeoutSeconds),
            MemoryBytes = (long)sandbox.MemoryLimitMegabytes << 20,
            MaxOutputBytes = sandbox.MaxOutputBytes,
        };
        var lazy = new LazyCodeRunner(
            () => new ProcessSandbox(new ProcessSandboxOptions
            {
                Python = sandbox.PythonPath,
                MaxConcurrency = sandbox.MaxParallel,
                Isolation = sandbox.Isolation == SandboxOptions.NoneUnsafe ? SandboxIsolation.NoneUnsafe : SandboxIsolation.Require,
                Warn = message => logger.LogWarning("{Message}", message),
            }),
            // The sandbox's messages name what is missing and what to install; the stack trace helps only at Debug.
            e => logger.LogError(logger.IsEnabled(LogLevel.Debug) ? e : null, "Code answers are refused (scored 0): {Reason}", e.Message));
        // Started now, so that a host that cannot isolate code says so at start-up rather than at the first code answer.
        lazy.Start();
        var runner = new Telemetry.MeteredCodeRunner(lazy);
        var format = string.Equals(tasks.ResponseFormat, TasksOptions.ThinkThenAnswer, StringComparison.OrdinalIgnoreCase)
            ? FormatRequirement.ThinkThenAnswer
            : FormatRequirement.None;
        return RewardScorer.CreateDefault(runner, format, new CodeVerifierOptions
        {
            Limits = limits,
            TotalBudget = TimeSpan.FromSeconds(sandbox.TotalBudgetSeconds),
            MaxConcurrency = sandbox.MaxParallel,
        });
    }
}
