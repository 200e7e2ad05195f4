using System.ComponentModel.DataAnnotations;

namespace ProRL.Worker.Options;

/// <summary><c>Telemetry</c>: TensorBoard event files, the Prometheus scrape endpoint, health and the systemd watchdog.</summary>
public sealed class TelemetryOptions : IOptionsSection
{
    public static string SectionName => "Telemetry";

    /// <summary>Write TensorBoard event files under <c>RUN/tensorboard/</c> (only a host that runs the trainer writes them).</summary>
    public bool TensorBoard { get; set; } = true;

    /// <summary>Port of the Prometheus scrape endpoint (<c>/metrics</c>) and of <c>/healthz</c>; 0 = off.</summary>
    [Range(0, 65535)]
    public int PrometheusPort { get; set; }

    /// <summary>Host name the endpoint listens on: <c>localhost</c>, an address, or <c>+</c> for every interface.</summary>
    [RegularExpression(@"^(\+|\*|[A-Za-z0-9.\-:\[\]]{1,253})$", ErrorMessage = "{0} must be a host name, an address, '+' or '*'.")]
    public string PrometheusHost { get; set; } = "localhost";

    /// <summary>
    /// <c>/healthz</c> answers 503, and the systemd watchdog is no longer fed, when no trainer step was committed for
    /// this long (counted from the start until the first step, which includes loading the model and any warm-up).
    /// </summary>
    [Range(10, 7 * 24 * 3600)]
    public int StallSeconds { get; set; } = 1800;

    /// <summary>Send WATCHDOG=1 to systemd while healthy (only when systemd asked for it with WatchdogSec).</summary>
    public bool SystemdWatchdog { get; set; } = true;
}

public sealed class TelemetryOptionsValidator : SectionValidator<TelemetryOptions>;
