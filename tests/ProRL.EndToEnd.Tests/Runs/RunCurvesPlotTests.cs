using System.Buffers.Binary;
using System.Text.Json.Nodes;
using ProRL.Cli.Runs;

namespace ProRL.EndToEnd.Tests.Runs;

/// <summary>`prorl runs plot`'s renderer: several runs' metrics on shared axes, one panel per metric.</summary>
public sealed class RunCurvesPlotTests
{
    private static LabelledRun Run(string label, double slope) => new(label,
        Enumerable.Range(1, 30).Select(step => new JsonObject
        {
            ["step"] = step, ["phase"] = "rl", ["entropy"] = 1.0 - slope * step, ["reward/mean"] = slope * step,
        }).ToList());

    [Fact]
    public void Renders_a_png_of_the_requested_size_whose_pixels_depend_on_the_curves()
    {
        var png = RunCurvesPlot.RenderPng([Run("main", 0.02), Run("ablation", 0.01)], ["entropy", "reward/mean"], 800, 600);
        Assert.Equal([0x89, 0x50, 0x4E, 0x47], png[..4]);
        Assert.Equal(800, BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(16, 4)));
        Assert.Equal(600, BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(20, 4)));
        // Another curve gives another image; a metric no run has gives an image without curves, again another one.
        var other = RunCurvesPlot.RenderPng([Run("main", 0.02), Run("ablation", 0.03)], ["entropy", "reward/mean"], 800, 600);
        var empty = RunCurvesPlot.RenderPng([Run("main", 0.02), Run("ablation", 0.01)], ["no_such_metric", "also_missing"], 800, 600);
        Assert.NotEqual(png, other);
        Assert.NotEqual(png, empty);
    }

    [Fact]
    public void No_run_or_no_metric_is_a_clear_error()
    {
        Assert.Contains("At least one run", Assert.Throws<ArgumentException>(() => RunCurvesPlot.RenderPng([], ["entropy"], 800, 600)).Message);
        Assert.Contains("At least one metric", Assert.Throws<ArgumentException>(() => RunCurvesPlot.RenderPng([Run("a", 0.1)], [], 800, 600)).Message);
    }
}
