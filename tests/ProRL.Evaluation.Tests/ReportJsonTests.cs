using ProRL.Evaluation.Reports;
using static ProRL.Evaluation.Tests.TestReports;

namespace ProRL.Evaluation.Tests;

public class ReportJsonTests
{
    [Fact]
    public void RoundTripKeepsEveryNumber()
    {
        var report = Report([1, 2, 4], ("p1", "logic", 4, 1), ("p2", "math", 4, 3));
        var back = ReportJson.Deserialize(ReportJson.Serialize(report), "memory");
        Assert.Equal(report.K, back.K);
        Assert.Equal(report.Problems.Select(p => (p.Id, p.Correct, p.Samples)), back.Problems.Select(p => (p.Id, p.Correct, p.Samples)));
        Assert.Equal(report.Problems.SelectMany(p => p.PassAtK), back.Problems.SelectMany(p => p.PassAtK));
        Assert.Equal(report.Overall.PassAtK, back.Overall.PassAtK);
        Assert.Equal(report.Domains["math"].PassAtK, back.Domains["math"].PassAtK);
        Assert.Equal(report.CreatedUtc, back.CreatedUtc);
    }

    [Fact]
    public void JsonUsesSnakeCaseNames()
    {
        var json = ReportJson.Serialize(Report([1], ("p1", "logic", 2, 1)));
        Assert.Contains("\"pass_at_k\"", json);
        Assert.Contains("\"mean_reward\"", json);
        Assert.Contains("\"format\": \"prorl-eval/1\"", json);
        Assert.DoesNotContain("solved_at_some_k", json);
    }

    [Fact]
    public void SaveThenLoadFromDisk()
    {
        using var dir = new TempDirectory();
        var path = dir.Sub("nested/report.json");
        ReportJson.Save(Report([1], ("p1", "logic", 2, 1)), path);
        Assert.Equal("p1", ReportJson.Load(path).Problems.Single().Id);
    }

    [Fact]
    public void BadFilesGiveErrorsNamingTheFile()
    {
        using var dir = new TempDirectory();
        var missing = dir.Sub("missing.json");
        Assert.Contains("missing.json", Assert.Throws<FileNotFoundException>(() => ReportJson.Load(missing)).Message);

        var garbage = dir.Sub("garbage.json");
        File.WriteAllText(garbage, "{ not json");
        Assert.Contains("garbage.json", Assert.Throws<InvalidDataException>(() => ReportJson.Load(garbage)).Message);

        var misaligned = ReportJson.Serialize(Report([1, 2], ("p1", "logic", 2, 1))).Replace("\"k\": [\n    1,\n    2\n  ]", "\"k\": [\n    1\n  ]");
        Assert.Contains("pass@k values", Assert.Throws<InvalidDataException>(() => ReportJson.Deserialize(misaligned, "m.json")).Message);

        var otherFormat = ReportJson.Serialize(Report([1], ("p1", "logic", 2, 1))).Replace("prorl-eval/1", "prorl-eval/9");
        Assert.Contains("prorl-eval/9", Assert.Throws<InvalidDataException>(() => ReportJson.Deserialize(otherFormat, "f.json")).Message);
    }
}
