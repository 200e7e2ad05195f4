using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using ProRL.Worker.Options;

namespace ProRL.Worker.Tests.Options;

/// <summary>Environment variables are process-wide: these tests must not run beside each other.</summary>
[CollectionDefinition(nameof(EnvironmentVariables), DisableParallelization = true)]
public sealed class EnvironmentVariables;

[Collection(nameof(EnvironmentVariables))]
public sealed class ConfigurationSourcesTests : IDisposable
{
    private readonly WorkerHostHarness _harness = new();

    public void Dispose() => _harness.Dispose();

    private long SeedOf(IHost host) => host.Services.GetRequiredService<IOptions<RunOptions>>().Value.Seed;

    [Fact]
    public void Environment_variables_override_appsettings_and_arguments_override_both()
    {
        File.WriteAllText(Path.Combine(_harness.ContentRoot, "appsettings.json"), """{ "Run": { "Seed": 1, "MaxSteps": 7 } }""");
        using (var fromFile = _harness.Build()) Assert.Equal(1, SeedOf(fromFile));
        Environment.SetEnvironmentVariable("Run__Seed", "2");
        try
        {
            using (var fromEnvironment = _harness.Build()) Assert.Equal(2, SeedOf(fromEnvironment));
            using var fromArgs = _harness.Build("--Run:Seed=3");
            Assert.Equal(3, SeedOf(fromArgs));
            Assert.Equal(7, fromArgs.Services.GetRequiredService<IOptions<RunOptions>>().Value.MaxSteps);
        }
        finally
        {
            Environment.SetEnvironmentVariable("Run__Seed", null);
        }
    }

    [Fact]
    public void Shutdown_grace_period_becomes_the_host_shutdown_timeout()
    {
        using var host = _harness.Build("--Shutdown:GracePeriodSeconds=7");
        Assert.Equal(TimeSpan.FromSeconds(7), host.Services.GetRequiredService<IOptions<HostOptions>>().Value.ShutdownTimeout);
    }

    [Fact]
    public async Task Shipped_appsettings_are_valid()
    {
        var shipped = Path.Combine(AppContext.BaseDirectory, "appsettings.json");
        Assert.True(File.Exists(shipped), "appsettings.json is copied next to the worker");
        File.Copy(shipped, Path.Combine(_harness.ContentRoot, "appsettings.json"));
        var modelPath = _harness.Combine("shipped-model");
        using var shippedHost = ProRL.Worker.Hosting.WorkerHost.CreateBuilder(new HostApplicationBuilderSettings
        {
            ContentRootPath = _harness.ContentRoot,
            Args = [$"--Model:Path={modelPath}", $"--Run:Directory={_harness.RunDirectory}", "--Reporting:Console=false",
                "--Reporting:PlotEverySteps=0", "--Services:Validation=false"],
        }).Build();
        await shippedHost.StartAsync();
        await shippedHost.StopAsync();
        var model = shippedHost.Services.GetRequiredService<IOptions<ModelOptions>>().Value;
        Assert.Equal("tiny", model.CreateIfMissing);
        Assert.True(File.Exists(Path.Combine(modelPath, "genai_config.json")), "the shipped settings generate the tiny model");
    }
}
