namespace ProRL.Tasks.Text;

/// <summary>Helpers that cut a model response into the parts verifiers look at.</summary>
public static class ResponseText
{
    private const string ThinkOpen = "<think>";
    private const string ThinkClose = "</think>";

    /// <summary>The text after the last <c>&lt;/think&gt;</c>, or the whole response when there is none.</summary>
    public static string AfterThinking(string response)
    {
        var end = response.LastIndexOf(ThinkClose, StringComparison.Ordinal);
        return end < 0 ? response : response[(end + ThinkClose.Length)..];
    }

    /// <summary>
    /// R1 style: optional leading whitespace, one <c>&lt;think&gt;…&lt;/think&gt;</c> block, then a non-empty answer.
    /// </summary>
    public static bool HasThinkThenAnswerFormat(string response)
    {
        var text = response.TrimStart();
        if (!text.StartsWith(ThinkOpen, StringComparison.Ordinal)) return false;
        var close = text.IndexOf(ThinkClose, StringComparison.Ordinal);
        if (close < 0) return false;
        if (text.IndexOf(ThinkOpen, ThinkOpen.Length, StringComparison.Ordinal) is var again && again >= 0 && again < close) return false;
        var rest = text[(close + ThinkClose.Length)..];
        return rest.Trim().Length > 0 && !rest.Contains(ThinkOpen, StringComparison.Ordinal) && !rest.Contains(ThinkClose, StringComparison.Ordinal);
    }

    /// <summary>The content of the last <c>&lt;tag&gt;…&lt;/tag&gt;</c> pair, or null.</summary>
    public static string? LastTagContent(string text, string tag)
    {
        var open = "<" + tag + ">";
        var close = "</" + tag + ">";
        var end = text.LastIndexOf(close, StringComparison.OrdinalIgnoreCase);
        if (end < 0) return null;
        var start = text.LastIndexOf(open, end, StringComparison.OrdinalIgnoreCase);
        return start < 0 ? null : text[(start + open.Length)..end].Trim();
    }

    /// <summary>
    /// The argument of the last <c>\boxed{…}</c> or <c>\fbox{…}</c> (braces balanced), or null.
    /// Also accepts <c>\boxed 5</c> (no braces, one token).
    /// </summary>
    public static string? LastBoxed(string text)
    {
        var best = -1;
        var bestLen = 0;
        foreach (var cmd in new[] { "\\boxed", "\\fbox" })
        {
            var at = text.LastIndexOf(cmd, StringComparison.Ordinal);
            if (at > best) { best = at; bestLen = cmd.Length; }
        }
        if (best < 0) return null;
        var i = best + bestLen;
        while (i < text.Length && text[i] == ' ') i++;
        if (i >= text.Length) return null;
        if (text[i] != '{')
        {
            var stop = i;
            while (stop < text.Length && !char.IsWhiteSpace(text[stop]) && text[stop] != '$') stop++;
            return stop > i ? text[i..stop] : null;
        }
        var close = MatchingBrace(text, i);
        return close < 0 ? null : text[(i + 1)..close];
    }

    /// <summary>Index of the brace that closes the one at <paramref name="open"/>, or -1.</summary>
    public static int MatchingBrace(string text, int open)
    {
        var depth = 0;
        for (var i = open; i < text.Length; i++)
        {
            if (text[i] == '\\' && i + 1 < text.Length && (text[i + 1] == '{' || text[i + 1] == '}')) { i++; continue; }
            if (text[i] == '{') depth++;
            else if (text[i] == '}' && --depth == 0) return i;
        }
        return -1;
    }
}
