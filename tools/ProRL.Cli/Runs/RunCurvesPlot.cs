using System.Text.Json.Nodes;
using ProRL.Worker.Reporting;
using ScottPlot;

namespace ProRL.Cli.Runs;

/// <summary>One run's records for <see cref="RunCurvesPlot"/>: a label for the legend and its metrics.jsonl rows.</summary>
public sealed record LabelledRun(string Label, IReadOnlyList<JsonObject> Metrics);

/// <summary>
/// Several runs' curves on shared axes, one panel per metric (e.g. an experiment and its ablations: entropy and reward
/// over steps), so that runs that differ in one setting can be read against each other.
/// </summary>
public static class RunCurvesPlot
{
    public static byte[] RenderPng(IReadOnlyList<LabelledRun> runs, IReadOnlyList<string> metrics, int width, int height)
    {
        ArgumentNullException.ThrowIfNull(runs);
        ArgumentNullException.ThrowIfNull(metrics);
        if (runs.Count == 0) throw new ArgumentException("At least one run is needed for a plot.", nameof(runs));
        if (metrics.Count == 0) throw new ArgumentException("At least one metric is needed for a plot.", nameof(metrics));
        var multiplot = new Multiplot();
        multiplot.AddPlots(metrics.Count);
        multiplot.Layout = new ScottPlot.MultiplotLayouts.Rows();
        for (int i = 0; i < metrics.Count; i++)
        {
            var plot = multiplot.GetPlot(i);
            plot.Title(metrics[i]);
            plot.XLabel("step");
            foreach (var run in runs)
            {
                var series = MetricSeries.Extract(run.Metrics, metrics[i]);
                if (series.Steps.Length == 0) continue;
                var line = plot.Add.ScatterLine(series.Steps, series.Values);
                line.LineWidth = 2;
                line.MarkerSize = 0;
                line.LegendText = run.Label;
            }
            plot.ShowLegend(Alignment.UpperRight);
        }
        return multiplot.Render(width, height).GetImageBytes(ImageFormat.Png, 100);
    }
}
