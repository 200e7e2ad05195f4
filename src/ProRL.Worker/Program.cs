using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using ProRL.Worker.Hosting;
using ProRL.Worker.Startup;

// Exit codes (README): 0 normal stop, 1 runtime failure, 2 configuration or input refused at start-up.
HostApplicationBuilder? builder = null;
IHost? host = null;
try
{
    builder = WorkerHost.CreateBuilder(args);
    host = builder.Build();
    // Everything is checked before any service starts and before anything is written to the run directory, so that a
    // bad option, model folder, dataset or run directory is reported as one clear message, not as a failure mid-run.
    host.Services.GetRequiredService<StartupValidation>().ThrowIfInvalid();
    // Resolved now: RunAsync disposes the host (and its service provider) when it returns.
    var backgroundServices = host.Services.GetServices<IHostedService>().OfType<BackgroundService>().ToList();
    await host.RunAsync();
    // A service that fails expectedly sets Environment.ExitCode before it stops the host. One that fails unexpectedly
    // (a bug) stops the host through .NET's own report, which leaves the exit code at 0: systemd's Restart=on-failure
    // would then never restart it, so a faulted service makes it 1.
    if (Environment.ExitCode == 0 && backgroundServices.Any(s => s.ExecuteTask is { IsFaulted: true }))
        return 1;
    return Environment.ExitCode;
}
catch (Exception e) when (WorkerHost.DescribeConfigurationFailure(e, builder?.Configuration) is { } message)
{
    await Console.Error.WriteLineAsync(message);
    return 2;
}
catch (Exception e)
{
    // Anything else is a runtime failure: one line, with the stack trace only when debugging (Logging:LogLevel:Default=Debug).
    var debug = builder?.Configuration["Logging:LogLevel:Default"] is { } level &&
                (level.Equals("Debug", StringComparison.OrdinalIgnoreCase) || level.Equals("Trace", StringComparison.OrdinalIgnoreCase));
    await Console.Error.WriteLineAsync($"The worker stopped: {e.GetType().Name}: {e.Message}" + (debug ? Environment.NewLine + e : ""));
    return 1;
}
finally
{
    host?.Dispose();
}
