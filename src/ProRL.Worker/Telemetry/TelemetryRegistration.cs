using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry.Metrics;
using ProRL.Worker.Options;
using ProRL.Worker.Reporting.TensorBoard;

namespace ProRL.Worker.Telemetry;

/// <summary>Registers TensorBoard, the OpenTelemetry meter provider with its Prometheus listener, health and watchdog.</summary>
public static class TelemetryRegistration
{
    public static IServiceCollection AddWorkerTelemetry(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddSingleton<TrainerProgress>();
        services.AddHostedService<HostLivenessService>();
        services.AddHostedService<TensorBoardService>();
        services.AddHostedService<TelemetryService>();
        services.AddHostedService<SystemdWatchdogService>();
        // The listener is decided at composition time; the section is validated (ports in range) before the host starts.
        var options = configuration.GetSection(TelemetryOptions.SectionName).Get<TelemetryOptions>() ?? new TelemetryOptions();
        if (options.PrometheusPort is > 0 and <= 65535)
        {
            services.AddOpenTelemetry().WithMetrics(metrics => metrics
                .AddMeter(WorkerInstruments.MeterName)
                .AddPrometheusHttpListener(o =>
                {
                    o.Host = options.PrometheusHost;
                    o.Port = options.PrometheusPort;
                    o.ScrapeEndpointPath = "/metrics";
                }));
        }
        return services;
    }
}
