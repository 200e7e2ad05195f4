using System.Text.RegularExpressions;

namespace ProRL.Tasks.Mathematics;

/// <summary>Where the final answer may be taken from. <see cref="MathExtractor"/> tries them in this order.</summary>
[Flags]
public enum MathExtraction
{
    /// <summary>The last <c>\boxed{}</c>/<c>\fbox{}</c> (with the boxes right before it, or the last k when the reference lists k answers), or a later "final answer is X" statement.</summary>
    Boxed = 1,
    /// <summary>"The final answer is X", "The answer is X", "Answer: X", read to the sentence's or the math span's end.</summary>
    FinalAnswerPhrase = 2,
    /// <summary>The last readable display or inline math span (<c>$…$</c>, <c>$$…$$</c>, <c>\(…\)</c>, <c>\[…\]</c>).</summary>
    MathSpan = 8,
    /// <summary>The last plain number, only when the response holds no readable math span.</summary>
    LastNumber = 4,
    All = Boxed | FinalAnswerPhrase | MathSpan | LastNumber,
}

/// <summary>The rule that produced an extraction (reported by <c>prorl score --explain</c>).</summary>
public enum MathExtractionRule { Boxed, FinalAnswerStatement, AnswerPhrase, MathSpan, PlainNumber }

public sealed record MathExtractionResult(string Answer, MathExtractionRule Rule);

/// <summary>
/// Finds the final answer of a response. Priority, first match wins:
/// <list type="number">
/// <item>the last <c>\boxed{}</c>/<c>\fbox{}</c>, together with the boxes just before it that only separators
/// ("and", ",", <c>\quad</c>, math delimiters) divide from it, or the last k boxes when the reference lists k answers;
/// a "final answer is X" statement written after the last box takes precedence over it (the MATH format's closing line);</item>
/// <item>a final-answer phrase ("the final answer is", "the answer is", "answer:"), read up to the end of its
/// sentence or of the math span it opens with; prose such as "The volume is 120" gives what follows the last "is",
/// and a sentence with exactly one plain number gives that number;</item>
/// <item>the last display or inline math span that reads as math (spans joined by "and"/"," form a list);</item>
/// <item>the last plain number, never inside a word (<c>AZYUK2A</c>), a fraction's denominator, a root, an interval
/// or a mixed number, read only when the response holds no readable math span; numbers joined by "or"/"and"/","
/// at the end are returned as the list they are.</item>
/// </list>
/// Pure; bounded to the last <see cref="MaxResponseChars"/> characters; never throws.
/// </summary>
public static partial class MathExtractor
{
    public const int MaxResponseChars = 100_000;

    public static MathExtractionResult? Extract(string response, MathExtraction enabled = MathExtraction.All, int referenceItems = 1)
    {
        if (string.IsNullOrEmpty(response)) return null;
        var text = response.Length > MaxResponseChars ? response[^MaxResponseChars..] : response;
        var spans = FindSpans(text);

        if (enabled.HasFlag(MathExtraction.Boxed))
        {
            var boxed = BoxedGroup(text, referenceItems, out var boxedAt);
            var statementAt = -1;
            var statement = enabled.HasFlag(MathExtraction.FinalAnswerPhrase) ? Statement(text, spans, out statementAt) : null;
            if (statement is not null && (boxed is null || statementAt > boxedAt) && IsReadable(statement))
                return new(statement, MathExtractionRule.FinalAnswerStatement);
            if (boxed is not null) return new(boxed, MathExtractionRule.Boxed);
        }
        if (enabled.HasFlag(MathExtraction.FinalAnswerPhrase))
        {
            if (!enabled.HasFlag(MathExtraction.Boxed) && Statement(text, spans, out _) is { } statement && IsReadable(statement))
                return new(statement, MathExtractionRule.FinalAnswerStatement);
            if (Phrase(text, spans) is { } phrase) return new(phrase, MathExtractionRule.AnswerPhrase);
        }
        var readableSpan = false;
        if (enabled.HasFlag(MathExtraction.MathSpan) || enabled.HasFlag(MathExtraction.LastNumber))
        {
            var fromSpan = LastReadableSpan(text, spans);
            readableSpan = fromSpan is not null;
            if (fromSpan is not null && enabled.HasFlag(MathExtraction.MathSpan)) return new(fromSpan, MathExtractionRule.MathSpan);
        }
        if (enabled.HasFlag(MathExtraction.LastNumber) && !readableSpan)
        {
            var from = spans.Count == 0 ? 0 : spans[^1].End;
            if (LastPlainNumber(text, from, text.Length) is { } number) return new(number, MathExtractionRule.PlainNumber);
        }
        // Nothing readable: the last span as written still compares as text (an answer the parser does not know).
        if (enabled.HasFlag(MathExtraction.MathSpan) && spans.Count > 0) return new(spans[^1].Content.Trim(), MathExtractionRule.MathSpan);
        return null;
    }

    // ---- boxes ---------------------------------------------------------------------------------------------------

    private readonly record struct Box(int Start, int End, string Content);

    private static List<Box> FindBoxes(string text)
    {
        var boxes = new List<Box>();
        var i = 0;
        var unclosed = 0;
        int b = -2, f = -2; // next occurrences, searched again only once passed (one scan per token, not per box)
        while (true)
        {
            if (boxes.Count > 1024) boxes.RemoveRange(0, 512); // only the last boxes matter
            if (b != -1 && b < i) b = text.IndexOf("\\boxed", i, StringComparison.Ordinal);
            if (f != -1 && f < i) f = text.IndexOf("\\fbox", i, StringComparison.Ordinal);
            var at = b < 0 ? f : f < 0 ? b : System.Math.Min(b, f);
            if (at < 0) break;
            var j = at + (at == b ? 6 : 5);
            while (j < text.Length && text[j] == ' ') j++;
            if (j < text.Length && text[j] == '{')
            {
                var close = Text.ResponseText.MatchingBrace(text, j);
                if (close < 0)
                {
                    // An unclosed box is skipped (a later box may still close); a few at most, each costs a scan.
                    if (++unclosed > 8) break;
                    i = j + 1;
                    continue;
                }
                var content = text[(j + 1)..close].Trim();
                if (content.Length > 0) boxes.Add(new Box(at, close + 1, content));
                i = close + 1;
            }
            else
            {
                var stop = j;
                while (stop < text.Length && !char.IsWhiteSpace(text[stop]) && text[stop] != '$') stop++;
                if (stop > j) boxes.Add(new Box(at, stop, text[j..stop]));
                i = System.Math.Max(stop, j + 1);
            }
        }
        return boxes;
    }

    private static string? BoxedGroup(string text, int referenceItems, out int at)
    {
        at = -1;
        var boxes = FindBoxes(text);
        if (boxes.Count == 0) return null;
        var first = boxes.Count - 1;
        while (first > 0 && boxes.Count - first < 64 && SeparatorOnly().IsMatch(text[boxes[first - 1].End..boxes[first].Start])) first--;
        // A reference that lists k answers may be answered by k separate boxes ("(3,3) for part (a) and (1,1)").
        if (referenceItems > 1 && boxes.Count - first < referenceItems && MathAnswer.Parse(boxes[^1].Content).ItemCount == 1)
            first = System.Math.Max(0, boxes.Count - referenceItems);
        at = boxes[^1].Start;
        return string.Join(", ", boxes.Skip(first).Select(b => b.Content));
    }

    // ---- phrases -------------------------------------------------------------------------------------------------

    private static string? Statement(string text, List<Span> spans, out int at)
    {
        at = -1;
        var m = FinalAnswerIs().Matches(text).LastOrDefault();
        if (m is null) return null;
        at = m.Index;
        return ReadAnswerAt(text, m.Index + m.Length, spans);
    }

    private static string? Phrase(string text, List<Span> spans)
    {
        var m = AnswerPhrase().Matches(text).LastOrDefault();
        if (m is null) return null;
        var start = m.Index + m.Length;
        var end = SentenceEnd(text, start, spans);
        if (ProseTail().Match(text[start..end]) is { Success: true } prose && prose.Index > 0) end = start + prose.Index;
        var sentence = text[start..end];
        // "The volume of $ABCDEFGH$ is 120": the answer follows the last "is".
        var isAt = IsWord().Matches(sentence).LastOrDefault();
        var tail = isAt is null ? start : start + isAt.Index + isAt.Length;
        if (ReadAnswerAt(text, tail, spans) is { } said && IsReadable(said)) return said;
        // Prose around one number ("Jane started 3 hours ago"): that number.
        var inside = spans.Where(s => s.Start < end && start < s.End).ToList();
        var numbers = PlainNumbers(text, start, end).Where(n => !inside.Any(s => s.Start < n.End && n.Start < s.End)).ToList();
        return numbers.Count == 1 ? numbers[0].Text : null;
    }

    /// <summary>The answer starting at <paramref name="start"/>: math spans joined by separators, or text to the sentence's end.</summary>
    private static string? ReadAnswerAt(string text, int start, List<Span> spans)
    {
        var i = start;
        while (i < text.Length && (char.IsWhiteSpace(text[i]) || text[i] is ':' or '"' or '*' || (text[i] == '\\' && i + 1 < text.Length && text[i + 1] == '"'))) i++;
        var first = spans.FindIndex(s => s.Start == i);
        if (first >= 0)
        {
            var last = first;
            while (last + 1 < spans.Count && last - first < 9 && SeparatorOnly().IsMatch(text[spans[last].End..spans[last + 1].Start])) last++;
            return string.Join(", ", spans.Skip(first).Take(last - first + 1).Select(s => s.Content.Trim()));
        }
        var end = SentenceEnd(text, i, spans);
        var said = text[i..end].Trim().TrimEnd('"', '*', '\\').Trim();
        said = ProseTail().Replace(said, "").Trim(); // "5, which is odd" and "5 because ..." answer 5
        return said.Length > 0 ? said : null;
    }

    /// <summary>End of the sentence from <paramref name="start"/>: a newline, ". " (not a decimal point), " I hope", or a chat marker; math spans are skipped whole.</summary>
    private static int SentenceEnd(string text, int start, List<Span> spans)
    {
        var limit = System.Math.Min(text.Length, start + 2000);
        var spanIndex = spans.FindIndex(s => s.End > start);
        for (var i = start; i < limit; i++)
        {
            if (spanIndex >= 0 && spanIndex < spans.Count && spans[spanIndex].Start == i)
            {
                i = spans[spanIndex].End - 1;
                spanIndex++;
                continue;
            }
            while (spanIndex >= 0 && spanIndex < spans.Count && spans[spanIndex].End <= i) spanIndex++;
            var c = text[i];
            if (c is '\n' or '\r') return i;
            if (c is '.' or '!' or '?' or ';' && (i + 1 >= text.Length || char.IsWhiteSpace(text[i + 1]) || text[i + 1] is '<' or '"')) return i;
            if (c == '<' && i + 1 < text.Length && text[i + 1] == '|') return i;
            if (string.CompareOrdinal(text, i, " I hope", 0, 7) == 0) return i;
        }
        return limit;
    }

    // ---- math spans ----------------------------------------------------------------------------------------------

    private readonly record struct Span(int Start, int End, string Content);

    /// <summary>Display (<c>$$…$$</c>, <c>\[…\]</c>) and inline (<c>$…$</c>, <c>\(…\)</c>, one line) spans, in order.</summary>
    private static List<Span> FindSpans(string text)
    {
        var spans = FindDelimitedSpans(text);
        // A bare \frac{a}{b} of numbers outside any span is math too ("The answer is \frac{10}{9}").
        foreach (Match m in BareFraction().Matches(text))
            if (!spans.Any(s => s.Start <= m.Index && m.Index < s.End)) spans.Add(new Span(m.Index, m.Index + m.Length, m.Value));
        spans.Sort((a, b) => a.Start.CompareTo(b.Start));
        return spans;
    }

    private static List<Span> FindDelimitedSpans(string text)
    {
        var spans = new List<Span>();
        var failedUntil = new Dictionary<string, int>(); // a closing token missing up to here stays missing (no quadratic rescans)
        int IndexOfUnescaped(string token, int from, bool multiline)
        {
            if (failedUntil.TryGetValue(token, out var until) && from < until) return -1;
            var found = FindClosing(text, token, from, multiline, out var stop);
            if (found < 0) failedUntil[token] = stop;
            return found;
        }
        var i = 0;
        while (i < text.Length && spans.Count < 100_000)
        {
            var c = text[i];
            if (c == '$' && (i == 0 || text[i - 1] != '\\'))
            {
                if (i + 1 < text.Length && text[i + 1] == '$')
                {
                    var close = IndexOfUnescaped("$$", i + 2, multiline: true);
                    if (close > i + 2) { spans.Add(new Span(i, close + 2, text[(i + 2)..close])); i = close + 2; continue; }
                    i += 2;
                    continue;
                }
                if (i > 0 && char.IsDigit(text[i - 1])) { i++; continue; } // "1,000.99$" is a currency sign
                var end = IndexOfUnescaped("$", i + 1, multiline: false);
                if (end > i + 1 && text[(i + 1)..end].Trim().Length > 0) { spans.Add(new Span(i, end + 1, text[(i + 1)..end])); i = end + 1; continue; }
                i++;
                continue;
            }
            if (c == '\\' && i + 1 < text.Length && text[i + 1] is '[' or '(')
            {
                var display = text[i + 1] == '[';
                var close = IndexOfUnescaped(display ? "\\]" : "\\)", i + 2, multiline: display);
                if (close > i + 2) { spans.Add(new Span(i, close + 2, text[(i + 2)..close])); i = close + 2; continue; }
            }
            i++;
        }
        return spans;
    }

    /// <summary>The next unescaped <paramref name="token"/> from <paramref name="from"/> (not past a newline unless multiline); <paramref name="stop"/> is where a failed search ended.</summary>
    private static int FindClosing(string text, string token, int from, bool multiline, out int stop)
    {
        for (var i = from; i <= text.Length - token.Length; i++)
        {
            if (!multiline && text[i] == '\n') { stop = i; return -1; }
            if (string.CompareOrdinal(text, i, token, 0, token.Length) != 0) continue;
            if (token[0] == '$' && i > 0 && text[i - 1] == '\\') continue;
            stop = i;
            return i;
        }
        stop = text.Length;
        return -1;
    }

    private static string? LastReadableSpan(string text, List<Span> spans)
    {
        // Bounded work: the last 200 spans, groups of at most 10 (a response of thousands of unreadable spans is not quadratic).
        for (var last = spans.Count - 1; last >= System.Math.Max(0, spans.Count - 200); last--)
        {
            var first = last;
            while (first > 0 && last - first < 9 && SeparatorOnly().IsMatch(text[spans[first - 1].End..spans[first].Start])) first--;
            if (first < last)
            {
                var group = spans.Skip(first).Take(last - first + 1).Select(s => s.Content.Trim()).ToList();
                if (group.All(IsReadable)) return string.Join(", ", group);
            }
            if (IsReadable(spans[last].Content)) return spans[last].Content.Trim();
        }
        return null;
    }

    // ---- plain numbers -------------------------------------------------------------------------------------------

    private readonly record struct PlainNumber(int Start, int End, string Text);

    private static List<PlainNumber> PlainNumbers(string text, int from, int to)
    {
        var list = new List<PlainNumber>();
        if (to <= from) return list;
        foreach (Match m in PlainNumberPattern().Matches(text[from..to]))
        {
            var raw = m.Groups["num"].Value;
            var value = LatexNormalizer.NumberGroups(raw.Trim());
            if (m.Groups["pct"].Success) value = $"({value})/100";
            list.Add(new PlainNumber(from + m.Index, from + m.Index + m.Length, value));
            if (list.Count > 100_000) break;
        }
        return list;
    }

    private static string? LastPlainNumber(string text, int from, int to)
    {
        var numbers = PlainNumbers(text, from, to);
        if (numbers.Count == 0) return null;
        // "3 or 4", "3, 4": several candidates at the end are returned as the list they are.
        // "11 + 4/9", "3-5": numbers joined by operators are one expression (never by juxtaposition: "11 6" is two).
        var merged = new List<PlainNumber> { numbers[0] };
        for (var k = 1; k < numbers.Count; k++)
        {
            var gap = text[merged[^1].End..numbers[k].Start];
            if (OperatorGap().IsMatch(gap) && !merged[^1].Text.EndsWith("/100)", StringComparison.Ordinal))
                merged[^1] = new PlainNumber(merged[^1].Start, numbers[k].End, $"{merged[^1].Text}{gap.Trim()}{numbers[k].Text}");
            else merged.Add(numbers[k]);
        }
        var first = merged.Count - 1;
        while (first > 0 && ListGap().IsMatch(text[merged[first - 1].End..merged[first].Start])) first--;
        return string.Join(", ", merged.Skip(first).Select(n => n.Text));
    }

    /// <summary>True when the text reads as math: every part parses, or is plain words (a name or a letter choice).</summary>
    internal static bool IsReadable(string text)
    {
        if (text.Length == 0 || text.Length > 4000) return false;
        return IsReadable(MathAnswer.Parse(text), 0);
    }

    private static bool IsReadable(MathAnswer answer, int depth) => depth < 20 && answer switch
    {
        ScalarAnswer s => s.Text.Length > 0 && ((MathParser.TryParse(s.Text) is not null && !HasProse(s.Text)) || PlainWords().IsMatch(s.Text) || s.Text == "∅"),
        BracketedAnswer b => b.Items.All(i => IsReadable(i, depth + 1)),
        SetAnswer s => s.Items.All(i => IsReadable(i, depth + 1)),
        UnionAnswer u => u.Parts.All(p => IsReadable(p, depth + 1)),
        MatrixAnswer m => m.Rows.All(r => r.All(c => IsReadable(c, depth + 1))),
        EquationAnswer e => (MathParser.TryParse(e.Left) is not null || MathAnswer.IsLabel(e.Left)) && IsReadable(e.RightValue, depth + 1),
        RelationAnswer r => r.Terms.All(t => MathParser.TryParse(t) is not null || MathAnswer.IsLabel(t)),
        MembershipAnswer m => IsReadable(m.Set, depth + 1),
        _ => false,
    };

    /// <summary>A run of three letters or more that is no function or constant name: words, not a product of variables.</summary>
    private static bool HasProse(string s) =>
        Letters().Matches(s).Any(m => !FunctionExpr.Known.Contains(m.Value) && m.Value is not ("inf" or "pi"));

    [GeneratedRegex("[a-zA-Z]{3,}")]
    private static partial Regex Letters();

    [GeneratedRegex(@"(?:,\s*(?:which|since|because|so|as|where|and\s+(?:this|that|it|the|we|so))|\s+(?:because|since|which))\b.*$", RegexOptions.IgnoreCase | RegexOptions.Singleline)]
    private static partial Regex ProseTail();

    [GeneratedRegex(@"final answer is\s*:?", RegexOptions.IgnoreCase)]
    private static partial Regex FinalAnswerIs();

    [GeneratedRegex(@"(?:the answer is|answer is|answer\s*:)", RegexOptions.IgnoreCase)]
    private static partial Regex AnswerPhrase();

    [GeneratedRegex(@"\bis\b\s*:?")]
    private static partial Regex IsWord();

    // Only separators between boxes or spans: whitespace, punctuation, math delimiters, \quad, "and"/"or".
    [GeneratedRegex(@"^(?:\s|[,;.$]|\\quad|\\qquad|\\[,;: ]|\\\[|\\\]|\\\(|\\\)|\band\b|\bor\b|\\text\s*\{\s*(?:and|or|,)?\s*\})*$", RegexOptions.IgnoreCase)]
    private static partial Regex SeparatorOnly();

    [GeneratedRegex(@"^\s*(?:,|;|or|and|,\s*or|,\s*and|to)\s*$", RegexOptions.IgnoreCase)]
    private static partial Regex ListGap();

    [GeneratedRegex(@"^\s*[-+*×÷^]\s*$")]
    private static partial Regex OperatorGap();

    [GeneratedRegex(@"^[A-Za-z][A-Za-z '\-]*$")]
    private static partial Regex PlainWords();

    [GeneratedRegex(@"-?\\[dtc]?frac\{\s*-?\d+(?:\.\d+)?\s*\}\{\s*-?\d+(?:\.\d+)?\s*\}")]
    private static partial Regex BareFraction();

    // A number standing alone: after the start, whitespace, '=', a currency sign, or an operator that follows a
    // number (so not inside a word, a denominator, a root, a power of a variable or a bracket), and not followed by a
    // slash, digit or closing bracket.
    [GeneratedRegex(@"(?<=^|[\s=$€£]|[\d\s][+\-*×÷^])(?<num>[-+]?(?:\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d{1,3}(?: \d{3})+(?:\.\d+)?(?=[^\d/]|$)|\d+,\d{2}(?!\d)|\d+(?:\.\d+)?|\.\d+)(?: \d+/\d+|/\d+)?)(?![\d/)\]]|\.\d|,\d)(?<pct>\s?(?:%|percentage|percent|pct))?")]
    private static partial Regex PlainNumberPattern();
}
