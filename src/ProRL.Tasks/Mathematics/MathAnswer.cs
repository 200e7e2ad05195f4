using System.Text.RegularExpressions;

namespace ProRL.Tasks.Mathematics;

/// <summary>The shape of a normalised answer: one value, a bracketed tuple/interval, a set, a union, a matrix, or an equation.</summary>
public abstract partial record MathAnswer
{
    /// <summary>Splits a raw (LaTeX or plain) answer into its structure. Never throws.</summary>
    public static MathAnswer Parse(string raw)
    {
        if (TryParseMatrix(raw) is { } matrix) return matrix;
        return FromNormalized(LatexNormalizer.Normalize(raw));
    }

    internal static MathAnswer FromNormalized(string s)
    {
        s = s.Trim();
        if (ThousandsNumber().IsMatch(s)) return new ScalarAnswer(s.Replace(",", ""));
        var unionParts = SplitTopLevel(s, '∪');
        if (unionParts.Count > 1) return new UnionAnswer(unionParts.Select(FromNormalized).ToList());
        if (s.Length >= 2 && s[0] == LatexNormalizer.SetOpen && s[^1] == LatexNormalizer.SetClose && Closes(s, 0) == s.Length - 1)
            return new SetAnswer(SplitTopLevel(s[1..^1], ',').Select(FromNormalized).ToList());
        if (s.Length >= 2 && s[0] is '(' or '[' && s[^1] is ')' or ']' && Closes(s, 0) == s.Length - 1)
        {
            var inner = SplitTopLevel(s[1..^1], ',');
            if (inner.Count > 1) return new BracketedAnswer(s[0], s[^1], inner.Select(FromNormalized).ToList());
        }
        var items = SplitTopLevel(s, ',');
        if (items.Count > 1) return new SetAnswer(items.Select(FromNormalized).ToList()); // "1, 2" or "x=1, x=2": unordered
        var sides = SplitTopLevel(s, '=');
        if (sides.Count == 2) return new EquationAnswer(sides[0].Trim(), sides[1].Trim());
        return new ScalarAnswer(s);
    }

    /// <summary>Index of the bracket closing the one at <paramref name="open"/>, counting all bracket kinds as one depth.</summary>
    private static int Closes(string s, int open)
    {
        var depth = 0;
        for (var i = open; i < s.Length; i++)
        {
            if (s[i] is '(' or '[' or LatexNormalizer.SetOpen) depth++;
            else if (s[i] is ')' or ']' or LatexNormalizer.SetClose && --depth == 0) return i;
        }
        return -1;
    }

    internal static List<string> SplitTopLevel(string s, char separator)
    {
        var parts = new List<string>();
        var depth = 0;
        var start = 0;
        for (var i = 0; i < s.Length; i++)
        {
            var c = s[i];
            if (c is '(' or '[' or LatexNormalizer.SetOpen) depth++;
            else if (c is ')' or ']' or LatexNormalizer.SetClose) depth--;
            else if (c == separator && depth == 0)
            {
                parts.Add(s[start..i].Trim());
                start = i + 1;
            }
        }
        parts.Add(s[start..].Trim());
        return parts.Where(p => p.Length > 0).ToList() is { Count: > 0 } nonEmpty ? nonEmpty : [s];
    }

    private static MatrixAnswer? TryParseMatrix(string raw)
    {
        var m = MatrixEnvironment().Match(raw);
        if (!m.Success) return null;
        var rows = m.Groups["body"].Value.Split("\\\\", StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Where(r => r.Length > 0)
            .Select(r => (IReadOnlyList<MathAnswer>)r.Split('&').Select(c => FromNormalized(LatexNormalizer.Normalize(c))).ToList())
            .ToList();
        return rows.Count == 0 ? null : new MatrixAnswer(rows);
    }

    [GeneratedRegex(@"^-?\d{1,3}(,\d{3})+(\.\d+)?$")]
    private static partial Regex ThousandsNumber();

    [GeneratedRegex(@"^([a-zA-Z]|[a-zA-Z]\([a-zA-Z]\)|[a-zA-Z]_\(?\w+\)?)$")]
    internal static partial Regex SimpleLeftSide();

    [GeneratedRegex(@"\\begin\{[pbvBV]?matrix\}(?<body>.*?)\\end\{[pbvBV]?matrix\}", RegexOptions.Singleline)]
    private static partial Regex MatrixEnvironment();
}

public sealed record ScalarAnswer(string Text) : MathAnswer;

/// <summary>A tuple, list or interval: <c>(1, 2)</c>, <c>[0, 1)</c>.</summary>
public sealed record BracketedAnswer(char Open, char Close, IReadOnlyList<MathAnswer> Items) : MathAnswer;

/// <summary>An unordered collection: <c>\{1, 2\}</c> or a bare list <c>1, 2</c>.</summary>
public sealed record SetAnswer(IReadOnlyList<MathAnswer> Items) : MathAnswer;

public sealed record UnionAnswer(IReadOnlyList<MathAnswer> Parts) : MathAnswer;

public sealed record MatrixAnswer(IReadOnlyList<IReadOnlyList<MathAnswer>> Rows) : MathAnswer;

/// <summary>An equation; when its left side is a lone name (<c>x = 5</c>, <c>f(x) = 2x</c>) it also stands for its right side.</summary>
public sealed record EquationAnswer(string Left, string Right) : MathAnswer
{
    public bool NamesAValue => SimpleLeftSide().IsMatch(Left);
}
