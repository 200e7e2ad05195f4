using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using ProRL.Worker.Hosting;

try
{
    using var host = WorkerHost.CreateBuilder(args).Build();
    // Validate before starting so that an invalid option is reported as one clear message, not as a host failure.
    host.Services.GetService<IStartupValidator>()?.Validate();
    await host.RunAsync();
    // A service that fails sets Environment.ExitCode before it stops the host; a returned constant would hide that.
    return Environment.ExitCode;
}
catch (Exception e) when (WorkerHost.DescribeConfigurationFailure(e) is { } message)
{
    // An invalid option stops the host before any service starts; say which one and what it allows.
    await Console.Error.WriteLineAsync(message);
    return 2;
}
