using ProRL.Evaluation.Comparison;
using static ProRL.Evaluation.Tests.TestReports;

namespace ProRL.Evaluation.Tests;

public class ReportComparisonTests
{
    // Base model A and trained model B on the same four problems plus one each of their own.
    private static readonly (string, string, int, int)[] BaseProblems =
        [("shared-both", "logic", 4, 2), ("shared-a-only", "logic", 4, 1), ("shared-b-only", "math", 4, 0), ("shared-none", "math", 4, 0), ("a-extra", "logic", 4, 4)];
    private static readonly (string, string, int, int)[] TrainedProblems =
        [("shared-both", "logic", 8, 8), ("shared-a-only", "logic", 8, 0), ("shared-b-only", "math", 8, 3), ("shared-none", "math", 8, 0), ("b-extra", "stem", 8, 1)];

    private static ReportComparison Compare() => ReportComparison.Compare(Report([1, 2, 4], BaseProblems), Report([1, 2, 4, 8], TrainedProblems));

    [Fact]
    public void BoundaryListsNameProblemsOnlyOneModelEverSolves()
    {
        var comparison = Compare();
        var onlyA = Assert.Single(comparison.SolvedOnlyByA);
        Assert.Equal("shared-a-only", onlyA.Id);
        Assert.Equal((1, 4, 8), (onlyA.SolverCorrect, onlyA.SolverSamples, onlyA.OtherSamples));
        var onlyB = Assert.Single(comparison.SolvedOnlyByB);
        Assert.Equal("shared-b-only", onlyB.Id);
        Assert.Equal("math", onlyB.Domain);
        Assert.Equal(4, comparison.SharedProblems);
        Assert.Equal(1, comparison.OnlyInA);
        Assert.Equal(1, comparison.OnlyInB);
    }

    [Fact]
    public void RowsCoverSharedKForOverallAndEveryDomainWithDeltaBMinusA()
    {
        var comparison = Compare();
        Assert.Equal([1, 2, 4], comparison.K);
        Assert.Equal(["all", "logic", "math", "stem"], comparison.Rows.Select(r => r.Group).Distinct());
        // math at k = 4: A = 0 (both unsolved); B: shared-b-only 1 − C(5,4)/C(8,4) = 1 − 5/70, shared-none 0.
        var math4 = comparison.Rows.Single(r => r.Group == "math" && r.K == 4);
        Assert.Equal(0.0, math4.A!.Value, 12);
        Assert.Equal((1 - 5.0 / 70) / 2, math4.B!.Value, 12);
        Assert.Equal(math4.B.Value - math4.A.Value, math4.Delta!.Value, 12);
        // stem exists only in B: A and the delta are missing, not zero.
        var stem1 = comparison.Rows.Single(r => r.Group == "stem" && r.K == 1);
        Assert.Null(stem1.A);
        Assert.Equal(1.0 / 8, stem1.B!.Value, 12);
        Assert.Null(stem1.Delta);
    }

    [Fact]
    public void DifferingSettingsAreReported()
    {
        var warnings = Compare().Warnings;
        Assert.Contains(warnings, w => w.Contains("samples per problem"));
        Assert.DoesNotContain(warnings, w => w.Contains("temperature"));
    }

    [Fact]
    public void ReportsWithoutACommonKCannotBeCompared() =>
        Assert.Throws<ArgumentException>(() => ReportComparison.Compare(Report([1], ("p", "logic", 4, 1)), Report([2], ("p", "logic", 4, 1))));
}
