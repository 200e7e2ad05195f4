using System.ComponentModel.DataAnnotations;

namespace ProRL.Worker.Options;

/// <summary><c>Reporting</c>: console progress and PNG plots of the training curves.</summary>
public sealed class ReportingOptions : IOptionsSection
{
    public static string SectionName => "Reporting";

    /// <summary>Print one line per committed step.</summary>
    public bool Console { get; set; } = true;

    /// <summary>Redraw <c>plots/training.png</c> every N steps; 0 = no plots.</summary>
    [Range(0, 1_000_000)]
    public int PlotEverySteps { get; set; } = 10;

    [Range(200, 10_000)]
    public int PlotWidth { get; set; } = 1200;

    [Range(200, 10_000)]
    public int PlotHeight { get; set; } = 900;
}

public sealed class ReportingOptionsValidator : SectionValidator<ReportingOptions>;
