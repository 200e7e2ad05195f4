using System.Diagnostics;
using System.Text;
using ProRL.Tasks.Mathematics;

namespace ProRL.Tasks.Tests.Mathematics;

/// <summary>
/// Seeded random LaTeX-like input through extraction and equivalence directly (not through the verifier's guard),
/// so that an exception anywhere fails the test: model output must never throw.
/// </summary>
public class MathFuzzTests
{
    private static readonly string[] Pieces =
    [
        "\\boxed{", "\\fbox{", "{", "}", "$", "$$", "\\(", "\\)", "\\[", "\\]", "\\frac", "\\dfrac", "\\sqrt", "[", "]", "(", ")",
        "\\left", "\\right", "\\{", "\\}", "^", "_", "1", "2", "0", "9", "12", "1,000", "1 000", ".", ",", ";", ":", "=", "<", "\\le",
        "\\geq", "\\neq", "\\approx", "\\in", "\\cup", "\\pm", "\\infty", "\\pi", "e", "x", "y", "\\sin", "\\sec", "|", "!", "+", "-",
        "*", "/", "\\cdot", "\\times", "%", "\\%", "\\text{", "\\mathrm{", " and ", " or ", "\\begin{pmatrix}", "\\end{pmatrix}", "&",
        "\\\\", "\\!", "{,}", " ", "\n", "final answer is ", "Answer: ", "I hope", "4 4/9", "10^{10^{", "1e99999", "\\sum", "…", "−",
    ];

    [Fact]
    public void Random_input_never_throws_and_stays_fast()
    {
        var random = new Random(20261129);
        var equivalence = new MathEquivalence();
        var clock = Stopwatch.StartNew();
        for (var n = 0; n < 3000; n++)
        {
            var a = Random(random);
            var b = Random(random);
            var extracted = MathExtractor.Extract(a, MathExtraction.All, 1 + n % 3);
            equivalence.AreEquivalent(b, extracted?.Answer ?? a);
            equivalence.AreEquivalent(a, b);
        }
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(60), $"{clock.Elapsed.TotalSeconds:F1} s");
    }

    private static string Random(Random random)
    {
        var sb = new StringBuilder();
        var length = random.Next(1, 25);
        for (var i = 0; i < length; i++) sb.Append(Pieces[random.Next(Pieces.Length)]);
        return sb.ToString();
    }
}
