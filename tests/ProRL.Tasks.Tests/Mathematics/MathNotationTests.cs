using ProRL.Tasks.Mathematics;

namespace ProRL.Tasks.Tests.Mathematics;

/// <summary>Normalisation (issue 12, item 2) and equivalence by notation class (item 3), reference first.</summary>
public class MathNotationTests
{
    private static readonly MathEquivalence Equivalence = new();

    public static TheoryData<string, string, string, bool> Cases => new()
    {
        // class, reference, candidate, equivalent
        { "thousands: comma", "7425000", "7,425,000", true },
        { "thousands: {,}", "14916", "14{,}916", true },
        { "thousands: spaced {, }", "14916", "14 {, }916", true },
        { "thousands: \\!", "12000023", "12,\\!000,\\!023", true },
        { "thousands: \\! with space", "11111111100", "11,\\! 111,\\! 111,\\! 100", true },
        { "thousands: thin space", "1000", "1\\,000", true },
        { "thousands: unicode thin space", "1000", "1\u2009000", true },
        { "thousands: plain space", "1000000", "1 000 000", true },
        { "thousands: not a list with spaces", "32349", "32, 349", false },
        { "decimal comma", "1000.99", "1000,99", true },
        { "decimal comma with leading zero", "0,111", "0.111", true },
        { "leading-dot decimal", "0.4", ".4", true },
        { "leading-dot decimal in a product", "0.72x", ".8\\cdot .9x", true },
        { "\\left \\right", "\\frac{1}{3}", "\\left( \\frac{1}{3} \\right)", true },
        { "\\dfrac", "1/3", "\\dfrac{1}{3}", true },
        { "\\tfrac", "1/3", "\\tfrac{1}{3}", true },
        { "\\cfrac", "1/3", "\\cfrac{1}{3}", true },
        { "malformed \\frac13", "1/3", "\\frac13", true },
        { "malformed \\frac3{3}", "1", "\\frac3{3}", true },
        { "malformed \\sqrt3", "\\sqrt{3}", "\\sqrt3", true },
        { "\\text wrapper", "\\text{Evelyn}", "Evelyn", true },
        { "\\text letter", "\\text{E}", "E", true },
        { "\\text choice", "\\text{C}", "\\text{(C)}", true },
        { "\\mathrm e", "1 - \\frac{1}{\\mathrm{e}}", "1 - e^{-1}", true },
        { "unit \\text", "1/3", "\\frac{1}{3} \\text{meters}", true },
        { "unit \\mbox squared", "15", "15\\mbox{ cm}^2", true },
        { "unit word", "0.06", "0.06 \\text{ yuan}", true },
        { "degrees", "90", "90^\\circ", true },
        { "degrees braced", "90^\\circ", "90^{\\circ}", true },
        { "percent sign", "28\\%", "28", true },
        { "percent as a fraction", "28\\%", "0.28", true },
        { "percent not the other way", "0.28", "28", false },
        { "mixed number", "40/9", "4 4/9", true },
        { "negative mixed number", "-40/9", "-4 4/9", true },
        { "mixed number is not its whole part", "4", "4 4/9", false },
        { "invalid mixed number", "12", "11 6/6", false },
        { "trailing period", "\\frac{1}{3}", "\\frac{1}{3}.", true },
        { "trailing comma", "\\frac{1}{3}", "\\frac{1}{3},", true },
        { "ellipsis is not punctuation", "1, 2, 3", "1, 2, 3, \\ldots", false },
        { "side by side", "66", "11 6", false },

        { "symbolic: expansion", "\\frac{x+2}{7}", "\\frac{x}{7}+\\frac{2}{7}", true },
        { "symbolic: strict variables", "f(x)", "f(y)", false },
        { "symbolic: different", "x+2n+1", "x+1", false },
        { "symbolic: cube root power", "\\frac{1}{3\\sqrt[3]{x}^2}", "\\frac{1}{3x^{2/3}}", true },
        { "trig: \\sec", "\\tan^2(y)+1", "\\sec^2(y)", true },
        { "trig: \\csc", "\\csc x", "\\frac{1}{\\sin x}", true },
        { "trig: \\cot", "\\cot(x)", "\\frac{\\cos(x)}{\\sin(x)}", true },
        { "trig: not equal", "\\sin x", "\\cos x", false },

        { "interval", "[0,1)", "[0,1)", true },
        { "interval bracket kinds", "(0,9)", "[0,9)", false },
        { "inequality", "x >= 5", "x \\geq 5", true },
        { "inequality flipped", "x \\leq 5", "5 \\geq x", true },
        { "inequality negated", "x < 1", "-x > -1", true },
        { "inequality wrong direction", "x > 5", "x < 5", false },
        { "inequality wrong bound", "x < 1", "x > -1", false },
        { "inequality as interval", "-793 < a < 10", "(-793, 10)", true },
        { "inequality \\neq", "x \\neq 5", "x != 5", true },
        { "membership against interval", "[-2, 7]", "x \\in [-2,7]", true },
        { "membership against inequality", "-2 \\le x \\le 7", "x \\in [-2,7]", true },
        { "membership union", "(2, 12) \\cup (12, 102)", "x \\in (2,12) \\cup (12,102)", true },
        { "union order", "\\{-1\\} \\cup [0,7)", "[0,7) \\cup \\{-1\\}", true },

        { "tuple order", "(6,31,-1)", "(6,31,-1)", true },
        { "tuple order matters", "(1, 2)", "(2, 1)", false },
        { "tuple vs set in written order", "(1,3)", "\\{1,3\\}", true },
        { "tuple vs set in another order", "(3,1)", "\\{1,3\\}", false },
        { "set order", "\\{1,2,3\\}", "\\{3,1,2\\}", true },
        { "list order", "-2,1", "1, -2", true },
        { "list with and", "19, 46, and 82", "19, 46, \\text{ and } 82", true },
        { "list with and, wrong", "19, 46, and 82", "21, 36, and 82", false },
        { "semicolon list", "-12;-11;-10", "\\{-10, -11, -12\\}", true },
        { "set of tuples", "(2,1),(1,2)", "(1, 2), (2, 1)", true },
        { "set of tuples, one missing", "(2,1),(1,2),(3,3)", "(1, 2), (2, 1)", false },
        { "duplicates in the candidate", "(37,3,3,13),(3,3,2,3)", "(3,3,2,3), (37,3,3,13), (3,3,2,3)", true },
        { "or between tuples", "(11,7)or(7,11)", "(7,11),\\ (11,7)", true },

        { "labelled tuple", "(p,q)=(3,2)", "(3,2)", true },
        { "labelled value", "k=1", "1", true },
        { "labelled candidate", "1", "k=1", true },
        { "labelled ratio", "V_{1}:V_{2}=11:21", "11:21", true },
        { "labelled fraction", "\\frac{NO}{BO}=\\frac{1}{\\sqrt{6}}", "\\frac{1}{\\sqrt{6}}", true },
        { "labelled list", "AB=4,CD=5", "4, 5", true },
        { "labelled groups", "p=5,q=2;p=7,q=2", "(5,2),(7,2)", true },
        { "labels in another order", "a_3 = 2, a_{37} = 19", "a_{37} = 19, a_3 = 2", true },
        { "labels with other values", "a_3 = 2, a_{37} = 19", "a_{37} = 2, a_3 = 19", false },
        { "equation is not its right side", "2x + z = 1", "1", false },
        { "number = expression is not a label", "7 = 11a+c", "11a+c", false },
        { "equation: multiple", "x^2/4 + y^2/3 = 1", "x^2/16 + y^2/12 = 1/4", true },
        { "equation: rearranged", "2x+4y-3=0", "y=-\\frac{1}{2}x+\\frac{3}{4}", true },
        { "equation: chain", "x = 11", "x = 5+5+1 = 7 = 11", true },
        { "equation: approximation remark", "x = 1/3", "x = 5+5+1 = 1/3 \\approx 11", true },
        { "equation: approximation alone", "11", "x\\approx11", true },
        { "equation with tuple right side", "(5, 8), (8, 5)", "(x, y) = (5, 8) \\text{ and } (8, 5)", true },

        { "matrix", "\\begin{pmatrix}1 & 2 \\\\ 3 & 4\\end{pmatrix}", "\\left[\\begin{array}{cc}1 & 2 \\\\3 & 4\\end{array}\\right]", true },
        { "matrix kinds", "\\begin{bmatrix}0 & 0 \\\\0 & 0\\end{bmatrix}", "\\begin{pmatrix}0 & 0 \\\\0 & 0\\end{pmatrix}", true },
        { "matrix entry", "\\begin{pmatrix}1 & 2 \\\\ 3 & 4\\end{pmatrix}", "\\begin{pmatrix}1 & 2 \\\\ 3 & 5\\end{pmatrix}", false },

        { "\\pm: set of two", "\\pm 2021", "\\{-2021, 2021\\}", true },
        { "\\pm: not one of them", "\\pm 2021", "2021", false },
        { "\\pm in an expression", "1 \\pm \\sqrt{19}", "1 + \\sqrt{19}, 1 - \\sqrt{19}", true },
        { "\\pm inside a set", "\\{1\\pm\\sqrt{5},-2\\}", "\\{-2, 1+\\sqrt{5}, 1-\\sqrt{5}\\}", true },
        { "\\pm inside a fraction", "x = \\frac{1}{2}, x = \\frac{-1 \\pm \\sqrt{13}}{4}", "x = \\frac{-1 - \\sqrt{13}}{4}, x = \\frac{1}{2}, x = \\frac{-1 + \\sqrt{13}}{4}", true },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Notation_classes_compare_as_documented(string notationClass, string reference, string candidate, bool expected) =>
        Assert.True(expected == Equivalence.AreEquivalent(reference, candidate), $"{notationClass}: '{reference}' vs '{candidate}' should be {(expected ? "equal" : "different")}");
}
