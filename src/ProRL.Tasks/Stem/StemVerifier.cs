using System.Text.RegularExpressions;
using ProRL.Tasks.Model;
using ProRL.Tasks.Text;
using ProRL.Tasks.Verification;

namespace ProRL.Tasks.Stem;

/// <summary>Multiple choice: binary reward for choosing the reference letter.</summary>
public sealed partial class StemVerifier : PureVerifier
{
    public override string Domain => TaskDomains.Stem;

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
    /// </summary>
    public static char? ExtractChoice(string response, char lastLetter = 'J')
    {
        bool Valid(string s, out char c)
        {
            s = s.Trim().Trim('(', ')', '[', ']', '*', '.', ':', ' ');
            if (s.StartsWith("\\text{", StringComparison.Ordinal)) s = s[6..].TrimEnd('}').Trim('(', ')');
            c = s.Length >= 1 ? char.ToUpperInvariant(s[0]) : '\0';
            return (s.Length == 1 || (s.Length > 1 && !char.IsLetter(s[1]))) && c >= 'A' && c <= lastLetter;
        }

        if (ResponseText.LastBoxed(response) is { } boxed && Valid(boxed, out var b)) return b;
        if (ResponseText.LastTagContent(response, "answer") is { } tagged && Valid(tagged, out var t)) return t;
        foreach (var pattern in new[] { AnswerIsPattern(), BoldPattern() })
        {
            var m = pattern.Matches(response).LastOrDefault();
            if (m is not null && Valid(m.Groups["c"].Value, out var c)) return c;
        }
        var lastLine = response.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).LastOrDefault();
        if (lastLine is not null && lastLine.Length <= 4 && Valid(lastLine, out var l)) return l;
        var paren = ParenPattern().Matches(response).LastOrDefault();
        if (paren is not null && Valid(paren.Groups["c"].Value, out var p)) return p;
        return null;
    }

    [GeneratedRegex(@"answer\s*(?:is|:)?\s*(?:option\s*)?[:\s]*\(?\**(?<c>[A-Za-z])\b", RegexOptions.IgnoreCase)]
    private static partial Regex AnswerIsPattern();

    [GeneratedRegex(@"\*\*\(?(?<c>[A-Z])\)?[.:]?\*\*")]
    private static partial Regex BoldPattern();

    [GeneratedRegex(@"\((?<c>[A-Z])\)")]
    private static partial Regex ParenPattern();
}
