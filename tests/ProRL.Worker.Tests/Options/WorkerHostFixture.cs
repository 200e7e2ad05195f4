using Microsoft.Extensions.Hosting;
using ProRL.Worker.Hosting;

namespace ProRL.Worker.Tests.Options;

/// <summary>Builds worker hosts over a temporary content root with a valid model folder and run directory.</summary>
public sealed class WorkerHostHarness : IDisposable
{
    private readonly TempFolder _temp = new();

    public WorkerHostHarness()
    {
        ModelPath = _temp.Combine("model");
        Directory.CreateDirectory(ModelPath);
        File.WriteAllText(Path.Combine(ModelPath, "genai_config.json"), "{}");
        RunDirectory = _temp.Combine("run");
        ContentRoot = _temp.Combine("content");
        Directory.CreateDirectory(ContentRoot);
    }

    public string ModelPath { get; }
    public string RunDirectory { get; }
    public string ContentRoot { get; }
    public string Combine(params string[] parts) => _temp.Combine(parts);

    /// <summary>A valid configuration as command-line arguments; later arguments override earlier ones.</summary>
    public string[] BaseArgs =>
    [
        $"--Model:Path={ModelPath}", $"--Run:Directory={RunDirectory}",
        "--Reporting:Console=false", "--Reporting:PlotEverySteps=0",
        "--Services:Validation=false", // the harness's model folder is a stand-in that no engine can load
    ];

    public IHost Build(params string[] args) =>
        WorkerHost.CreateBuilder(new HostApplicationBuilderSettings { Args = [.. BaseArgs, .. args], ContentRootPath = ContentRoot }).Build();

    /// <summary>Starts and stops a host; returns the configuration problems that stopped it (empty when it started).</summary>
    public async Task<IReadOnlyList<string>> StartProblems(params string[] args)
    {
        try
        {
            // The shutdown grace period is read while the host is built, so a failure may come from Build too.
            using var host = Build(args);
            await host.StartAsync();
            await host.StopAsync();
            return [];
        }
        catch (Exception e) when (WorkerHost.ConfigurationProblems(e).Count > 0)
        {
            Assert.NotNull(WorkerHost.DescribeConfigurationFailure(e));
            return WorkerHost.ConfigurationProblems(e);
        }
    }

    public void Dispose() => _temp.Dispose();
}
