using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using ProRL.Rollout.ModelGeneration;
using ProRL.Worker.Hosting;
using ProRL.Worker.Startup;

namespace ProRL.Worker.Tests.Startup;

/// <summary>One generated tiny model, copied into each test's folder (generation is the slow part).</summary>
public sealed class PristineModel : IDisposable
{
    private readonly TempFolder _temp = new();

    public PristineModel() => Path = ModelGenerator.Write(DecoderSpec.Tiny with { Seed = 11 }, _temp.Combine("model")).Directory;

    public string Path { get; }

    public void Dispose() => _temp.Dispose();
}

/// <summary>
/// A worker configuration over a real (valid) model copy, an empty content root and a run directory path, and the
/// start-up validation the worker's Program runs, called in-process.
/// </summary>
public sealed class StartupHarness : IDisposable
{
    private readonly TempFolder _temp = new();

    public StartupHarness(PristineModel pristine)
    {
        ModelPath = _temp.Combine("model");
        CopyFolder(pristine.Path, ModelPath);
        RunDirectory = _temp.Combine("run");
        ContentRoot = _temp.Combine("content");
        Directory.CreateDirectory(ContentRoot);
    }

    public string ModelPath { get; }
    public string RunDirectory { get; }
    public string ContentRoot { get; }
    public string AppSettingsPath => Path.Combine(ContentRoot, "appsettings.json");
    public string Combine(params string[] parts) => _temp.Combine(parts);

    public string[] BaseArgs => [$"--Model:Path={ModelPath}", $"--Run:Directory={RunDirectory}", "--Reporting:Console=false"];

    public IHost Build(params string[] args) =>
        WorkerHost.CreateBuilder(new HostApplicationBuilderSettings { Args = [.. BaseArgs, .. args], ContentRootPath = ContentRoot }).Build();

    /// <summary>The problems start-up reports (what the worker prints before exiting 2); empty when it would start.</summary>
    public IReadOnlyList<string> Problems(params string[] args)
    {
        HostApplicationBuilder? builder = null;
        try
        {
            // The same steps as Program: build (a file that does not parse stops the builder), then validate.
            builder = WorkerHost.CreateBuilder(new HostApplicationBuilderSettings { Args = [.. BaseArgs, .. args], ContentRootPath = ContentRoot });
            using var host = builder.Build();
            return host.Services.GetRequiredService<StartupValidation>().Problems();
        }
        catch (Exception e) when (WorkerHost.ConfigurationProblems(e).Count > 0)
        {
            Assert.NotNull(WorkerHost.DescribeConfigurationFailure(e, builder?.Configuration));
            return WorkerHost.ConfigurationProblems(e, builder?.Configuration);
        }
    }

    public static void CopyFolder(string source, string destination)
    {
        Directory.CreateDirectory(destination);
        foreach (var file in Directory.EnumerateFiles(source))
            File.Copy(file, Path.Combine(destination, Path.GetFileName(file)), overwrite: true);
    }

    /// <summary>Every file under <paramref name="folder"/> with its bytes' hash: equal snapshots mean nothing was written.</summary>
    public static IReadOnlyDictionary<string, string> Snapshot(string folder) =>
        !Directory.Exists(folder)
            ? new Dictionary<string, string>()
            : Directory.EnumerateFileSystemEntries(folder, "*", SearchOption.AllDirectories).ToDictionary(
                path => Path.GetRelativePath(folder, path),
                path => File.Exists(path) ? Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(path))) : "dir");

    public void Dispose() => _temp.Dispose();
}
