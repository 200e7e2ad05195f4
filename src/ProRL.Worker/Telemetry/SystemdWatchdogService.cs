using System.Globalization;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Hosting.Systemd;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using ProRL.Worker.Options;

namespace ProRL.Worker.Telemetry;

/// <summary>
/// Feeds the systemd watchdog (<c>WatchdogSec=</c> in the unit) while the trainer makes progress: systemd passes the
/// period in <c>WATCHDOG_USEC</c>, and we send <c>WATCHDOG=1</c> through the generic host's <see cref="ISystemdNotifier"/>
/// at half of it. A stalled trainer (no step for <c>Telemetry:StallSeconds</c>) stops the pings, so systemd restarts
/// the unit (Restart=on-failure), which resumes from the last committed step.
/// </summary>
public sealed class SystemdWatchdogService(
    IServiceProvider services,
    IOptions<TelemetryOptions> telemetry,
    TrainerProgress progress,
    ILogger<SystemdWatchdogService> logger) : BackgroundService
{
    /// <summary>The ping interval systemd asks for (half of WATCHDOG_USEC), or null when it asks for none or for another process.</summary>
    public static TimeSpan? RequestedInterval(Func<string, string?> environment)
    {
        if (!long.TryParse(environment("WATCHDOG_USEC"), NumberStyles.None, CultureInfo.InvariantCulture, out var usec) || usec <= 0) return null;
        if (environment("WATCHDOG_PID") is { } pid && pid != Environment.ProcessId.ToString(CultureInfo.InvariantCulture)) return null;
        return TimeSpan.FromTicks(usec * 10 / 2);
    }

    protected override Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!telemetry.Value.SystemdWatchdog) return Task.CompletedTask;
        if (services.GetService(typeof(ISystemdNotifier)) is not ISystemdNotifier { IsEnabled: true } notifier) return Task.CompletedTask;
        if (RequestedInterval(Environment.GetEnvironmentVariable) is not { } interval) return Task.CompletedTask;
        logger.LogInformation("systemd watchdog: pinging every {Seconds:F1} s while the trainer progresses", interval.TotalSeconds);
        return RunAsync(notifier, progress, TimeSpan.FromSeconds(telemetry.Value.StallSeconds), interval, logger, stoppingToken);
    }

    /// <summary>Pings every <paramref name="interval"/> while healthy; logs once when it stops pinging.</summary>
    public static async Task RunAsync(ISystemdNotifier notifier, TrainerProgress progress, TimeSpan stall, TimeSpan interval,
        ILogger logger, CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(interval);
        bool warned = false;
        try
        {
            do
            {
                if (progress.IsHealthy(stall))
                {
                    notifier.Notify(new ServiceState("WATCHDOG=1"));
                    warned = false;
                }
                else if (!warned)
                {
                    logger.LogError("No trainer step for {Seconds:F0} s (Telemetry:StallSeconds {Stall}): no longer feeding the systemd watchdog",
                        progress.SinceProgress.TotalSeconds, stall.TotalSeconds);
                    warned = true;
                }
            }
            while (await timer.WaitForNextTickAsync(stoppingToken));
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }
}
