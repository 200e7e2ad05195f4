using System.Text.RegularExpressions;
using ProRL.Tasks.Model;
using ProRL.Tasks.Text;
using ProRL.Tasks.Verification;

namespace ProRL.Tasks.Mathematics;

/// <summary>Where the final answer may be taken from, tried in this order.</summary>
[Flags]
public enum MathExtraction
{
    /// <summary>The last <c>\boxed{}</c> or <c>\fbox{}</c>.</summary>
    Boxed = 1,
    /// <summary>"The final answer is X" / "Answer: X".</summary>
    FinalAnswerPhrase = 2,
    /// <summary>The last number in the response.</summary>
    LastNumber = 4,
    All = Boxed | FinalAnswerPhrase | LastNumber,
}

public sealed record MathVerifierOptions
{
    public MathExtraction Extraction { get; init; } = MathExtraction.All;
    public BracketStrictness Brackets { get; init; } = BracketStrictness.Strict;
    public double RelativeTolerance { get; init; } = 1e-6;
}

/// <summary>Binary reward: 1 when the extracted final answer is equivalent to the reference answer.</summary>
public sealed partial class MathVerifier(MathVerifierOptions? options = null) : PureVerifier
{
    private readonly MathVerifierOptions _options = options ?? new MathVerifierOptions();
    private readonly MathEquivalence _equivalence = new((options ?? new MathVerifierOptions()).Brackets, (options ?? new MathVerifierOptions()).RelativeTolerance);

    public override string Domain => TaskDomains.Math;

    public override VerificationResult Verify(TaskItem task, string response)
    {
        if (string.IsNullOrWhiteSpace(task.Answer)) return VerificationResult.Wrong("task has no reference answer");
        var extracted = ExtractAnswer(response, _options.Extraction);
        if (extracted is null) return VerificationResult.Malformed("no final answer found");
        return _equivalence.AreEquivalent(task.Answer, extracted)
            ? VerificationResult.Correct("equivalent to the reference", extracted)
            : VerificationResult.Wrong($"'{Shorten(extracted)}' is not equivalent to '{Shorten(task.Answer)}'", extracted);
    }

    /// <summary>The final answer of a response, or null when none of the enabled extractors finds one.</summary>
    public static string? ExtractAnswer(string response, MathExtraction extraction = MathExtraction.All)
    {
        if (extraction.HasFlag(MathExtraction.Boxed) && ResponseText.LastBoxed(response) is { } boxed && boxed.Trim().Length > 0)
            return boxed.Trim();
        if (extraction.HasFlag(MathExtraction.FinalAnswerPhrase))
        {
            var phrase = FinalAnswerPhrase().Matches(response).LastOrDefault();
            if (phrase is not null && phrase.Groups["answer"].Value.Trim().TrimEnd('.').Trim() is { Length: > 0 } said) return said;
        }
        if (extraction.HasFlag(MathExtraction.LastNumber))
        {
            var number = LastNumberPattern().Matches(response).LastOrDefault();
            if (number is not null) return number.Value.Replace(",", "");
        }
        return null;
    }

    private static string Shorten(string s) => s.Length <= 60 ? s : s[..57] + "...";

    [GeneratedRegex(@"(?:final answer is|the answer is|answer:)\s*:?\s*(?<answer>[^\n]+)", RegexOptions.IgnoreCase)]
    private static partial Regex FinalAnswerPhrase();

    [GeneratedRegex(@"-?\d{1,3}(?:,\d{3})+(?:\.\d+)?|-?\d+(?:\.\d+)?(?:/\d+)?")]
    private static partial Regex LastNumberPattern();
}
