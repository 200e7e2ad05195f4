using ProRL.Tasks.Mathematics;
using ProRL.Tasks.Model;

namespace ProRL.Tasks.Tests.Mathematics;

/// <summary>The exact-number rule (issue 11, item 3): integers and rationals exactly; decimals scaled to their digits.</summary>
public class ExactNumberTests
{
    private static readonly MathEquivalence Equivalence = new();

    [Theory]
    // large integers and near misses: no tolerance at all
    [InlineData("1000000", "1000001", false)]
    [InlineData("123456789", "123456790", false)]
    [InlineData("123456789", "123456789", true)]
    [InlineData("123456789012345678901234567890", "123456789012345678901234567891", false)]
    [InlineData("123456789012345678901234567890", "123456789012345678901234567890.0", true)]
    [InlineData("2^{100}", "1267650600228229401496703205376", true)]
    [InlineData("2^{100}", "1267650600228229401496703205377", false)]
    [InlineData("10^{30}", "10^{30}+1", false)]
    [InlineData("\\frac{1}{3}", "\\frac{333333333333}{1000000000000}", false)]
    [InlineData("\\frac{22}{7}", "\\frac{44}{14}", true)]
    [InlineData("2", "1.9999999", false)]
    [InlineData("2", "2.0000000001", false)]
    [InlineData("0.1", "0.1000001", false)]
    // decimal candidates against values without a finite decimal expansion: ≥ 6 significant digits, within one unit
    [InlineData("\\frac{1}{3}", "0.33", false)]
    [InlineData("\\frac{1}{3}", "0.3333", false)]
    [InlineData("\\frac{1}{3}", "0.333333", true)]
    [InlineData("\\frac{1}{3}", "0.333335", false)]
    [InlineData("\\frac{2}{3}", "0.666667", true)]
    [InlineData("\\frac{2}{3}", "0.666666", true)]
    [InlineData("\\frac{2}{3}", "0.666665", false)]
    [InlineData("\\pi", "3.1416", false)]
    [InlineData("\\pi", "3.14159265", true)]
    [InlineData("\\pi", "3.14159275", false)]
    [InlineData("\\sqrt{2}", "1.414", false)]
    [InlineData("\\sqrt{2}", "1.41421356", true)]
    [InlineData("\\sqrt{2}", "1.41421358", false)]
    [InlineData("\\pi", "3.14159265358979323846", true)]
    [InlineData("\\pi", "3.14159265358979323856", false)]
    // decimal references: the reference's digits set the precision
    [InlineData("3.1416", "\\pi", true)]
    [InlineData("3.14", "\\frac{22}{7}", true)]
    [InlineData("3.1416", "\\frac{22}{7}", false)]
    [InlineData("0.33", "\\frac{1}{3}", true)]
    [InlineData("0.333", "\\frac{1}{3}", true)]
    [InlineData("0.334", "\\frac{1}{3}", false)]
    [InlineData("3.1416", "3.14159", false)]
    [InlineData("1.5", "\\frac{151}{100}", false)]
    // scientific notation
    [InlineData("1500", "1.5e3", true)]
    [InlineData("1500", "1.5001e3", false)]
    [InlineData("6.02 \\times 10^{23}", "602000000000000000000000", true)]
    [InlineData("6.02 \\times 10^{23}", "602000000000000000000001", false)]
    [InlineData("3 \\times 10^{-8}", "0.00000003", true)]
    [InlineData("0", "1e-7", false)]
    [InlineData("2.5e-3", "\\frac{1}{400}", true)]
    // surds and fractions hiding a near miss
    [InlineData("2", "\\sqrt{4.0000001}", false)]
    [InlineData("2", "\\sqrt{4}", true)]
    [InlineData("2", "\\sqrt[3]{8.000001}", false)]
    [InlineData("\\sqrt{2}", "\\frac{99}{70}", false)]
    [InlineData("\\sqrt{2}", "\\frac{665857}{470832}", false)]
    [InlineData("\\sqrt{2}", "\\frac{3880899}{2744210}", false)]
    [InlineData("\\sqrt{2}", "\\frac{886731088897}{627013566048}", false)]
    [InlineData("\\sqrt{2}\\cdot\\sqrt{8}", "4", true)]
    [InlineData("\\pi", "\\frac{355}{113}", false)]
    [InlineData("2^{1/3}", "\\sqrt[3]{2}", true)]
    [InlineData("\\sqrt{3}", "\\sqrt{3 + 10^{-20}}", false)]
    [InlineData("\\frac{\\sqrt{2}}{2}", "\\frac{1}{\\sqrt{2}}", true)]
    [InlineData("3\\sqrt{13}", "\\sqrt{117}", true)]
    [InlineData("3\\sqrt{13}", "\\sqrt{117.000001}", false)]
    [InlineData("\\frac{1}{7}", "\\frac{142857}{1000000}", false)]
    [InlineData("\\frac{1}{7}", "0.142857", true)]
    public void Numbers_follow_the_exact_rule(string reference, string candidate, bool expected) =>
        Assert.Equal(expected, Equivalence.AreEquivalent(reference, candidate));

    [Theory]
    [InlineData("1000000", "\\boxed{1000001}", 0.0)]
    [InlineData("1000000", "\\boxed{1000000}", 1.0)]
    [InlineData("1000000", "\\boxed{1{,}000{,}000}", 1.0)]
    [InlineData("123456789", "The answer is 123456790.", 0.0)]
    [InlineData("2", "\\boxed{\\sqrt{4.0000001}}", 0.0)]
    [InlineData("2", "\\boxed{\\sqrt{4}}", 1.0)]
    public void The_verifier_pays_only_exact_answers(string reference, string response, double reward) =>
        Assert.Equal(reward, new MathVerifier().Verify(new TaskItem { Id = "t", Domain = TaskDomains.Math, Prompt = "p", Answer = reference }, response).Reward);
}
