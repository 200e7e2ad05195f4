using System.Globalization;
using ProRL.Evaluation.Comparison;
using ProRL.Evaluation.Reports;
using ScottPlot;

namespace ProRL.Evaluation.Plotting;

/// <summary>
/// PNG plots of pass@k against k on a log2 axis (the ProRL paper's figures): one curve per domain plus all problems,
/// each with its bootstrap interval as a shaded band; for a comparison, A solid and B dashed in the same colour.
/// </summary>
public static class PassAtKPlot
{
    public const int DefaultWidth = 900;
    public const int DefaultHeight = 600;

    /// <summary>One report's curves.</summary>
    public static byte[] RenderPng(EvaluationReport report, string title, int width = DefaultWidth, int height = DefaultHeight)
    {
        ArgumentNullException.ThrowIfNull(report);
        var plot = NewPlot(title, report.K);
        var palette = new ScottPlot.Palettes.Category10();
        int index = 0;
        foreach (var (name, summary) in Curves(report))
            AddCurve(plot, summary, $"{name} ({summary.Problems})", palette.GetColor(index++), Solid);
        return Finish(plot, width, height);
    }

    /// <summary>Both reports' curves on one plot, for the groups and k values they share.</summary>
    public static byte[] RenderComparisonPng(EvaluationReport a, string labelA, EvaluationReport b, string labelB,
        int width = DefaultWidth, int height = DefaultHeight)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        var ks = a.K.Intersect(b.K).Order().ToList();
        var plot = NewPlot($"pass@k: {labelA} (solid) vs {labelB} (dashed)", ks);
        var palette = new ScottPlot.Palettes.Category10();
        var curvesB = Curves(b).ToDictionary(c => c.Name, c => c.Summary);
        int index = 0;
        foreach (var (name, summaryA) in Curves(a))
        {
            var color = palette.GetColor(index++);
            AddCurve(plot, Restrict(summaryA, ks), $"{name}: {labelA}", color, Solid);
            if (curvesB.TryGetValue(name, out var summaryB))
                AddCurve(plot, Restrict(summaryB, ks), $"{name}: {labelB}", color, Dashed);
        }
        return Finish(plot, width, height);
    }

    /// <summary>All problems first, then each domain; a single-domain report needs no separate "all" curve.</summary>
    private static IEnumerable<(string Name, PassAtKSummary Summary)> Curves(EvaluationReport report)
    {
        if (report.Domains.Count != 1) yield return (ReportComparison.OverallGroup, report.Overall);
        foreach (var (domain, summary) in report.Domains.OrderBy(d => d.Key, StringComparer.Ordinal)) yield return (domain, summary);
    }

    private static PassAtKSummary Restrict(PassAtKSummary summary, IReadOnlyList<int> ks) =>
        summary with { PassAtK = summary.PassAtK.Where(p => ks.Contains(p.K)).ToList() };

    private static Plot NewPlot(string title, IReadOnlyList<int> ks)
    {
        var plot = new Plot();
        plot.Title(title);
        plot.XLabel("k (samples drawn, log₂ scale)");
        plot.YLabel("pass@k");
        // The x axis carries log2(k); the ticks are labelled with k itself.
        plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericManual(
            ks.Select(k => Math.Log2(k)).ToArray(), ks.Select(k => k.ToString(CultureInfo.InvariantCulture)).ToArray());
        return plot;
    }

    /// <summary>How a curve is drawn: B of a comparison is dashed with open squares, so it stays visible where it lies on A.</summary>
    private readonly record struct CurveStyle(LinePattern Line, MarkerShape Marker, float MarkerSize);

    private static readonly CurveStyle Solid = new(LinePattern.Solid, MarkerShape.FilledCircle, 6);
    private static readonly CurveStyle Dashed = new(LinePattern.Dashed, MarkerShape.OpenSquare, 10);

    private static void AddCurve(Plot plot, PassAtKSummary summary, string label, Color color, CurveStyle style)
    {
        var xs = summary.PassAtK.Select(p => Math.Log2(p.K)).ToArray();
        if (xs.Length > 1)
        {
            var band = plot.Add.FillY(xs, summary.PassAtK.Select(p => p.Lower).ToArray(), summary.PassAtK.Select(p => p.Upper).ToArray());
            band.FillStyle.Color = color.WithAlpha(0.15);
            band.LineStyle.Width = 0;
        }
        var line = plot.Add.Scatter(xs, summary.PassAtK.Select(p => p.Mean).ToArray(), color);
        line.LegendText = label;
        line.LineWidth = 2;
        line.MarkerShape = style.Marker;
        line.MarkerSize = style.MarkerSize;
        line.LinePattern = style.Line;
    }

    private static byte[] Finish(Plot plot, int width, int height)
    {
        plot.Axes.SetLimitsY(-0.02, 1.02);
        plot.ShowLegend(Edge.Right); // outside the data area, so no curve is hidden
        return plot.GetImageBytes(width, height, ImageFormat.Png);
    }
}
