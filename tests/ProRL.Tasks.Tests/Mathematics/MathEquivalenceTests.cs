using ProRL.Tasks.Mathematics;

namespace ProRL.Tasks.Tests.Mathematics;

public class MathEquivalenceTests
{
    private static readonly MathEquivalence Strict = new();

    public static TheoryData<string, string, bool> Pairs => new()
    {
        // numbers, decimals and fractions
        { "0.5", "\\frac{1}{2}", true }, { "\\frac{1}{2}", "0.5", true }, { "1/2", "2", false }, { "\\frac12", "0.5", true },
        { "\\dfrac{3}{4}", "0.75", true }, { "\\tfrac{3}{4}", "3/4", true }, { "\\frac{6}{8}", "\\frac{3}{4}", true }, { "2/3", "0.667", false },
        { "1/3", "0.3333333333", true }, { "1/3", "0.33", false }, { "-\\frac{1}{2}", "-0.5", true }, { "\\frac{-1}{2}", "-\\frac{1}{2}", true },
        { "-1/2", "1/2", false }, { "10", "10.0", true }, { "10", "10.001", false }, { "3", "03", true }, { "7", "-7", false },
        { "0", "-0", true }, { "100", "1e2", true }, { "1.5\\times10^{3}", "1500", true }, { "2.5e-3", "0.0025", true }, { "6.02 \\times 10^{23}", "6.02e23", true },
        { "1,000", "1000", true }, { "1,000,000", "10^6", true }, { "12{,}345", "12345", true }, { "1\\,000", "1000", true }, { "1,000", "1", false },
        { "5", "4", false }, { "\\frac{5}{6}", "\\frac{6}{5}", false }, { "3.14", "\\pi", true }, { "0.1", "1/10", true }, { "2", "\\frac{4}{2}", true },
        // roots, pi, powers
        { "\\sqrt{2}", "2^{1/2}", true }, { "\\sqrt{2}", "1.41421356237", true }, { "\\sqrt{2}", "1.414", false }, { "5\\sqrt{2}", "\\sqrt{50}", true },
        { "\\frac{\\sqrt{2}}{2}", "\\frac{1}{\\sqrt{2}}", true }, { "\\sqrt[3]{8}", "2", true }, { "\\sqrt[3]{-8}", "-2", true }, { "\\sqrt 4", "2", true },
        { "2\\sqrt{3}", "\\sqrt{12}", true }, { "\\sqrt{3}", "3", false }, { "9\\pi", "9pi", true }, { "9\\pi", "28.274333882", true }, { "\\pi/2", "\\frac{\\pi}{2}", true },
        { "2\\pi", "\\pi", false }, { "\\pi r^2", "r^2\\pi", true }, { "2^{10}", "1024", true }, { "2^10", "1024", true }, { "e^2", "\\exp(2)", true },
        { "3^2", "6", false }, { "4!", "24", true }, { "\\frac{\\pi}{3}", "60", false }, { "\\infty", "\\infty", true }, { "-\\infty", "\\infty", false },
        // degrees, percent, units, text wrappers, dollars
        { "720^\\circ", "720", true }, { "720", "720^{\\circ}", true }, { "90^\\circ", "90°", true }, { "45^\\circ", "90", false }, { "15\\%", "15", true },
        { "50\\%", "50", true }, { "12", "12 \\text{ cm}^2", true }, { "35 \\text{ cm}^2", "35", true }, { "35", "35 square units", true }, { "5", "5 meters", true },
        { "\\$5.50", "5.5", true }, { "\\$5", "6", false }, { "4", "\\text{4}", true }, { "\\text{(B)}", "B", true }, { "10 \\text{ inches}", "10", true },
        { "3 \\text{ hours}", "3", true }, { "7 dollars", "7", true }, { "\\mathrm{12}", "12", true }, { "\\textbf{7}", "7", true }, { "8 \\text{ cm}", "9", false },
        { "\\text{Monday}", "monday", true }, { "\\text{Monday}", "Tuesday", false }, { "yes", "Yes", true },
        // algebra: commutativity, expansion, evaluation at points
        { "x+1", "1+x", true }, { "x^2+2x+1", "(x+1)^2", true }, { "x^2-1", "(x-1)(x+1)", true }, { "2x", "x+x", true }, { "x+1", "x+2", false },
        { "x^2", "2x", false }, { "\\frac{x}{2}", "0.5x", true }, { "\\frac{1}{x}", "x^{-1}", true }, { "ab", "ba", true }, { "a+b", "ab", false },
        { "2(x+3)", "2x+6", true }, { "x^3", "x\\cdot x\\cdot x", true }, { "x \\times y", "xy", true }, { "\\sin(x)^2+\\cos(x)^2", "1", true },
        { "\\ln(e^x)", "x", true }, { "\\ln(2x)", "\\ln(2)+\\ln(x)", true }, { "\\sqrt{x^2}", "x", false }, { "|x|", "x", false }, { "3x-2", "-2+3x", true },
        { "\\frac{x^2-1}{x-1}", "x+1", true }, { "x+y", "y+x", true }, { "x-y", "y-x", false }, { "2^x", "x^2", false }, { "\\frac{a}{b}", "a/b", true },
        // equations and "x =" prefixes
        { "4", "x = 4", true }, { "x=4", "4", true }, { "y = 2x+1", "2x+1", true }, { "x = 4", "x = 5", false }, { "f(x) = x^2", "x^2", true },
        { "x+y=1", "y=1-x", true }, { "x+y=1", "2x+2y=2", true }, { "x+y=1", "x-y=1", false }, { "2x=4", "x=2", true },
        // tuples, intervals and brackets
        { "(1, 2)", "(1,2)", true }, { "(1, 2)", "(2, 1)", false }, { "(1, 2)", "[1, 2]", false }, { "(3, 3)", "(3,3)", true }, { "(1,2,3)", "(1,2)", false },
        { "(\\frac{1}{2}, 3)", "(0.5, 3)", true }, { "(-1, 3)", "(-1,3)", true }, { "(-1, 3)", "[-1, 3)", false }, { "[2, \\infty)", "[2,\\infty)", true },
        { "[2, \\infty)", "(2, \\infty)", false }, { "(-\\infty, 0) \\cup (1, \\infty)", "(1,\\infty)\\cup(-\\infty,0)", true }, { "(-\\infty, 0) \\cup (1, \\infty)", "(-\\infty,0)", false },
        { "\\left( 1, 2 \\right)", "(1, 2)", true }, { "[0, 1]", "[0,1]", true }, { "[0, 1]", "[0, 1)", false }, { "(2, -3)", "(2, 3)", false },
        // sets and unordered lists of solutions
        { "\\{1, 2, 3\\}", "\\{3, 2, 1\\}", true }, { "\\{1, 2\\}", "\\{1, 2, 3\\}", false }, { "\\{-4, 4\\}", "4, -4", true }, { "\\{-4,4\\}", "\\{4,-4\\}", true },
        { "2, 3", "3, 2", true }, { "2, 3", "2", false }, { "2, 3", "x=2, x=3", true }, { "2, 3", "x = 3 \\text{ or } x = 2", true }, { "1, 1, 2", "1, 2, 2", false },
        { "\\{\\frac12, 2\\}", "\\{2, 0.5\\}", true }, { "\\emptyset", "\\emptyset", true },
        // matrices
        { "\\begin{pmatrix} 1 & 2 \\\\ 3 & 4 \\end{pmatrix}", "\\begin{bmatrix}1&2\\\\3&4\\end{bmatrix}", true },
        { "\\begin{pmatrix} 1 & 2 \\\\ 3 & 4 \\end{pmatrix}", "\\begin{pmatrix}1&2\\\\4&3\\end{pmatrix}", false },
        { "\\begin{pmatrix} \\frac12 \\\\ 1 \\end{pmatrix}", "\\begin{pmatrix} 0.5 \\\\ 1 \\end{pmatrix}", true },
        { "\\begin{pmatrix} 1 & 0 \\end{pmatrix}", "\\begin{pmatrix} 1 \\\\ 0 \\end{pmatrix}", false },
        // LaTeX noise and delimiters
        { "$\\frac{5}{6}$", "\\frac{5}{6}", true }, { "\\(3\\)", "3", true }, { "\\[3\\]", "3", true }, { "\\displaystyle\\frac{1}{4}", "0.25", true },
        { "\\frac{1}{4}.", "0.25", true }, { "3 \\cdot 4", "12", true }, { "12 \\div 4", "3", true }, { "2 \\times 3", "5", false }, { "−5", "-5", true },
        { "\\left[ 0, 1 \\right]", "[0,1]", true }, { "\\!3", "3", true }, { "\\frac{10}{4}", "\\frac{5}{2}", true }, { "\\frac{10}{4}", "2.4", false },
        // malformed or odd candidates never match and never throw
        { "5", "", false }, { "5", "}{", false }, { "5", "\\frac{", false }, { "5", "((((", false }, { "x", "\\unknowncommand{3}", false },
        { "3", "3 + ", false }, { "x \\leq 3", "x \\le 3", true }, { "x \\geq 3", "x \\le 3", false }, { "1, 2, \\ldots", "1, 2, \\dots", true }, { "12", "twelve", false }, { "1/0", "1/0", true }, { "1/0", "5", false },
    };

    [Theory]
    [MemberData(nameof(Pairs))]
    public void Equivalence_matches_hand_judgement(string reference, string candidate, bool expected) =>
        Assert.Equal(expected, Strict.AreEquivalent(reference, candidate));

    [Fact]
    public void At_least_150_pairs_cover_both_outcomes()
    {
        var pairs = Pairs.Select(p => (bool)p[2]).ToList();
        Assert.True(pairs.Count >= 150, $"{pairs.Count} pairs");
        Assert.True(pairs.Count(p => p) >= 60 && pairs.Count(p => !p) >= 50);
    }

    [Theory]
    [InlineData("(1, 2)", "[1, 2]")]
    [InlineData("(0, 1]", "[0, 1)")]
    public void Lenient_brackets_ignore_bracket_kind(string a, string b)
    {
        Assert.False(Strict.AreEquivalent(a, b));
        Assert.True(new MathEquivalence(BracketStrictness.Lenient).AreEquivalent(a, b));
    }

    [Fact]
    public void Lenient_brackets_still_compare_elements_in_order() =>
        Assert.False(new MathEquivalence(BracketStrictness.Lenient).AreEquivalent("(1, 2)", "[2, 1]"));

    [Fact]
    public void A_decimal_reference_sets_the_precision_a_decimal_candidate_must_earn()
    {
        Assert.True(Strict.AreEquivalent("3.1416", "\\pi"));   // the reference says 4 decimals
        Assert.False(Strict.AreEquivalent("\\pi", "3.1416"));  // 5 significant digits are not π
        Assert.True(new MathEquivalence(minimumSignificantDigits: 5).AreEquivalent("\\pi", "3.1416"));
    }
}
