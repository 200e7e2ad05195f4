using ProRL.Tasks.Logic;
using ProRL.Tasks.Model;
using ProRL.Tasks.Sandbox;
using ProRL.Tasks.Verification;

namespace ProRL.Tasks.Tests.Verification;

public class RewardScorerTests
{
    private sealed class NoCodeRunner : ICodeRunner
    {
        public string IsolationDescription => "none";
        public Task<SandboxResult> RunPythonAsync(SandboxRequest request, CancellationToken cancellationToken = default) =>
            throw new InvalidOperationException("this test runs no code");
    }

    private static readonly TaskItem Logic = LogicGenerators.Generate("digit_sum", 1, 0);

    [Fact]
    public async Task Think_then_answer_format_is_enforced_when_configured()
    {
        var strict = RewardScorer.CreateDefault(new NoCodeRunner(), FormatRequirement.ThinkThenAnswer);
        var answer = $"<answer>{Logic.Answer}</answer>";
        Assert.Equal(1.0, (await strict.ScoreAsync(Logic, $"<think>add digits</think>\n{answer}")).Reward);
        Assert.Equal(0.0, (await strict.ScoreAsync(Logic, answer)).Reward);
        Assert.Equal(0.0, (await strict.ScoreAsync(Logic, $"<think>a</think><think>b</think>{answer}")).Reward);
        Assert.Equal(0.0, (await strict.ScoreAsync(Logic, $"<think>never closed {answer}")).Reward);
        var lenient = RewardScorer.CreateDefault(new NoCodeRunner());
        Assert.Equal(1.0, (await lenient.ScoreAsync(Logic, answer)).Reward);
    }

    [Fact]
    public async Task Answers_inside_the_thinking_do_not_count()
    {
        var scorer = RewardScorer.CreateDefault(new NoCodeRunner());
        var result = await scorer.ScoreAsync(Logic, $"<think><answer>{Logic.Answer}</answer></think> I give up");
        Assert.Equal(0.0, result.Reward);
    }

    [Fact]
    public async Task Unknown_domains_and_verifier_failures_earn_zero_with_a_reason()
    {
        var scorer = RewardScorer.CreateDefault(new NoCodeRunner());
        var unknown = await scorer.ScoreAsync(Logic with { Domain = "poetry" }, "x");
        Assert.Contains("poetry", unknown.Reason);
        var code = new TaskItem { Id = "c", Domain = TaskDomains.Code, Prompt = "p", Tests = [CodeTest.AssertStatement("assert True")] };
        var failed = await scorer.ScoreAsync(code, "```python\nx = 1\n```");
        Assert.Equal(0.0, failed.Reward);
        Assert.Contains("verifier error", failed.Reason);
    }

    [Fact]
    public async Task Score_file_lines_are_scored_summarised_and_bad_lines_reported()
    {
        var scorer = RewardScorer.CreateDefault(new NoCodeRunner());
        string Line(string response) => System.Text.Json.JsonSerializer.Serialize(new { task = System.Text.Json.Nodes.JsonNode.Parse(ProRL.Tasks.Datasets.TaskJson.ToJsonLine(Logic)), response });
        var (good, wrong) = (Line($"<answer>{Logic.Answer}</answer>"), Line("<answer>oops</answer>"));
        var lines = new[] { good, "", wrong, "{\"task\": {}}", "nonsense" };
        var scored = await ScoredLines.ScoreAsync(scorer, lines, 2);
        Assert.Equal([1L, 3, 4, 5], scored.Select(s => s.LineNumber));
        Assert.Equal(2, scored.Count(s => s.Error is not null));
        var summary = Assert.Single(ScoredLines.Summarize(scored));
        Assert.Equal((TaskDomains.Logic, 2, 1), (summary.Domain, summary.Count, summary.FullyCorrect));
        Assert.Contains("\"reward\":1", scored[0].ToOutputJson());
        Assert.Contains("\"reason\":", scored[2].ToOutputJson());
    }
}
