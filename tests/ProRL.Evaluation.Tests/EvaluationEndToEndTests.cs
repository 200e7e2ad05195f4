using System.Collections.Concurrent;
using ProRL.Evaluation.Reports;
using ProRL.Evaluation.Running;
using ProRL.Evaluation.TaskSelection;
using ProRL.Rollout.Engine;
using ProRL.Tasks.Model;
using ProRL.Tasks.Verification;

namespace ProRL.Evaluation.Tests;

public class EvaluationEndToEndTests(TinyModelFixture tiny) : IClassFixture<TinyModelFixture>
{
    private EvaluationJobOptions Job(string reportPath, string tasks = "logic:digit_sum,math:arithmetic", int samples = 4,
        IReadOnlyList<int>? k = null, string? model = null) => new()
    {
        ModelPath = model ?? tiny.Folder.Directory,
        Tasks = tasks,
        ReportPath = reportPath,
        Selection = new TaskSelectionOptions { ProblemsPerSource = 2, Seed = 3 },
        Settings = new EvaluationSettings { SamplesPerProblem = samples, K = k ?? [1, 2, 4], MaxNewTokens = 8, Seed = 9, BootstrapResamples = 200 },
    };

    [Fact]
    public async Task EvalWritesAValidReportAndPlot()
    {
        var reportPath = tiny.Scratch("run1/report.json");
        var progress = new List<EvaluationProgress>();
        var result = await EvaluationJob.RunAsync(Job(reportPath), progress.Add);

        var report = ReportJson.Load(reportPath);
        Assert.Equal(4, report.Problems.Count);
        Assert.Equal([1, 2, 4], report.K);
        Assert.Equal(["logic", "math"], report.Domains.Keys.Order());
        Assert.Equal(["logic:digit_sum", "math:arithmetic"], report.Sources.Keys.Order());
        Assert.All(report.Problems, p => Assert.Equal(4, p.Samples));
        Assert.All(report.Problems, p => Assert.InRange(p.MeanCompletionTokens, 1, 8));
        // pass@k is non-decreasing in k for every problem and group.
        Assert.All(report.Problems, p => Assert.True(p.PassAtK.Zip(p.PassAtK.Skip(1)).All(t => t.First <= t.Second)));
        Assert.Equal(tiny.Folder.ContentHash(), report.Model.ContentHash);
        Assert.Equal("logic:digit_sum,math:arithmetic", report.Settings.Tasks);

        Assert.Equal(Path.ChangeExtension(Path.GetFullPath(reportPath), ".png"), result.PlotPath);
        PngAssert.IsPlot(File.ReadAllBytes(result.PlotPath), 900, 600);
        Assert.Equal((0, 4, 0L), (progress[0].ProblemsDone, progress[0].ProblemsTotal, progress[0].SamplesDone));
        Assert.Equal((4, 4, 16L), (progress[^1].ProblemsDone, progress[^1].ProblemsTotal, progress[^1].SamplesDone));
    }

    [Fact]
    public async Task SameSeedGivesTheSameReport()
    {
        var a = await EvaluationJob.RunAsync(Job(tiny.Scratch("seed/a.json")));
        var b = await EvaluationJob.RunAsync(Job(tiny.Scratch("seed/b.json")));
        Assert.Equal(a.Report.Problems.Select(p => (p.Id, p.MeanCompletionTokens, p.MeanReward)),
            b.Report.Problems.Select(p => (p.Id, p.MeanCompletionTokens, p.MeanReward)));
    }

    [Fact]
    public async Task RunnerScoresEverySampleWithTheDomainVerifier()
    {
        // A verifier that calls a response correct when its length is even, and remembers what it saw: the report's
        // correct counts must equal the counts recomputed from those responses.
        var verifier = new ParityVerifier();
        using var engine = new RolloutEngine(new RolloutEngineOptions { ModelPath = tiny.Folder.Directory });
        var problems = await TaskSetBuilder.BuildAsync(TaskSpec.Parse("logic:digit_sum,logic:sequence_continuation"),
            new TaskSelectionOptions { ProblemsPerSource = 3, Seed = 1 });
        var settings = new EvaluationSettings { SamplesPerProblem = 6, K = [1, 3, 6], MaxNewTokens = 6, Seed = 4, RowsPerCall = 12, HashModel = false };
        var report = await new EvaluationRunner(engine, new RewardScorer([verifier])).RunAsync(problems, settings);

        Assert.Equal(6 * 6, verifier.Seen.Count);
        foreach (var problem in report.Problems)
        {
            var texts = verifier.Seen.Where(s => s.Id == problem.Id).Select(s => s.Text).ToList();
            Assert.Equal(6, texts.Count);
            Assert.Equal(texts.Count(t => t.Length % 2 == 0), problem.Correct);
        }
        Assert.Equal("", report.Model.ContentHash);
    }

    [Fact]
    public async Task KLargerThanSamplesFailsBeforeTheModelLoads()
    {
        var e = await Assert.ThrowsAsync<ArgumentException>(() =>
            EvaluationJob.RunAsync(Job(tiny.Scratch("bad/k.json"), samples: 4, k: [1, 8], model: "/no/such/model")));
        Assert.Contains("k = 8", e.Message);
    }

    [Fact]
    public async Task UnknownFamilyFailsBeforeTheModelLoads()
    {
        var e = await Assert.ThrowsAsync<ArgumentException>(() =>
            EvaluationJob.RunAsync(Job(tiny.Scratch("bad/f.json"), tasks: "logic:nope", model: "/no/such/model")));
        Assert.Contains("'nope'", e.Message);
    }

    [Fact]
    public async Task BadModelFolderIsNamed()
    {
        var folder = tiny.Scratch("not-a-model");
        Directory.CreateDirectory(folder);
        var e = await Assert.ThrowsAnyAsync<IOException>(() => EvaluationJob.RunAsync(Job(tiny.Scratch("bad/m.json"), model: folder)));
        Assert.Contains("not-a-model", e.Message);
        Assert.False(File.Exists(tiny.Scratch("bad/m.json")));
    }

    private sealed class ParityVerifier : PureVerifier
    {
        public ConcurrentBag<(string Id, string Text)> Seen { get; } = [];

        public override string Domain => TaskDomains.Logic;

        public override VerificationResult Verify(TaskItem task, string response)
        {
            Seen.Add((task.Id, response));
            return response.Length % 2 == 0 ? VerificationResult.Correct() : VerificationResult.Wrong("odd");
        }
    }
}
