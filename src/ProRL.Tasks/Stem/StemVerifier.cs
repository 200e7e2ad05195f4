using System.Text.RegularExpressions;
using ProRL.Tasks.Model;
using ProRL.Tasks.Text;
using ProRL.Tasks.Verification;

namespace ProRL.Tasks.Stem;

/// <summary>Multiple choice: binary reward for choosing the reference letter.</summary>
public sealed partial class StemVerifier : PureVerifier
{
    public override string Domain => TaskDomains.Stem;

    public static IReadOnlyList<HackClass> HackClasses { get; } =
    [
        new("stem/several-letters", "an answer naming several letters: \"A or B\", \\boxed{A,C}, <answer>AB</answer>, \"A/B/C/D\""),
        new("stem/options-listed", "listing every option letter with nothing else"),
    ];

    public override VerificationResult Verify(TaskItem task, string response)
    {
        var reference = task.Answer?.Trim().Trim('(', ')', '.').ToUpperInvariant();
        if (string.IsNullOrEmpty(reference) || reference.Length != 1 || !char.IsLetter(reference[0]))
            return VerificationResult.Wrong("task has no reference letter");
        var lastLetter = task.Choices is { Count: > 0 } choices ? (char)('A' + choices.Count - 1) : 'J';
        var chosen = ExtractChoice(response, lastLetter);
        if (chosen is null) return VerificationResult.Malformed("no choice letter found");
        return chosen.Value == reference[0]
            ? VerificationResult.Correct($"chose {chosen}", chosen.ToString())
            : VerificationResult.Wrong($"chose {chosen}, expected {reference}", chosen.ToString());
    }

    /// <summary>
    /// The chosen letter (A..<paramref name="lastLetter"/>): tried in order of explicitness — <c>\boxed{C}</c>,
    /// <c>&lt;answer&gt;C&lt;/answer&gt;</c>, "answer is (C)", "**C**", a lone letter on the last line, the last "(C)".
    /// The most explicit marker present decides: when it names several letters ("A or B", <c>\boxed{A,C}</c>, "AB"),
    /// there is no choice, rather than a fall-through to a weaker marker or the first letter named.
    /// </summary>
    public static char? ExtractChoice(string response, char lastLetter = 'J')
    {
        // null: not a choice at all; '\0': names several letters or is otherwise unreadable (no choice, stop looking).
        char? Read(string s)
        {
            s = s.Trim();
            if (s.StartsWith("\\text{", StringComparison.Ordinal)) s = s[6..].TrimEnd('}');
            s = s.Trim().Trim('(', ')', '[', ']', '*', '.', ':', ' ', '$');
            if (SeveralLetters().IsMatch(s)) return '\0';
            var c = s.Length >= 1 ? char.ToUpperInvariant(s[0]) : '\0';
            if (s.Length > 1 && char.IsLetter(s[1])) return s.All(char.IsUpper) && s.Length <= 10 ? '\0' : null; // "AB" names two; "Paris" names none
            return c >= 'A' && c <= lastLetter ? c : null;
        }

        char? Decide(char? c) => c == '\0' ? null : c;

        if (ResponseText.LastBoxed(response) is { } boxed) return Decide(Read(boxed));
        if (ResponseText.LastTagContent(response, "answer") is { } tagged) return Decide(Read(tagged));
        foreach (var pattern in new[] { AnswerIsPattern(), BoldPattern() })
        {
            var m = pattern.Matches(response).LastOrDefault();
            if (m is not null && Read(m.Groups["c"].Value + m.Groups["rest"].Value) is { } c) return Decide(c);
        }
        var lastLine = response.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).LastOrDefault();
        if (lastLine is not null && lastLine.Length <= 12 && Read(lastLine) is { } l) return Decide(l);
        var parens = ParenPattern().Matches(response);
        // "(A) (B) (C)" with nothing else is a list of the options, not a choice.
        if (parens.Select(m => m.Groups["c"].Value).Distinct().Count() > 1 && ParenPattern().Replace(response, "").Count(char.IsLetter) < 3) return null;
        var paren = parens.LastOrDefault();
        if (paren is not null && Read(paren.Groups["c"].Value) is { } p) return Decide(p);
        return null;
    }

    /// <summary>A letter followed by a list separator and another letter: "A or B", "A, C", "B/D", "A and C", "(A)(B)".</summary>
    [GeneratedRegex(@"^\(?[A-Ja-j]\)?\s*(?:,|/|;|&|\+|\||\b(?i:or|and)\b|\)\s*\(|\s)\s*\(?[A-J]\b")]
    private static partial Regex SeveralLetters();

    [GeneratedRegex(@"answer\s*(?:is|:)?\s*(?:option\s*)?[:\s]*\(?\**(?<c>[A-Za-z])\b(?<rest>[^\n]{0,12})", RegexOptions.IgnoreCase)]
    private static partial Regex AnswerIsPattern();

    [GeneratedRegex(@"\*\*\(?(?<c>[A-Z])\)?[.:]?\*\*(?<rest>)")]
    private static partial Regex BoldPattern();

    [GeneratedRegex(@"\((?<c>[A-Z])\)")]
    private static partial Regex ParenPattern();
}
