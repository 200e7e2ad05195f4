using ProRL.Tasks.Sandbox;
using ProRL.Tasks.Verification;

namespace ProRL.Tasks.Tests.Verification;

/// <summary>`prorl score` reads the reference a verifier needs; the prompt is optional there (not for datasets).</summary>
public class ScoreWithoutPromptTests
{
    private sealed class NoCodeRunner : ICodeRunner
    {
        public string IsolationDescription => "none";

        public Task<SandboxResult> RunPythonAsync(SandboxRequest request, CancellationToken cancellationToken = default) =>
            throw new InvalidOperationException("no code here");
    }

    [Fact]
    public async Task Lines_without_a_prompt_are_scored()
    {
        var scorer = RewardScorer.CreateDefault(new NoCodeRunner());
        string[] lines =
        [
            """{"task": {"domain": "stem", "answer": "B"}, "response": "The answer is (B)."}""",
            """{"task": {"domain": "logic", "answer": "42"}, "response": "<answer>42</answer>"}""",
            """{"task": {"domain": "ifeval", "instruction_id_list": ["punctuation:no_comma"], "kwargs": [{}]}, "response": "No commas here."}""",
            """{"task": {"domain": "stem", "answer": "B"}, "response": "The answer is (C)."}""",
        ];
        var scored = await ScoredLines.ScoreAsync(scorer, lines, 2);
        Assert.All(scored, s => Assert.Null(s.Error));
        Assert.Equal([1.0, 1.0, 1.0, 0.0], scored.Select(s => s.Result!.Reward));
    }

    [Fact]
    public void Datasets_still_need_a_prompt() =>
        Assert.Throws<FormatException>(() => ProRL.Tasks.Datasets.TaskJson.FromJson(
            System.Text.Json.Nodes.JsonNode.Parse("""{"domain": "stem", "answer": "B"}""")!.AsObject(), "x"));
}
