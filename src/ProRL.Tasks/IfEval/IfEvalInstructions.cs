using System.Text.Json;
using System.Text.RegularExpressions;

namespace ProRL.Tasks.IfEval;

/// <summary>
/// The instruction checkers, keyed by IFEval's instruction ids, with IFEval's keyword-argument names and rules
/// (Zhou et al., 2023). A checker gets the response text and the instruction's kwargs and says whether it is followed.
/// </summary>
public static partial class IfEvalInstructions
{
    public delegate bool Checker(string response, Args args);

    /// <summary>Typed access to an instruction's kwargs; a missing or mistyped one throws <see cref="ArgumentException"/>.</summary>
    public sealed class Args(string instructionId, IReadOnlyDictionary<string, JsonElement> values)
    {
        public int Int(string name) => Get(name) switch
        {
            { ValueKind: JsonValueKind.Number } e when e.TryGetInt32(out var v) => v,
            { ValueKind: JsonValueKind.String } e when int.TryParse(e.GetString(), out var v) => v,
            _ => throw Bad(name, "an integer"),
        };

        public string Text(string name) => Get(name) switch
        {
            { ValueKind: JsonValueKind.String } e => e.GetString()!,
            _ => throw Bad(name, "a string"),
        };

        public IReadOnlyList<string> List(string name) => Get(name) switch
        {
            { ValueKind: JsonValueKind.Array } e => e.EnumerateArray().Select(x => x.GetString() ?? "").ToList(),
            { ValueKind: JsonValueKind.String } e => [e.GetString()!],
            _ => throw Bad(name, "a list of strings"),
        };

        /// <summary>IFEval relations: "less than" (strictly) or "at least".</summary>
        public bool Compare(int actual, string countName, string relationName = "relation")
        {
            var limit = Int(countName);
            return Text(relationName).Trim().ToLowerInvariant() switch
            {
                "less than" => actual < limit,
                "at least" => actual >= limit,
                var other => throw new ArgumentException($"{instructionId}: '{relationName}' must be 'less than' or 'at least', not '{other}'"),
            };
        }

        private JsonElement Get(string name) =>
            values.TryGetValue(name, out var v) && v.ValueKind is not JsonValueKind.Null ? v : throw Bad(name, "present");

        private ArgumentException Bad(string name, string expected) => new($"{instructionId}: kwarg '{name}' must be {expected}");
    }

    public static readonly IReadOnlyDictionary<string, Checker> Checkers = new Dictionary<string, Checker>
    {
        ["punctuation:no_comma"] = (r, _) => !r.Contains(','),
        ["length_constraints:number_words"] = (r, a) => a.Compare(CountWords(r), "num_words"),
        ["length_constraints:number_sentences"] = (r, a) => a.Compare(CountSentences(r), "num_sentences"),
        ["length_constraints:number_paragraphs"] = (r, a) => StarParagraphs(r) is { } p && p == a.Int("num_paragraphs"),
        ["length_constraints:nth_paragraph_first_word"] = NthParagraphFirstWord,
        // Keywords are trimmed as IFEval does when it builds the instruction; an empty one is a malformed task, not a free pass.
        ["keywords:existence"] = (r, a) => a.List("keywords").All(k => Keyword(k) is { } w && Regex.IsMatch(r, Regex.Escape(w), RegexOptions.IgnoreCase)),
        ["keywords:forbidden_words"] = (r, a) =>
            a.List("forbidden_words").All(k => Keyword(k) is { } w && !Regex.IsMatch(r, $@"\b{Regex.Escape(w)}\b", RegexOptions.IgnoreCase)),
        ["keywords:frequency"] = (r, a) =>
            Keyword(a.Text("keyword")) is { } w && a.Compare(Regex.Matches(r, Regex.Escape(w), RegexOptions.IgnoreCase).Count, "frequency"),
        ["keywords:letter_frequency"] = (r, a) =>
            a.Compare(r.ToLowerInvariant().Count(c => c == char.ToLowerInvariant(a.Text("letter").Single())), "let_frequency", "let_relation"),
        ["detectable_format:json_format"] = (r, _) => IsJson(r),
        ["detectable_format:number_bullet_lists"] = (r, a) => StarBullet().Matches(r).Count + DashBullet().Matches(r).Count == a.Int("num_bullets"),
        ["detectable_format:number_highlighted_sections"] = (r, a) => CountHighlights(r) >= a.Int("num_highlights"),
        ["detectable_format:multiple_sections"] = (r, a) =>
            Regex.Split(r, @"\s?" + Regex.Escape(a.Text("section_spliter").Trim()) + @"\s?\d+\s?").Length - 1 >= a.Int("num_sections"),
        ["detectable_format:title"] = (r, _) => Title().Matches(r).Any(m => m.Value[2..^2].Trim().Length > 0),
        ["detectable_format:constrained_response"] = (r, _) => new[] { "My answer is yes.", "My answer is no.", "My answer is maybe." }.Any(r.Contains),
        // As the official check: the case rule (python's islower/isupper) and the text must be English.
        ["change_case:english_lowercase"] = (r, _) => HasCased(r) && !r.Any(char.IsUpper) && LanguageIdentifier.IsLanguage(r, "en"),
        ["change_case:english_capital"] = (r, _) => HasCased(r) && !r.Any(char.IsLower) && LanguageIdentifier.IsLanguage(r, "en"),
        ["language:response_language"] = (r, a) => LanguageIdentifier.IsLanguage(r, a.Text("language").Trim().ToLowerInvariant()),
        ["change_case:capital_word_frequency"] = (r, a) =>
            a.Compare(Word().Matches(r).Count(m => m.Value.Any(char.IsLetter) && m.Value == m.Value.ToUpperInvariant()), "capital_frequency", "capital_relation"),
        ["startend:end_checker"] = (r, a) => r.Trim().ToLowerInvariant().EndsWith(a.Text("end_phrase").Trim().ToLowerInvariant(), StringComparison.Ordinal),
        ["startend:quotation"] = (r, _) => r.Trim() is { Length: > 1 } t && t[0] == '"' && t[^1] == '"',
        ["detectable_content:number_placeholders"] = (r, a) => Placeholder().Matches(r).Count >= a.Int("num_placeholders"),
        ["detectable_content:postscript"] = (r, a) => HasPostscript(r, a.Text("postscript_marker")),
        ["combination:two_responses"] = (r, _) => TwoDifferentResponses(r),
        ["combination:repeat_prompt"] = (r, a) => r.Trim().ToLowerInvariant().StartsWith(a.Text("prompt_to_repeat").Trim().ToLowerInvariant(), StringComparison.Ordinal),
    };

    /// <summary>Words as IFEval counts them: runs of word characters.</summary>
    public static int CountWords(string text) => Word().Matches(text).Count;

    /// <summary>
    /// Sentences, approximating the Punkt tokenizer the official check uses: a run of text ends at . ! or ? (closing
    /// quotes, brackets or asterisks may follow) before whitespace, except after a number or a single letter followed by
    /// a lowercase word ("1. apples", "e. coli"), which Punkt reads as a list marker or an initial.
    /// </summary>
    public static int CountSentences(string text)
    {
        var count = 0;
        var start = 0;
        var t = text.Trim();
        foreach (Match m in SentenceEnd().Matches(t))
        {
            var piece = t[start..m.Index];
            var next = m.Index + m.Length < t.Length ? t[m.Index + m.Length] : '\0';
            var lastToken = piece.TrimEnd('.', '!', '?', '"', '\'', '”', '’', ')', ']', '*').Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries).LastOrDefault() ?? "";
            var isMarker = piece.TrimEnd().EndsWith('.') && (lastToken.All(char.IsDigit) || (lastToken.Length == 1 && char.IsLetter(lastToken[0])));
            if (isMarker && char.IsLower(next)) continue;
            if (piece.Any(char.IsLetterOrDigit)) count++;
            start = m.Index + m.Length;
        }
        if (t[start..].Any(char.IsLetterOrDigit)) count++;
        return count;
    }

    /// <summary>Paragraphs separated by the markdown divider <c>***</c>; null when one in the middle is empty.</summary>
    private static int? StarParagraphs(string text)
    {
        var parts = Regex.Split(text, @"\s?\*\*\*\s?").ToList();
        for (var i = 0; i < parts.Count; i++)
            if (parts[i].Trim().Length == 0 && i != 0 && i != parts.Count - 1) return null;
        return parts.Count(p => p.Trim().Length > 0);
    }

    /// <summary>
    /// Paragraphs split on blank lines (empty ones not counted, but still indexed, as the official check does); the
    /// first word is read up to its first punctuation mark, so "Rea!lly" is "rea", not "really".
    /// </summary>
    private static bool NthParagraphFirstWord(string text, Args a)
    {
        var paragraphs = text.Split("\n\n");
        var count = paragraphs.Count(p => p.Trim().Length > 0);
        var nth = a.Int("nth_paragraph");
        if (nth < 1 || nth > count) return false;
        var paragraph = paragraphs[nth - 1].Trim();
        if (paragraph.Length == 0) return false;
        var word = paragraph.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries)[0].TrimStart('\'').TrimStart('"');
        var first = new string(word.TakeWhile(c => c is not ('.' or ',' or '?' or '!' or '\'' or '"')).ToArray()).ToLowerInvariant();
        return count == a.Int("num_paragraphs") && first == a.Text("first_word").Trim().ToLowerInvariant();
    }

    private static string? Keyword(string keyword) => keyword.Trim() is { Length: > 0 } k ? k : null;

    /// <summary>Python's "cased" characters: those with an upper or lower case (not CJK, digits or punctuation).</summary>
    private static bool HasCased(string text) => text.Any(c => char.IsUpper(c) || char.IsLower(c));

    private static bool IsJson(string text)
    {
        var t = text.Trim();
        foreach (var prefix in new[] { "```json", "```Json", "```JSON", "```" })
            if (t.StartsWith(prefix, StringComparison.Ordinal)) { t = t[prefix.Length..]; break; }
        if (t.EndsWith("```", StringComparison.Ordinal)) t = t[..^3];
        try { using var _ = JsonDocument.Parse(t.Trim()); return true; }
        catch (JsonException) { return false; }
    }

    private static int CountHighlights(string text) =>
        SingleStar().Matches(text).Count(m => m.Value.Trim('*').Trim().Length > 0) +
        DoubleStar().Matches(text).Count(m => m.Value.Trim('*').Trim().Length > 0);

    private static bool HasPostscript(string text, string marker)
    {
        var lower = text.ToLowerInvariant();
        var pattern = marker.Trim() switch
        {
            "P.P.S" => @"\s*p\.\s?p\.\s?s.*$",
            "P.S." => @"\s*p\.\s?s\..*$",
            var other => @"\s*" + Regex.Escape(other.ToLowerInvariant()) + ".*$",
        };
        return Regex.IsMatch(lower, pattern, RegexOptions.Multiline);
    }

    private static bool TwoDifferentResponses(string text)
    {
        var parts = text.Split("******");
        var valid = new List<string>();
        for (var i = 0; i < parts.Length; i++)
        {
            if (parts[i].Trim().Length > 0) valid.Add(parts[i].Trim());
            else if (i != 0 && i != parts.Length - 1) return false;
        }
        return valid.Count == 2 && valid[0] != valid[1];
    }

    [GeneratedRegex(@"\w+")] private static partial Regex Word();
    [GeneratedRegex(@"(?<=[.!?][""'”’)\]*]*)\s+")] private static partial Regex SentenceEnd();
    [GeneratedRegex(@"^\s*\*[^\*].*$", RegexOptions.Multiline)] private static partial Regex StarBullet();
    [GeneratedRegex(@"^\s*-.*$", RegexOptions.Multiline)] private static partial Regex DashBullet();
    [GeneratedRegex(@"\*[^\n\*]*\*")] private static partial Regex SingleStar();
    [GeneratedRegex(@"\*\*[^\n\*]*\*\*")] private static partial Regex DoubleStar();
    [GeneratedRegex(@"<<[^\n]+>>")] private static partial Regex Title();
    [GeneratedRegex(@"\[.*?\]")] private static partial Regex Placeholder();
}
