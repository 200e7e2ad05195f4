using ProRL.Tasks.Mathematics;
using ProRL.Tasks.Model;

namespace ProRL.Tasks.Tests.Mathematics;

public class MathVerifierTests
{
    private static TaskItem Task(string answer) => new() { Id = "t", Domain = TaskDomains.Math, Prompt = "p", Answer = answer };

    [Theory]
    [InlineData("So the answer is \\boxed{\\frac{1}{2}}.", "\\frac{1}{2}")]
    [InlineData("First \\boxed{3}, then corrected: \\boxed{4}", "4")]
    [InlineData("\\fbox{7}", "7")]
    [InlineData("\\boxed{\\frac{\\sqrt{3}}{2}} done", "\\frac{\\sqrt{3}}{2}")]
    [InlineData("The final answer is 42.", "42")]
    [InlineData("Answer: x = 3", "x = 3")]
    [InlineData("we get 5 apples and then 7 pears", "7")]
    [InlineData("total 1,234 items", "1234")]
    public void Extracts_the_final_answer(string response, string expected) =>
        Assert.Equal(expected, MathVerifier.ExtractAnswer(response));

    [Fact]
    public void Extraction_is_configurable()
    {
        Assert.Null(MathVerifier.ExtractAnswer("the result is 5", MathExtraction.Boxed));
        Assert.Equal("5", MathVerifier.ExtractAnswer("the result is 5", MathExtraction.Boxed | MathExtraction.LastNumber));
        Assert.Equal("9", MathVerifier.ExtractAnswer("final answer is 9\n\\boxed{8}", MathExtraction.FinalAnswerPhrase));
    }

    [Fact]
    public void Rewards_equivalent_answers_and_rejects_others()
    {
        var verifier = new MathVerifier();
        Assert.Equal(1.0, verifier.Verify(Task("0.5"), "thus \\boxed{\\dfrac{1}{2}}").Reward);
        var wrong = verifier.Verify(Task("0.5"), "thus \\boxed{2}");
        Assert.Equal(0.0, wrong.Reward);
        Assert.Contains("not equivalent", wrong.Reason);
        var none = verifier.Verify(Task("0.5"), "I do not know");
        Assert.Equal(0.0, none.Reward);
        Assert.False(none.FormatOk);
    }

    [Theory]
    [InlineData("\\boxed{")]
    [InlineData("\\boxed{}}}}")]
    [InlineData("")]
    [InlineData("\\boxed{\\frac{\\frac{\\frac{")]
    [InlineData("\u0000\uffff\\sqrt[")]
    public void Malformed_output_earns_zero_without_throwing(string response) =>
        Assert.Equal(0.0, new MathVerifier().Verify(Task("3"), response).Reward);

    [Fact]
    public void Arithmetic_references_pass_and_wrong_answers_fail()
    {
        var verifier = new MathVerifier();
        for (var difficulty = 0; difficulty <= ArithmeticGenerator.MaxDifficulty; difficulty++)
        for (var seed = 0; seed < 40; seed++)
        {
            var task = ArithmeticGenerator.Generate(seed, difficulty);
            Assert.Equal(1.0, verifier.Verify(task, $"\\boxed{{{task.Answer}}}").Reward);
            Assert.Equal(0.0, verifier.Verify(task, $"\\boxed{{{task.Answer}+1}}").Reward);
        }
    }

    [Fact]
    public void Arithmetic_difficulty_zero_is_one_digit_and_short()
    {
        for (var seed = 0; seed < 200; seed++)
        {
            var task = ArithmeticGenerator.Generate(seed, 0);
            Assert.Single(task.Answer!);
            Assert.True(task.Prompt.Length <= 40, task.Prompt);
        }
    }

    [Fact]
    public void Arithmetic_answers_are_checked_against_an_independent_evaluation()
    {
        // Difficulty 2 is "a + b × c − d": recompute from the prompt's numbers with C#'s own precedence.
        for (var seed = 0; seed < 50; seed++)
        {
            var task = ArithmeticGenerator.Generate(seed, 2);
            var numbers = System.Text.RegularExpressions.Regex.Matches(task.Prompt, @"\d+").Select(m => int.Parse(m.Value)).ToArray();
            Assert.Equal((numbers[0] + numbers[1] * numbers[2] - numbers[3]).ToString(), task.Answer);
        }
    }
}
