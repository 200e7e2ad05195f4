using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using ProRL.Onnx.Models;
using ProRL.Worker.Options;
using ProRL.Worker.Reporting;
using ProRL.Worker.Services.Reward;
using ProRL.Worker.Services.Rollout;
using ProRL.Worker.Services.Validation;
using ProRL.Worker.Services.Training;
using ProRL.Worker.Startup;
using ProRL.Worker.Telemetry;

namespace ProRL.Worker.Hosting;

/// <summary>
/// Composition of the worker host: configuration (appsettings.json, then environment variables, then command-line
/// arguments, as the generic host layers them), validated options, systemd / Windows service integration, the shutdown
/// grace period and the reporting service.
/// </summary>
public static class WorkerHost
{
    public const string ServiceName = "prorl-worker";

    /// <summary>
    /// The production builder. appsettings.json is read from the application's folder (it is copied there at build),
    /// so <c>dotnet run --project src/ProRL.Worker</c> works from any folder; relative paths in the options still resolve
    /// against the working directory.
    /// </summary>
    public static HostApplicationBuilder CreateBuilder(string[] args) =>
        CreateBuilder(new HostApplicationBuilderSettings { Args = args, ContentRootPath = AppContext.BaseDirectory });

    public static HostApplicationBuilder CreateBuilder(HostApplicationBuilderSettings settings)
    {
        var builder = Host.CreateApplicationBuilder(settings);
        builder.Services.AddSystemd();
        builder.Services.AddWindowsService(o => o.ServiceName = ServiceName);
        builder.Services.AddWorkerOptions(builder.Configuration);
        builder.Services.AddOptions<HostOptions>()
            .Configure<IOptions<ShutdownOptions>>((host, shutdown) =>
                host.ShutdownTimeout = TimeSpan.FromSeconds(shutdown.Value.GracePeriodSeconds));
        builder.Services.AddSingleton(new ProgressConsole(Console.Out));
        // The start-up check (Program runs it before the host starts). More model-folder checks plug in as
        // IModelFolderCheck singletons; each runs after the built-in ones.
        builder.Services.AddSingleton<StartupValidation>();
        foreach (var check in ModelFolderChecks.Training) builder.Services.AddSingleton(check);
        // Hosted services start in registration order: the bootstrap (model, run directory) comes first.
        builder.Services.AddHostedService<RunBootstrapService>();
        builder.Services.AddHostedService<ReportingService>();
        builder.Services.AddWorkerTelemetry(builder.Configuration); // TensorBoard, Prometheus, /healthz, systemd watchdog
        // Each service reads Services:* itself and returns at once when it is off. Reference resets are the trainer's.
        builder.Services.AddHostedService<RolloutService>();
        builder.Services.AddHostedService<RewardService>();
        builder.Services.AddHostedService<ValidationService>();
        builder.Services.AddHostedService<TrainerService>();
        return builder;
    }

    /// <summary>
    /// The message to print when the host fails to start because of its configuration (an invalid or unparsable
    /// option); null for other failures.
    /// </summary>
    /// <param name="configuration">When given, each problem about an option also names the file (or command line) that set it.</param>
    public static string? DescribeConfigurationFailure(Exception exception, IConfiguration? configuration = null)
    {
        var problems = ConfigurationProblems(exception, configuration);
        return problems.Count == 0 ? null : "Invalid configuration:" + string.Concat(problems.Select(p => Environment.NewLine + "  " + p));
    }

    /// <summary>The individual configuration problems behind a start-up failure; empty when it has another cause.</summary>
    public static IReadOnlyList<string> ConfigurationProblems(Exception exception, IConfiguration? configuration) =>
        // Start-up validation names the sources of its option problems itself; its file problems name their file.
        configuration is null || exception is StartupValidationException
            ? ConfigurationProblems(exception)
            : ConfigurationProblems(exception).Select(p => ConfigurationSections.WithSource(configuration, p)).ToList();

    /// <summary>The individual configuration problems behind a start-up failure; empty when it has another cause.</summary>
    public static IReadOnlyList<string> ConfigurationProblems(Exception exception) => exception switch
    {
        OptionsValidationException v => v.Failures.ToList(),
        StartupValidationException s => s.Problems,
        // A configuration file that does not parse: the host builder's own exception, turned into FILE:LINE:COLUMN.
        InvalidDataException d when ConfigurationFileErrors.Describe(d) is { Count: > 0 } file => file,
        RunDirectory.RunDirectoryException r => [r.Message],
        AggregateException a when a.InnerExceptions.Select(ConfigurationProblems).ToList() is var all && all.All(p => p.Count > 0) =>
            all.SelectMany(p => p).ToList(),
        // The binder's own failure (a value that does not parse as the option's type) names the option's path.
        InvalidOperationException i when i.Message.StartsWith("Failed to convert configuration value", StringComparison.Ordinal) =>
            [i.Message + (i.InnerException is { } inner ? " " + inner.Message : "")],
        _ => [],
    };
}
