using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace ProRL.Worker.Options;

/// <summary>Binds every options section and validates it when the host starts.</summary>
public static class WorkerOptionsRegistration
{
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
