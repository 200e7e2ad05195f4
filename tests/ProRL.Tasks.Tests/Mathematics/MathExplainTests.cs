using ProRL.Tasks.Mathematics;
using ProRL.Tasks.Model;

namespace ProRL.Tasks.Tests.Mathematics;

/// <summary>What <c>prorl score --explain</c> prints for a math line.</summary>
public class MathExplainTests
{
    private static TaskItem Task(string answer) => new() { Id = "t", Domain = TaskDomains.Math, Prompt = "p", Answer = answer };

    [Fact]
    public void Explain_reports_the_rule_the_extraction_and_the_normalised_forms()
    {
        var explanation = new MathVerifier().Explain(Task("\\frac{14}{3}"), "so $f = 2+\\frac{5}{3}+1=\\boxed{\\dfrac{14}{3}}$");
        Assert.Equal(MathExtractionRule.Boxed, explanation.Rule);
        Assert.Equal("\\dfrac{14}{3}", explanation.Extracted);
        Assert.Equal("((14)/(3))", explanation.NormalizedCandidate);
        Assert.Equal("((14)/(3))", explanation.NormalizedReference);
        Assert.Equal(1.0, explanation.Result.Reward);
        Assert.Equal("reward 1: extracted '\\dfrac{14}{3}' by boxed; compared '((14)/(3))' with reference '((14)/(3))'", explanation.Describe());
    }

    [Fact]
    public void Explain_says_when_nothing_was_extracted()
    {
        var explanation = new MathVerifier().Explain(Task("2"), "AZYUK2A");
        Assert.Null(explanation.Extracted);
        Assert.Equal(0.0, explanation.Result.Reward);
        Assert.StartsWith("reward 0: nothing extracted (no final answer found)", explanation.Describe());
    }

    [Fact]
    public void Explain_matches_verify()
    {
        var verifier = new MathVerifier();
        foreach (var (answer, response) in new[] { ("4", "The answer is 3 or 4."), ("40/9", "4 4/9"), ("x \\geq 5", "Thus $5 \\leq x$.") })
            Assert.Equal(verifier.Verify(Task(answer), response), verifier.Explain(Task(answer), response).Result);
    }
}
