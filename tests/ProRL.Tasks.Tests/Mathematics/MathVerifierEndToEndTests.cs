using ProRL.Tasks.Mathematics;
using ProRL.Tasks.Model;

namespace ProRL.Tasks.Tests.Mathematics;

/// <summary>Whole responses in the forms models write, through extraction and equivalence together.</summary>
public class MathVerifierEndToEndTests
{
    public static TheoryData<string, string, int> Responses => new()
    {
        { "3", "The final answer is $\\boxed{3}$.", 1 },
        { "5", "**Answer:** 5", 1 },
        { "3/4", "Answer: $\\frac{3}{4}$.", 1 },
        { "\\frac{\\sqrt{3}}{2}", "$0.866025$", 1 },
        { "50\\%", "$50\\%$", 1 },
        { "\\$5.50", "It costs \\$5.50.", 1 },
        { "x^2+2x+1", "$(x+1)^{2}$", 1 },
        { "(-\\infty, 2]", "$x \\le 2$", 1 },
        { "x \\leq 2", "$(-\\infty, 2]$", 1 },
        { "[2, \\infty)", "$x \\geq 2$", 1 },
        { "5", "$x=5$", 1 },
        { "(1,2)", "$(x,y)=(1,2)$", 1 },
        { "\\text{(A)}", "The answer is (A).", 1 },
        { "A", "\\boxed{\\textbf{(A)}}", 1 },
        { "2\\sqrt{2}", "$\\sqrt{8}$", 1 },
        { "10\\%", "$0.1$", 1 },
        { "\\dfrac{3}{2}", "$1.5$", 1 },
        { "\\{1, 2\\}", "$1$ and $2$", 1 },
        { "2, 3", "$x=2$ or $x=3$", 1 },
        { "2, 3", "$x=2$ or $x=4$", 0 },
        { "\\frac{1}{2}", "The answer is \\frac{1}{2}", 1 },
        { "-3", "so $x = -3$.", 1 },
        { "12", "There are $12$ ways.", 1 },
        { "12", "There are 12 ways.", 1 },
        { "\\pi", "$\\pi$", 1 },
        { "2\\pi", "\\boxed{2 \\pi}", 1 },
        { "\\frac{\\pi}{4}", "\\boxed{45^\\circ}", 0 },
        { "1.5", "\\boxed{\\frac{3}{2}}", 1 },
        { "\\sqrt{2}/2", "\\boxed{\\frac{\\sqrt2}{2}}", 1 },
        { "0", "\\boxed{0}", 1 },
        { "-1", "\\boxed{-1}", 1 },
        { "(3, -1)", "\\boxed{(3,-1)}", 1 },
        { "y = 2x + 3", "\\boxed{y=2x+3}", 1 },
        { "y = 2x + 3", "\\boxed{2x+3}", 1 },
        { "\\begin{pmatrix} 1 \\\\ 2 \\end{pmatrix}", "\\boxed{\\begin{pmatrix} 1 \\\\ 2 \\end{pmatrix}}", 1 },
        { "\\text{no}", "\\boxed{\\text{No}}", 1 },
        { "6", "\\boxed{6 \\text{ inches}}", 1 },
        { "24", "The answer is $\\boxed{24}$ cookies.", 1 },
        { "\\frac{7}{2}", "\\boxed{3\\frac{1}{2}}", 1 },
        { "\\frac{7}{2}", "\\boxed{3 \\frac{1}{2}}", 1 },
        { "\\frac{3}{2}", "\\boxed{3\\frac{1}{2}}", 0 },
        { "\\text{No}", "\\boxed{x}", 0 },
        { "3", "\\boxed{3.}", 1 },
        { "100", "\\boxed{100\\text{ degrees}}", 1 },
        { "4", "We have $2+2=4$.", 1 },
        { "4", "So $2+2=4$, and $x^2$ is positive.", 0 },
        { "\\frac{1}{4}", "\\boxed{25\\%}", 1 },
        { "e^{2}", "\\boxed{e^2}", 1 },
        { "\\ln 2", "\\boxed{\\log 2}", 1 },
        { "\\infty", "\\boxed{\\infty}", 1 },
        { "(0, \\infty)", "\\boxed{(0,+\\infty)}", 1 },
        { "-\\frac{\\sqrt{3}}{3}", "\\boxed{-\\frac{1}{\\sqrt{3}}}", 1 },
        { "3", "the result is 3 cm.", 1 },
        { "5", "The answer is 5, which is odd.", 1 },
        { "7", "Thus $x = 3$ and $y = 4$, so $x + y = 7$.", 1 },
        { "5", "So the answer is $\\boxed{5}$.\n\nWait, let me double-check. Actually it might be 6.", 1 },
        { "6", "The final answer is $6$. I hope it is correct.\n\nProblem: find y. The answer is 9", 1 },
        { "5", "Answer: $5$ and $6$", 0 },
        { "5", "\\boxed{\\text{5 apples}}", 1 },
        { "1, 2", "The roots are $x = 1$ and $x = 2$.", 1 },
        { "1, 2, 3", "The roots are $1$, $2$, and $3$.", 1 },
        { "1, 2, 3", "The roots are $1$, $2$, and $4$.", 0 },
        { "1, 2", "The answer is 1,2", 1 },
        { "1234", "The answer is 1,234", 1 },
        { "\\frac{2}{3}", "The final answer is $\\boxed{\\frac{2}{3}}$. I hope it is correct.", 1 },
        { "B", "Answer: (B)", 1 },
        { "B", "Answer: (C)", 0 },
        { "25\\%", "Final answer: 25%", 1 },
        { "0.25", "Final answer: 25%", 1 },
        { "25", "Final answer: 0.25", 0 },
        { "3", "Solving $x + 2 = 5$ gives $x + 2 = 5$.", 0 },
        { "5", "The final answer is 5 because the sum is odd.", 1 },
        { "5", "\\boxed{5 \\text{ apples}}", 1 },
        { "5", "The answer is 6, which is odd.", 0 },
    };

    [Theory]
    [MemberData(nameof(Responses))]
    public void Responses_earn_what_a_careful_grader_gives(string reference, string response, int expected)
    {
        var explanation = new MathVerifier().Explain(new TaskItem { Id = "t", Domain = TaskDomains.Math, Prompt = "p", Answer = reference }, response);
        Assert.True(expected == (int)explanation.Result.Reward, explanation.Describe());
    }
}
