using System.ComponentModel.DataAnnotations;

namespace ProRL.Worker.Options;

/// <summary><c>Shutdown</c>: how long SIGTERM / service stop waits for the in-flight step before abandoning it.</summary>
public sealed class ShutdownOptions : IOptionsSection
{
    public static string SectionName => "Shutdown";

    [Range(1, 3600)]
    public int GracePeriodSeconds { get; set; } = 30;
}

public sealed class ShutdownOptionsValidator : SectionValidator<ShutdownOptions>;
