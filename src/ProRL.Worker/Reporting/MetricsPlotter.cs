using System.Text.Json.Nodes;
using ProRL.Onnx.IO;
using ProRL.Worker.RunDirectory;
using ScottPlot;

namespace ProRL.Worker.Reporting;

/// <summary>
/// Draws the training curves (reward, KL, entropy, response length over steps) as one PNG, with every reference reset
/// marked by a vertical line on each panel.
/// </summary>
public static class MetricsPlotter
{
    public const string DefaultFileName = "training.png";

    public static readonly IReadOnlyList<(string Key, string Title)> Panels =
    [
        (MetricNames.RewardMean, "mean reward"),
        (MetricNames.Kl, "KL to reference"),
        (MetricNames.Entropy, "entropy"),
        (MetricNames.ResponseLengthMean, "response length (tokens)"),
    ];

    public static byte[] RenderPng(IReadOnlyList<JsonObject> metrics, IReadOnlyList<JsonObject> events, int width, int height)
    {
        var resets = MetricSeries.ResetSteps(events);
        var multiplot = new Multiplot();
        multiplot.AddPlots(Panels.Count);
        multiplot.Layout = new ScottPlot.MultiplotLayouts.Grid(2, 2);
        for (int i = 0; i < Panels.Count; i++)
            DrawPanel(multiplot.GetPlot(i), MetricSeries.Extract(metrics, Panels[i].Key), Panels[i].Title, resets);
        return multiplot.Render(width, height).GetImageBytes(ImageFormat.Png, 100);
    }

    /// <summary>Reads the run's logs and writes <c>plots/training.png</c> atomically; returns its path.</summary>
    public static string Render(RunStore run, int width, int height)
    {
        var png = RenderPng(run.Metrics.File.ReadAll().Records, run.Events.File.ReadAll().Records, width, height);
        var path = Path.Combine(run.PlotsFolder, DefaultFileName);
        AtomicFile.WriteAllBytes(path, png);
        return path;
    }

    private static void DrawPanel(Plot plot, MetricSeries series, string title, IReadOnlyList<double> resets)
    {
        plot.Title(title);
        plot.XLabel("step");
        if (series.Steps.Length > 0)
        {
            var line = plot.Add.ScatterLine(series.Steps, series.Values);
            line.LineWidth = 2;
            line.MarkerSize = series.Steps.Length < 50 ? 4 : 0;
        }
        foreach (var step in resets)
        {
            var marker = plot.Add.VerticalLine(step);
            marker.LinePattern = LinePattern.Dashed;
            marker.Color = Colors.Red;
        }
    }
}
