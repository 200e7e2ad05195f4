using System.Text.Json.Nodes;
using ProRL.Evaluation.Reports;
using ProRL.Evaluation.Running;
using ProRL.Evaluation.TaskSelection;
using ProRL.Rollout.Engine;
using ProRL.Tasks.Logic;
using ProRL.Tasks.Mathematics;
using ProRL.Tasks.Verification;
using Xunit.Abstractions;

namespace ProRL.EndToEnd.Tests;

/// <summary>
/// The product's promise on the embedded default: a freshly generated tiny model, trained by the worker's hosted
/// services with the shipped configuration, learns something a constant answer does not, without its entropy collapsing.
/// </summary>
public class LearningTests(ITestOutputHelper output)
{
    /// <summary>pass@1 the trained policy must reach above the best single constant answer on the held-out problems.</summary>
    private const double MarginOverConstant = 0.15;

    /// <summary>
    /// The shipped run (every setting of appsettings.json; only paths and the thread count differ), then a control on
    /// held-out problems: the mixture's families at its difficulty, generated from negative seeds, which a training
    /// mixture never draws (it hands generators seeds in [0, 2^31)). The trained policy's pass@1 at the validation
    /// temperature must beat the best constant answer (chosen with hindsight on those very problems) by
    /// <see cref="MarginOverConstant"/>, and must also beat the stronger control that knows each problem's family (the best
    /// constant answer per family). The entropy must stay above Algorithm:EntropyFloor (no entropy_collapse event),
    /// and at least one reference reset must happen.
    /// </summary>
    [Fact]
    public async Task Shipped_run_beats_the_best_constant_answer_on_held_out_problems_without_entropy_collapse()
    {
        var root = Directory.CreateTempSubdirectory("prorl-e2e-learn-").FullName;
        var settings = new Dictionary<string, string>
        {
            ["Model:Path"] = Path.Combine(root, "model"),
            ["Run:Directory"] = Path.Combine(root, "run"),
            ["Reporting:PlotEverySteps"] = "100",
        };
        using var worker = WorkerProcess.Start(settings, root);
        int exit = await worker.WaitForExitAsync(TimeSpan.FromMinutes(10));
        output.WriteLine(worker.Output);
        Assert.Equal(0, exit);

        var shipped = JsonNode.Parse(File.ReadAllText(Path.Combine(Path.GetDirectoryName(WorkerProcess.WorkerDll)!, "appsettings.json")))!;
        long maxSteps = (long)shipped["Run"]!["MaxSteps"]!;
        double entropyFloor = (double?)shipped["Algorithm"]!["EntropyFloor"] ?? 0.05;
        var records = File.ReadLines(Path.Combine(root, "run", "metrics.jsonl"))
            .Select(l => JsonNode.Parse(l)!.AsObject())
            .Where(r => (string?)r["phase"] == "rl")
            .OrderBy(r => (long)r["step"]!)
            .ToList();
        Assert.Equal(maxSteps, (long)records[^1]["step"]!);
        var entropy = records.Select(r => (double)r["entropy"]!).ToList();
        output.WriteLine($"entropy: first RL step {entropy[0]:F3}, minimum {entropy.Min():F3}, last 10 steps {entropy.TakeLast(10).Average():F3} (floor {entropyFloor})");
        var events = File.ReadLines(Path.Combine(root, "run", "events.jsonl")).Select(l => JsonNode.Parse(l)!.AsObject()).ToList();
        Assert.DoesNotContain(events, e => (string?)e["type"] == "entropy_collapse");
        Assert.True(entropy.TakeLast(10).Average() > entropyFloor, $"the entropy of the last 10 steps averages {entropy.TakeLast(10).Average():F3}, under the floor {entropyFloor}");
        Assert.Contains(events, e => (string?)e["type"] == "reference_reset");

        var policy = Path.Combine(root, "run", "policy", File.ReadAllText(Path.Combine(root, "run", "policy", "LATEST")).Trim());
        var (trained, baseline, perFamily) = await HeldOutControlAsync(policy, shipped);
        output.WriteLine($"held-out problems: {trained.Overall.Problems}; trained policy pass@1 {trained.Overall.PassAtK[0].Mean:F3} " +
                         $"[{trained.Overall.PassAtK[0].Lower:F3}, {trained.Overall.PassAtK[0].Upper:F3}], mean reward {trained.Overall.MeanReward:F3}; " +
                         $"best constant answer '{baseline.Answer}': pass rate {baseline.PassRate:F3}, mean reward {baseline.MeanReward:F3}; " +
                         $"best constant answer per family: pass rate {perFamily:F3}");
        foreach (var (source, summary) in trained.Sources) output.WriteLine($"  {source}: pass@1 {summary.PassAtK[0].Mean:F3}");
        Assert.True(trained.Overall.PassAtK[0].Mean >= baseline.PassRate + MarginOverConstant,
            $"the trained policy's held-out pass@1 {trained.Overall.PassAtK[0].Mean:F3} does not beat the constant answer " +
            $"'{baseline.Answer}' ({baseline.PassRate:F3}) by {MarginOverConstant}");
        Assert.True(trained.Overall.PassAtK[0].Mean > perFamily,
            $"the trained policy's held-out pass@1 {trained.Overall.PassAtK[0].Mean:F3} does not beat the best constant answer per family ({perFamily:F3})");
        Directory.Delete(root, recursive: true);
    }

    /// <summary>The policy's held-out pass@1 report, the best constant answer on the same problems, and the pass rate of the best constant per family.</summary>
    private static async Task<(EvaluationReport Trained, ConstantAnswerBaseline Baseline, double PerFamily)> HeldOutControlAsync(string policy, JsonNode shipped)
    {
        var tasks = shipped["Tasks"]!;
        var families = tasks["Mixture"]!.AsObject().Where(m => (double)m.Value! > 0).Select(m => m.Key).ToList();
        Assert.All(families, f => Assert.StartsWith("logic/", f)); // the spec below names logic families only
        var spec = TaskSpec.Parse(string.Join(",", families.Select(f => f.Replace('/', ':'))));
        var problems = await TaskSetBuilder.BuildAsync(spec, new TaskSelectionOptions
        {
            ProblemsPerSource = 24, Seed = 2026, HeldOutSeeds = true,
            MinDifficulty = (int)tasks["MinDifficulty"]!, MaxDifficulty = (int)tasks["MaxDifficulty"]!,
        });
        Assert.All(problems, p => Assert.True(p.Task.Seed < 0));
        var validation = shipped["Validation"]!;
        var evaluation = new EvaluationSettings
        {
            SamplesPerProblem = 8, K = [1, 8], Temperature = (double)validation["Temperature"]!, TopP = (double)validation["TopP"]!,
            MaxNewTokens = (int)validation["MaxNewTokens"]!, Seed = 11, HashModel = false,
        };
        var scorer = new RewardScorer([new LogicVerifier(), new MathVerifier()]);
        using var engine = new RolloutEngine(new RolloutEngineOptions { ModelPath = policy, IntraOpThreads = 2 });
        var trained = await new EvaluationRunner(engine, scorer).RunAsync(problems, evaluation);
        return (trained, await ConstantAnswerBaseline.FindAsync(problems, scorer),
            ConstantAnswerBaseline.PerSourcePassRate(await ConstantAnswerBaseline.FindPerSourceAsync(problems, scorer)));
    }
}
