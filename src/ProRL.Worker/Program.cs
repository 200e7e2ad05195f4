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
    await host.RunAsync();
    // A service that fails sets Environment.ExitCode before it stops the host; a returned constant would hide that.
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
    var debug = host?.Services.GetService<IConfiguration>()?["Logging:LogLevel:Default"] is { } level &&
                (level.Equals("Debug", StringComparison.OrdinalIgnoreCase) || level.Equals("Trace", StringComparison.OrdinalIgnoreCase));
    await Console.Error.WriteLineAsync($"The worker stopped: {e.GetType().Name}: {e.Message}" + (debug ? Environment.NewLine + e : ""));
    return 1;
}
finally
{
    host?.Dispose();
}
