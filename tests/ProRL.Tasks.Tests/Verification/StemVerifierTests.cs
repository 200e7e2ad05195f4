using ProRL.Tasks.Model;
using ProRL.Tasks.Stem;

namespace ProRL.Tasks.Tests.Verification;

public class StemVerifierTests
{
    [Theory]
    [InlineData("The answer is (C).", 'C')]
    [InlineData("After thinking, **C**", 'C')]
    [InlineData("\\boxed{C}", 'C')]
    [InlineData("\\boxed{\\text{(C)}}", 'C')]
    [InlineData("<answer>c</answer>", 'C')]
    [InlineData("Answer: B", 'B')]
    [InlineData("I considered (A) and (B) but (D) fits", 'D')]
    [InlineData("Reasoning...\nD", 'D')]
    [InlineData("The answer is clearly (B)", 'B')]
    public void Extracts_the_chosen_letter(string response, char expected) =>
        Assert.Equal(expected, StemVerifier.ExtractChoice(response, 'D'));

    [Theory]
    [InlineData("I am not sure")]
    [InlineData("The answer is (Z)")]
    [InlineData("")]
    public void No_valid_letter_means_no_choice(string response) => Assert.Null(StemVerifier.ExtractChoice(response, 'D'));

    [Fact]
    public void Reward_is_binary_on_the_reference_letter()
    {
        var task = new TaskItem { Id = "s", Domain = TaskDomains.Stem, Prompt = "p", Answer = "B", Choices = ["w", "x", "y", "z"] };
        var verifier = new StemVerifier();
        Assert.Equal(1.0, verifier.Verify(task, "The answer is (B)").Reward);
        Assert.Equal(0.0, verifier.Verify(task, "The answer is (C)").Reward);
        Assert.Equal(0.0, verifier.Verify(task, "The answer is (E)").Reward); // only four choices
    }
}
