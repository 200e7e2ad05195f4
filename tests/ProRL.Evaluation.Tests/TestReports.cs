using ProRL.Evaluation.Reports;

namespace ProRL.Evaluation.Tests;

/// <summary>Crafted outcomes and reports: problem (id, domain, n, c) with c rewards of 1 and n − c of 0.</summary>
internal static class TestReports
{
    public static ProblemOutcome Outcome(string id, string domain, int samples, int correct, string? source = null) =>
        new(id, domain, source ?? $"{domain}:test",
            Enumerable.Range(0, samples).Select(i => i < correct
                ? new SampleScore(1.0, "correct", false, 10)
                : new SampleScore(0.0, "wrong", true, 20)).ToList());

    public static EvaluationReport Report(IReadOnlyList<int> k, params (string Id, string Domain, int N, int C)[] problems) =>
        ReportBuilder.Build(problems.Select(p => Outcome(p.Id, p.Domain, p.N, p.C)).ToList(), k,
            new ReportModelInfo("/models/test", ""), new ReportSettings { Samples = problems.Max(p => p.N), Tasks = "test" },
            new DateTimeOffset(2026, 11, 24, 0, 0, 0, TimeSpan.Zero));
}

/// <summary>A fresh folder under the system temp directory, deleted on dispose.</summary>
internal sealed class TempDirectory : IDisposable
{
    public TempDirectory()
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "prorl-evaluation-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Path);
    }

    public string Path { get; }
    public string Sub(string name) => System.IO.Path.Combine(Path, name);

    public void Dispose()
    {
        try { Directory.Delete(Path, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
