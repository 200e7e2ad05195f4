using ProRL.Evaluation.Plotting;
using static ProRL.Evaluation.Tests.TestReports;

namespace ProRL.Evaluation.Tests;

public class PassAtKPlotTests
{
    [Fact]
    public void ReportPlotIsAPngOfTheRequestedSize()
    {
        var report = Report([1, 2, 4, 8], ("a", "logic", 8, 1), ("b", "logic", 8, 5), ("c", "math", 8, 0), ("d", "math", 8, 2));
        PngAssert.IsPlot(PassAtKPlot.RenderPng(report, "pass@k test", 800, 500), 800, 500);
    }

    [Fact]
    public void ComparisonPlotIsAPngAndDiffersFromEitherSingleCurve()
    {
        var a = Report([1, 2, 4], ("a", "logic", 4, 1), ("b", "math", 4, 0));
        var b = Report([1, 2, 4], ("a", "logic", 4, 3), ("b", "math", 4, 2));
        var png = PassAtKPlot.RenderComparisonPng(a, "base", b, "trained");
        PngAssert.IsPlot(png, PassAtKPlot.DefaultWidth, PassAtKPlot.DefaultHeight);
        Assert.NotEqual(png, PassAtKPlot.RenderComparisonPng(a, "base", a, "trained"));
    }

    [Fact]
    public void SingleKStillRenders() =>
        PngAssert.IsPlot(PassAtKPlot.RenderPng(Report([1], ("a", "logic", 1, 1)), "one point", 400, 300), 400, 300);
}
