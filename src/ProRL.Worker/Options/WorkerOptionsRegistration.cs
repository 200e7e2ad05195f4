using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace ProRL.Worker.Options;

/// <summary>Binds every options section and validates it when the host starts.</summary>
public static class WorkerOptionsRegistration
{
    /// <summary>
    /// The names of the worker's sections: every <see cref="IOptionsSection"/> in this assembly, found by reflection so
    /// that a new section is known to the start-up checks and recorded in run.json without a second list to update.
    /// </summary>
    public static IReadOnlyList<string> SectionNames { get; } = typeof(IOptionsSection).Assembly.GetTypes()
        .Where(t => t is { IsClass: true, IsAbstract: false } && typeof(IOptionsSection).IsAssignableFrom(t))
        .Select(t => (string)t.GetProperty(nameof(IOptionsSection.SectionName), System.Reflection.BindingFlags.Public | System.Reflection.BindingFlags.Static)!.GetValue(null)!)
        .Order(StringComparer.Ordinal)
        .ToArray();

    public static IServiceCollection AddWorkerOptions(this IServiceCollection services, IConfiguration configuration)
    {
        Add<ModelOptions, ModelOptionsValidator>(services, configuration);
        Add<RunOptions, RunOptionsValidator>(services, configuration);
        Add<RolloutOptions, RolloutOptionsValidator>(services, configuration);
        Add<AlgorithmOptions, AlgorithmOptionsValidator>(services, configuration);
        Add<OptimizerOptions, OptimizerOptionsValidator>(services, configuration);
        Add<ReferenceResetOptions, ReferenceResetOptionsValidator>(services, configuration);
        Add<ValidationOptions, ValidationOptionsValidator>(services, configuration);
        Add<TasksOptions, TasksOptionsValidator>(services, configuration);
        Add<ServicesOptions, ServicesOptionsValidator>(services, configuration);
        Add<SandboxOptions, SandboxOptionsValidator>(services, configuration);
        Add<SftOptions, SftOptionsValidator>(services, configuration);
        Add<TrainingOptions, TrainingOptionsValidator>(services, configuration);
        Add<ShutdownOptions, ShutdownOptionsValidator>(services, configuration);
        Add<ReportingOptions, ReportingOptionsValidator>(services, configuration);
        Add<TelemetryOptions, TelemetryOptionsValidator>(services, configuration);
        return services;
    }

    private static void Add<TOptions, TValidator>(IServiceCollection services, IConfiguration configuration)
        where TOptions : class, IOptionsSection
        where TValidator : class, IValidateOptions<TOptions>
    {
        services.AddOptions<TOptions>().Bind(configuration.GetSection(TOptions.SectionName)).ValidateOnStart();
        services.AddSingleton<IValidateOptions<TOptions>, TValidator>();
        services.AddSingleton<IValidateOptions<TOptions>>(new UnknownOptionsValidator<TOptions>(configuration));
    }
}
