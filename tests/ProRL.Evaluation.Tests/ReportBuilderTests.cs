using ProRL.Evaluation.Reports;
using static ProRL.Evaluation.Tests.TestReports;

namespace ProRL.Evaluation.Tests;

public class ReportBuilderTests
{
    // Hand-computed with pass@k = 1 − C(n−c, k)/C(n, k), n = 4:
    //   c = 1: pass@1 = 1/4, pass@2 = 1 − C(3,2)/C(4,2) = 1 − 3/6 = 1/2, pass@4 = 1
    //   c = 0: 0, 0, 0
    //   c = 2: pass@1 = 1/2, pass@2 = 1 − C(2,2)/C(4,2) = 5/6, pass@4 = 1
    private static EvaluationReport ThreeProblems() =>
        Report([4, 1, 2, 2], ("p1", "logic", 4, 1), ("p2", "logic", 4, 0), ("p3", "math", 4, 2));

    [Fact]
    public void PerProblemPassAtKMatchesHandComputedValues()
    {
        var report = ThreeProblems();
        Assert.Equal([1, 2, 4], report.K);
        AssertClose([0.25, 0.5, 1.0], report.Problems[0].PassAtK);
        AssertClose([0.0, 0.0, 0.0], report.Problems[1].PassAtK);
        AssertClose([0.5, 5.0 / 6, 1.0], report.Problems[2].PassAtK);
    }

    [Fact]
    public void DomainAndOverallMeansWeighEachProblemEqually()
    {
        var report = ThreeProblems();
        AssertClose([0.125, 0.25, 0.5], report.Domains["logic"].PassAtK.Select(p => p.Mean).ToList());
        AssertClose([0.5, 5.0 / 6, 1.0], report.Domains["math"].PassAtK.Select(p => p.Mean).ToList());
        AssertClose([0.75 / 3, (0.5 + 5.0 / 6) / 3, 2.0 / 3], report.Overall.PassAtK.Select(p => p.Mean).ToList());
        Assert.Equal(2, report.Domains["logic"].Problems);
        Assert.Equal(3, report.Overall.Problems);
        Assert.Equal((0.25 + 0 + 0.5) / 3, report.Overall.MeanReward, 12);
    }

    [Fact]
    public void BootstrapIntervalBracketsTheMeanAndCollapsesForOneProblem()
    {
        var report = ThreeProblems();
        foreach (var point in report.Overall.PassAtK)
        {
            Assert.InRange(point.Mean, point.Lower, point.Upper);
            Assert.True(point.Upper > point.Lower, $"k = {point.K}: three different values must give a non-degenerate interval");
        }
        // One problem: every resample is that problem, so the interval is the point.
        var math = report.Domains["math"].At(2)!;
        Assert.Equal(math.Mean, math.Lower, 12);
        Assert.Equal(math.Mean, math.Upper, 12);
    }

    [Fact]
    public void PartialCreditBelowTheThresholdIsNotCorrect()
    {
        var outcome = new ProblemOutcome("p", "logic", "logic:x",
        [
            new SampleScore(1.0, "exact", false, 3), new SampleScore(0.5, "near", false, 3),
            new SampleScore(0.99, "near", true, 5), new SampleScore(0.0, "near", false, 1),
        ]);
        var report = ReportBuilder.Build([outcome], [1], new ReportModelInfo("m", ""), new ReportSettings(), DateTimeOffset.UnixEpoch);
        var problem = report.Problems.Single();
        Assert.Equal(1, problem.Correct);
        Assert.Equal(0.25, problem.PassAtK[0], 12);
        Assert.Equal((1.0 + 0.5 + 0.99) / 4, problem.MeanReward, 12);
        Assert.Equal(1, problem.Truncated);
        Assert.Equal(3.0, problem.MeanCompletionTokens, 12);
        Assert.Equal("near", problem.TopReason);

        var lenient = ReportBuilder.Build([outcome], [1], new ReportModelInfo("m", ""), new ReportSettings { CorrectThreshold = 0.5 }, DateTimeOffset.UnixEpoch);
        Assert.Equal(3, lenient.Problems.Single().Correct);
    }

    [Fact]
    public void SourcesAreAggregatedSeparatelyFromDomains()
    {
        var report = ReportBuilder.Build(
            [Outcome("a", "logic", 2, 2, "logic:maze"), Outcome("b", "logic", 2, 0, "logic:sat")],
            [1], new ReportModelInfo("m", ""), new ReportSettings(), DateTimeOffset.UnixEpoch);
        Assert.Equal(["logic:maze", "logic:sat"], report.Sources.Keys.Order());
        Assert.Equal(1.0, report.Sources["logic:maze"].At(1)!.Mean);
        Assert.Equal(0.0, report.Sources["logic:sat"].At(1)!.Mean);
        Assert.Equal(0.5, report.Domains["logic"].At(1)!.Mean);
    }

    [Theory]
    [InlineData(1, new[] { 1 })]
    [InlineData(6, new[] { 1, 2, 4, 6 })]
    [InlineData(16, new[] { 1, 2, 4, 8, 16 })]
    public void DefaultKIsPowersOfTwoThenN(int samples, int[] expected) => Assert.Equal(expected, ReportBuilder.DefaultK(samples));

    [Fact]
    public void KLargerThanSamplesIsAClearError()
    {
        var e = Assert.Throws<ArgumentException>(() => ReportBuilder.NormalizeK([1, 32], 16));
        Assert.Contains("k = 32", e.Message);
        Assert.Contains("16", e.Message);
        Assert.Throws<ArgumentException>(() => ReportBuilder.NormalizeK([0], 16));
        Assert.Throws<ArgumentException>(() => ReportBuilder.NormalizeK([], 16));
        // A problem with fewer samples than k is caught when the report is built.
        Assert.Throws<ArgumentException>(() => Report([4], ("a", "logic", 4, 1), ("b", "logic", 2, 1)));
    }

    [Fact]
    public void EmptyOutcomesAreRejected() =>
        Assert.Throws<ArgumentException>(() => ReportBuilder.Build([], [1], new ReportModelInfo("m", ""), new ReportSettings(), DateTimeOffset.UnixEpoch));

    private static void AssertClose(IReadOnlyList<double> expected, IReadOnlyList<double> actual)
    {
        Assert.Equal(expected.Count, actual.Count);
        for (int i = 0; i < expected.Count; i++) Assert.Equal(expected[i], actual[i], 12);
    }
}
