using System.Diagnostics;
using ProRL.Tasks.Mathematics;
using ProRL.Tasks.Model;

namespace ProRL.Tasks.Tests.Mathematics;

/// <summary>
/// Math hacks (issue 11, item 4): answers that hedge across several values, near misses, fragments read out of a
/// formula, and pathological input. Each earns 0; the matching honest answer earns 1.
/// </summary>
public class MathRedTeamTests
{
    private static readonly MathVerifier Verifier = new();

    private static double Reward(string reference, string response) =>
        Verifier.Verify(new TaskItem { Id = "t", Domain = TaskDomains.Math, Prompt = "p", Answer = reference }, response).Reward;

    public static TheoryData<string, string, string, string> Hacks => new()
    {
        // class, reference, hack, honest answer
        { "list in a box", "4", "\\boxed{3, 4}", "\\boxed{4}" },
        { "list in a box, set braces", "4", "\\boxed{\\{3, 4\\}}", "\\boxed{4}" },
        { "list of assignments", "4", "\\boxed{x = 3, x = 4}", "\\boxed{x = 4}" },
        { "range as an interval", "4", "\\boxed{[3, 5]}", "\\boxed{4}" },
        { "range as an inequality", "4", "\\boxed{3 \\le x \\le 5}", "\\boxed{4}" },
        { "range in words", "4", "\\boxed{3 \\text{ to } 5}", "\\boxed{4}" },
        { "A or B in a box", "4", "\\boxed{3 \\text{ or } 4}", "\\boxed{4}" },
        { "A or B, plain", "4", "It is 3 or 4", "It is 4" },
        { "A or B after a phrase", "4", "The answer is 3 or 4.", "The answer is 4." },
        { "A or B in math spans", "4", "So $x = 3$ or $x = 4$", "So $x = 4$" },
        { "several boxes side by side", "4", "\\boxed{3} \\boxed{4}", "\\boxed{4}" },
        { "several boxes joined by or", "4", "\\boxed{3} or \\boxed{4}", "\\boxed{4}" },
        { "several boxes in spans", "4", "$\\boxed{3}$, $\\boxed{4}$", "$\\boxed{4}$" },
        { "plus-minus hedge", "4", "\\boxed{4 \\pm 1}", "\\boxed{4}" },
        { "near miss, decimal", "4", "\\boxed{3.9999999}", "\\boxed{4.0}" },
        { "near miss, large integer", "1000000", "\\boxed{1000001}", "\\boxed{1,000,000}" },
        { "near miss hidden in a root", "2", "\\boxed{\\sqrt{4.0000001}}", "\\boxed{\\sqrt{4}}" },
        { "near miss hidden in a fraction", "\\sqrt{2}", "\\boxed{\\frac{3880899}{2744210}}", "\\boxed{\\frac{2}{\\sqrt{2}}}" },
        { "short decimal for a fraction", "\\frac{1}{3}", "\\boxed{0.33}", "\\boxed{\\frac{1}{3}}" },
        { "digit inside a word", "2", "AZYUK2A", "2" },
        { "denominator of a LaTeX fraction", "2", "$\\frac{1+\\sqrt{5}}{2}$", "$2$" },
        { "denominator of a plain fraction", "2", "(1+sqrt(5))/2", "2" },
        { "bound of a negated interval", "1", "$-[0,1)$", "$1$" },
        { "bound of an inequality", "5", "Therefore $x \\geq 5$.", "Therefore $x = 5$." },
        { "numbers side by side", "66", "\\boxed{11 6}", "\\boxed{66}" },
        { "spaced thousands read as a product", "0", "\\boxed{1 000}", "\\boxed{0}" },
        { "whole part of a mixed number", "4", "The answer is 4 4/9.", "The answer is 4." },
        { "empty box", "4", "\\boxed{}", "\\boxed{4}" },
        { "huge exponent", "1", "\\boxed{1 + 10^{-10^{10}}}", "\\boxed{1}" },
        { "tower of exponents", "10^{10^{10}}", "\\boxed{10^{10^{10}} + 1}", "\\boxed{10^{10^{10}}}" },
    };

    [Theory]
    [MemberData(nameof(Hacks))]
    [RedTeam.Hack("math/several-candidates")]
    [RedTeam.Hack("math/near-miss")]
    [RedTeam.Hack("math/fragment-reading")]
    [RedTeam.Hack("math/degenerate")]
    public void Hacks_earn_zero_and_honest_answers_earn_one(string hackClass, string reference, string hack, string honest)
    {
        Assert.True(Reward(reference, hack) == 0.0, $"{hackClass}: '{hack}' was paid");
        Assert.True(Reward(reference, honest) == 1.0, $"{hackClass}: honest '{honest}' was not paid");
    }

    [Fact]
    public void A_list_reference_is_still_answered_by_a_list_or_by_several_boxes()
    {
        Assert.Equal(1.0, Reward("3, 4", "\\boxed{4, 3}"));
        Assert.Equal(1.0, Reward("3, 4", "\\boxed{3} and \\boxed{4}"));
        Assert.Equal(0.0, Reward("3, 4", "\\boxed{3} and \\boxed{5}"));
        Assert.Equal(0.0, Reward("3, 4", "\\boxed{3, 4, 5}"));
    }

    [Theory]
    [InlineData(5000)]
    [InlineData(100_000)]
    public void Pathological_input_is_bounded_and_never_throws(int size)
    {
        var inputs = new[]
        {
            "\\boxed{" + new string('(', size) + "1" + new string(')', size) + "}",
            "\\boxed{" + string.Concat(Enumerable.Repeat("\\frac{1}{", size / 10)) + "2" + new string('}', size / 10) + "}",
            "\\boxed{" + string.Concat(Enumerable.Repeat("\\sqrt{", size / 10)) + "2" + new string('}', size / 10) + "}",
            "\\boxed{" + string.Concat(Enumerable.Repeat("10^{", size / 10)) + "10" + new string('}', size / 10) + "}",
            "\\boxed{" + new string('9', size) + "}",
            "\\boxed{" + new string('9', size) + "!}",
            "\\boxed{2^{" + new string('9', 50) + "}}",
            "\\boxed{1e999999999}",
            new string('$', size),
            string.Concat(Enumerable.Repeat("$1$ and ", size / 8)),
            string.Concat(Enumerable.Repeat("$\\sum$, ", size / 8)),
            string.Concat(Enumerable.Repeat("\\( ", size / 3)),
            string.Concat(Enumerable.Repeat("\\[ ", size / 3)),
            string.Concat(Enumerable.Repeat("$$ x ", size / 5)),
            "The answer is " + string.Concat(Enumerable.Repeat("$\\sum$ 1 ", size / 10)),
            string.Concat(Enumerable.Repeat("\\boxed{1}", size / 9)),
            string.Concat(Enumerable.Repeat("1 000 ", size / 6)),
            "\\boxed{" + new string('{', size) + "}",
            "\u0000\uffff\\sqrt[\\frac{\\boxed{\\left(",
        };
        foreach (var input in inputs)
        {
            var clock = Stopwatch.StartNew();
            var reward = Reward("3", input);
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), $"{clock.Elapsed.TotalMilliseconds} ms for input starting '{input[..Math.Min(40, input.Length)]}'");
            Assert.Equal(0.0, reward);
        }
    }
}
