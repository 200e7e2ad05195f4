using ProRL.Tasks.Model;
using ProRL.Tasks.Verification;

namespace ProRL.Tasks.Mathematics;

public sealed record MathVerifierOptions
{
    public MathExtraction Extraction { get; init; } = MathExtraction.All;
    public BracketStrictness Brackets { get; init; } = BracketStrictness.Strict;

    /// <summary>Significant digits a decimal answer needs to stand for a value with no finite decimal expansion (see <see cref="MathEquivalence"/>).</summary>
    public int MinimumSignificantDigits { get; init; } = 6;
}

/// <summary>What the verifier read and compared, for <c>prorl score --explain</c>.</summary>
public sealed record MathExplanation(
    string? Extracted, MathExtractionRule? Rule, string NormalizedReference, string? NormalizedCandidate, VerificationResult Result)
{
    /// <summary>One line: reward, extraction rule, extracted text, and the normalised forms compared.</summary>
    public string Describe() => Extracted is null
        ? $"reward {Result.Reward:0.###}: nothing extracted ({Result.Reason}); reference '{NormalizedReference}'"
        : $"reward {Result.Reward:0.###}: extracted '{Extracted}' by {MathVerifier.RuleName(Rule!.Value)}; compared '{NormalizedCandidate}' with reference '{NormalizedReference}'";
}

/// <summary>
/// Binary reward: 1 when the extracted final answer (<see cref="MathExtractor"/>) is equivalent to the reference
/// answer (<see cref="MathEquivalence"/>). An answer that lists several candidates where the reference is one value
/// (a list, a range, "A or B", several values in one box) is a list, and a list is not a single value: it earns 0.
/// </summary>
public sealed class MathVerifier(MathVerifierOptions? options = null) : PureVerifier
{
    private readonly MathVerifierOptions _options = options ?? new MathVerifierOptions();
    private readonly MathEquivalence _equivalence = new((options ?? new MathVerifierOptions()).Brackets, (options ?? new MathVerifierOptions()).MinimumSignificantDigits);

    public override string Domain => TaskDomains.Math;

    /// <summary>The hack classes the red-team tests (tests/ProRL.Tasks.Tests/Mathematics/MathRedTeamTests) hold at 0.</summary>
    public static IReadOnlyList<HackClass> HackClasses { get; } =
    [
        new("math/several-candidates", "several values for one answer: lists or sets in a box, ranges, \"A or B\", several boxes, ± hedges"),
        new("math/near-miss", "a number close to the reference: 1000001 for 1000000, 0.33 for 1/3, near misses hidden in roots or fractions"),
        new("math/fragment-reading", "a number the verifier could read out of context: a digit in a word, a denominator, an interval or inequality bound, digits side by side"),
        new("math/degenerate", "an empty box, or values too large to evaluate (towers of exponents)"),
    ];

    public override VerificationResult Verify(TaskItem task, string response) => Explain(task, response).Result;

    /// <summary>Verifies and reports the extraction rule and the normalised forms compared. Never throws.</summary>
    public MathExplanation Explain(TaskItem task, string response)
    {
        var reference = task.Answer ?? "";
        if (string.IsNullOrWhiteSpace(reference))
            return new(null, null, "", null, VerificationResult.Wrong("task has no reference answer"));
        try
        {
            var normalizedReference = LatexNormalizer.Normalize(reference);
            var extraction = MathExtractor.Extract(response ?? "", _options.Extraction, MathAnswer.Parse(reference, normalizedReference).ItemCount);
            if (extraction is null)
                return new(null, null, normalizedReference, null, VerificationResult.Malformed("no final answer found"));
            var normalizedCandidate = LatexNormalizer.Normalize(extraction.Answer);
            var rule = RuleName(extraction.Rule);
            var result = _equivalence.AreEquivalent(reference, extraction.Answer)
                ? VerificationResult.Correct($"equivalent to the reference ({rule})", extraction.Answer)
                : VerificationResult.Wrong($"'{Shorten(extraction.Answer)}' ({rule}) is not equivalent to '{Shorten(reference)}'", extraction.Answer);
            return new(extraction.Answer, extraction.Rule, normalizedReference, normalizedCandidate, result);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // A guard, not a path: malformed input must earn 0 with a reason rather than stop a batch.
            return new(null, null, reference, null, VerificationResult.Malformed($"unreadable answer ({e.GetType().Name})"));
        }
    }

    /// <summary>The final answer of a response, or null when none of the enabled extractors finds one.</summary>
    public static string? ExtractAnswer(string response, MathExtraction extraction = MathExtraction.All) =>
        MathExtractor.Extract(response, extraction)?.Answer;

    public static string RuleName(MathExtractionRule rule) => rule switch
    {
        MathExtractionRule.Boxed => "boxed",
        MathExtractionRule.FinalAnswerStatement => "final-answer statement",
        MathExtractionRule.AnswerPhrase => "answer phrase",
        MathExtractionRule.MathSpan => "last math span",
        _ => "plain number",
    };

    private static string Shorten(string s) => s.Length <= 60 ? s : s[..57] + "...";
}
