using System.Text.RegularExpressions;

namespace ProRL.Tasks.Mathematics;

/// <summary>
/// The shape of a normalised answer: one value, a tuple/interval, a set or list, a union, a matrix, an equation, a
/// relation (<c>x ≥ 5</c>, <c>-2 ≤ x &lt; 7</c>) or a membership (<c>x ∈ [a, b]</c>).
/// </summary>
public abstract partial record MathAnswer
{
    /// <summary>Splits a raw (LaTeX or plain) answer into its structure. Never throws.</summary>
    public static MathAnswer Parse(string raw) => Parse(raw, LatexNormalizer.Normalize(raw));

    /// <summary>As <see cref="Parse(string)"/>, given <paramref name="raw"/>'s normalised form (normalising is the costly part).</summary>
    internal static MathAnswer Parse(string raw, string normalized) =>
        raw.Contains("\\begin", StringComparison.Ordinal) && MatrixAnswer.TryParse(raw) is { } matrix ? matrix : FromNormalized(normalized);

    /// <summary>Items of a top-level list, or 1 for a single answer: how many final answers the text asks for.</summary>
    public int ItemCount => this is SetAnswer { Braced: false } set ? set.Items.Count : 1;

    internal static MathAnswer FromNormalized(string s) => FromNormalized(s, 0);

    private static MathAnswer FromNormalized(string s, int depth)
    {
        s = s.Trim().TrimEnd('.', ',', ';').Trim();
        if (depth > 20 || s.Length == 0) return new ScalarAnswer(s);
        depth++;

        var groups = SplitTopLevel(s, ';');
        if (groups.Count > 1) return new SetAnswer(groups.Select(g => FromNormalized(g, depth)).ToList(), Braced: false);

        // "x ∈ S" before unions and lists, so that "x ∈ [a,b] ∪ [c,d]" keeps its union.
        var member = SplitTopLevel(s, '∈');
        if (member.Count == 2 && !member[0].Contains(',')) return new MembershipAnswer(member[0], FromNormalized(member[1], depth));

        var items = SplitTopLevel(s, ',');
        if (items.Count > 1) return new SetAnswer(Flatten(items.Select(i => FromNormalized(i, depth))), Braced: false);

        var unionParts = SplitTopLevel(s, '∪');
        if (unionParts.Count > 1) return new UnionAnswer(unionParts.Select(p => FromNormalized(p, depth)).ToList());

        if (s.Length >= 2 && s[0] == LatexNormalizer.SetOpen && s[^1] == LatexNormalizer.SetClose && Closes(s, 0) == s.Length - 1)
            return new SetAnswer(Flatten(SplitItems(s[1..^1]).Select(i => FromNormalized(i, depth))), Braced: true);
        if (s.Length >= 2 && s[0] is '(' or '[' && s[^1] is ')' or ']' && Closes(s, 0) == s.Length - 1)
        {
            var inner = SplitItems(s[1..^1]);
            if (inner.Count > 1) return new BracketedAnswer(s[0], s[^1], inner.Select(i => FromNormalized(i, depth)).ToList());
        }

        if (RelationAnswer.TryParse(s) is { } relation) return relation;

        if (s.Contains('=') || s.Contains('≈'))
        {
            // An approximation after an exact value is a remark ("x = 1/3 ≈ 0.33"); alone it is the answer ("x ≈ 11").
            var parts = SplitTopLevel(s, '=');
            if (parts.Count >= 2) parts = parts.Select(p => p.Split('≈')[0].Trim()).ToList();
            else parts = SplitTopLevel(s, '≈');
            if (parts.Count >= 2)
            {
                // x = a ± b states two equations.
                var at = parts[^1].IndexOf('±');
                if (at >= 0)
                {
                    var right = parts[^1];
                    var plus = right[..at] + (at == 0 ? "" : "+") + right[(at + 1)..];
                    var minus = right[..at] + "-" + right[(at + 1)..];
                    return new SetAnswer(Flatten([FromNormalized($"{parts[0]} = {plus}", depth), FromNormalized($"{parts[0]} = {minus}", depth)]), Braced: false);
                }
                return new EquationAnswer(parts[0], parts[^1]) { Chained = parts.Count > 2 };
            }
        }

        var ratio = SplitTopLevel(s, ':');
        if (ratio.Count == 2) return new BracketedAnswer(':', ':', ratio.Select(r => FromNormalized(r, depth)).ToList());

        // ± makes a set of two: 1 ± √19 is {1 + √19, 1 − √19}.
        var pm = s.IndexOf('±');
        if (pm >= 0)
        {
            var plus = s[..pm] + (pm == 0 ? "" : "+") + s[(pm + 1)..];
            var minus = s[..pm] + "-" + s[(pm + 1)..];
            return new SetAnswer(Flatten([FromNormalized(plus, depth), FromNormalized(minus, depth)]), Braced: false);
        }
        return new ScalarAnswer(s);
    }

    /// <summary>Items inside a bracket or set: commas, or semicolons where there are no commas (<c>(0;-2;6)</c>).</summary>
    private static List<string> SplitItems(string inner)
    {
        var byComma = SplitTopLevel(inner, ',');
        return byComma.Count > 1 ? byComma : SplitTopLevel(inner, ';');
    }

    /// <summary>Unbraced sets inside a list (from ±) join the list: {1 ± √5, −2} has three members.</summary>
    private static List<MathAnswer> Flatten(IEnumerable<MathAnswer> items)
    {
        var list = new List<MathAnswer>();
        foreach (var item in items)
        {
            if (item is SetAnswer { Braced: false } inner) list.AddRange(inner.Items);
            else list.Add(item);
        }
        return list;
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

    /// <summary>
    /// A name rather than an expression: <c>x</c>, <c>f(x)</c>, <c>x_1</c>, <c>(p,q)</c>, <c>|AB|</c>, <c>A:B</c>,
    /// <c>NO/BO</c>. No digit first and no arithmetic operator, so <c>2x+z</c> and <c>7</c> are not labels.
    /// </summary>
    internal static bool IsLabel(string s) => LabelPattern().IsMatch(s.Trim()) && s.Any(char.IsAsciiLetter) && !IsConstantName(s.Trim());

    private static bool IsConstantName(string s) => s is "pi" or "e" or "inf";

    [GeneratedRegex(@"^(?![\d.])[A-Za-z0-9_ ()|:/,'⟨⟩]+$")]
    private static partial Regex LabelPattern();
}

public sealed record ScalarAnswer(string Text) : MathAnswer;

/// <summary>A tuple, list, interval or ratio: <c>(1, 2)</c>, <c>[0, 1)</c>, <c>7:32</c> (open and close are ':').</summary>
public sealed record BracketedAnswer(char Open, char Close, IReadOnlyList<MathAnswer> Items) : MathAnswer;

/// <summary>A collection: <c>\{1, 2\}</c> (<see cref="Braced"/>) or a bare list <c>1, 2</c> / <c>6 and 8</c>.</summary>
public sealed record SetAnswer(IReadOnlyList<MathAnswer> Items, bool Braced) : MathAnswer;

public sealed record UnionAnswer(IReadOnlyList<MathAnswer> Parts) : MathAnswer;

/// <summary><c>x ∈ S</c>.</summary>
public sealed record MembershipAnswer(string Variable, MathAnswer Set) : MathAnswer;

public sealed partial record MatrixAnswer(IReadOnlyList<IReadOnlyList<MathAnswer>> Rows) : MathAnswer
{
    /// <summary>
    /// A whole answer that is one matrix environment (pmatrix, bmatrix, array…), possibly in brackets, or a sum,
    /// difference or product of such matrices (evaluated entry by entry: <c>A + B</c>, <c>A B</c>, <c>A \cdot B</c>).
    /// </summary>
    internal static MatrixAnswer? TryParse(string raw)
    {
        var matches = MatrixEnvironment().Matches(raw);
        if (matches.Count == 0 || matches.Count > 8) return null;
        if (OutsideNoise().Replace(raw[..matches[0].Index] + raw[(matches[^1].Index + matches[^1].Length)..], "").Length > 0) return null;
        var result = Cells(matches[0]);
        for (var k = 1; k < matches.Count && result is not null; k++)
        {
            var between = raw[(matches[k - 1].Index + matches[k - 1].Length)..matches[k].Index];
            var op = OutsideNoise().Replace(between.Replace("\\cdot", "*").Replace("\\times", "*"), "");
            var next = Cells(matches[k]);
            result = op switch
            {
                "+" or "-" => next is not null && Same(result, next) ? Combine(result, next, op) : null,
                "" or "*" => next is not null ? Multiply(result, next) : null,
                _ => null,
            };
        }
        return result is null ? null : new MatrixAnswer(result.Select(r => (IReadOnlyList<MathAnswer>)r.Select(FromNormalized).ToList()).ToList());
    }

    private static List<List<string>>? Cells(Match m)
    {
        var rows = m.Groups["body"].Value.Split("\\\\", StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Where(r => r.Length > 0 && r.Replace("\\hline", "").Trim().Length > 0)
            .Select(r => r.Split('&').Select(c => LatexNormalizer.Normalize(c)).ToList())
            .ToList();
        return rows.Count == 0 ? null : rows;
    }

    private static bool Same(List<List<string>> a, List<List<string>> b) =>
        a.Count == b.Count && a.Zip(b).All(r => r.First.Count == r.Second.Count);

    private static List<List<string>> Combine(List<List<string>> a, List<List<string>> b, string op) =>
        a.Zip(b).Select(r => r.First.Zip(r.Second).Select(c => $"({c.First}){op}({c.Second})").ToList()).ToList();

    private static List<List<string>>? Multiply(List<List<string>> a, List<List<string>> b)
    {
        if (a.Any(r => r.Count != b.Count) || b.Any(r => r.Count != b[0].Count)) return null;
        return a.Select(row => Enumerable.Range(0, b[0].Count)
            .Select(j => string.Join("+", row.Select((x, k) => $"({x})*({b[k][j]})"))).ToList()).ToList();
    }

    [GeneratedRegex(@"\\begin\{(?<env>[pbvBV]?matrix|array)\}(?:\{[lcr|\s]*\})?(?<body>.*?)\\end\{\k<env>\}", RegexOptions.Singleline)]
    private static partial Regex MatrixEnvironment();

    [GeneratedRegex(@"[\s$()\[\].,]|\\left|\\right|\\\(|\\\)|\\\[|\\\]")]
    private static partial Regex OutsideNoise();
}

/// <summary>
/// <c>Left = Right</c>. A chain <c>x = 5+5+1 = 11</c> keeps its first and last parts. When the left side is a name
/// (<see cref="MathAnswer.IsLabel"/>) the equation states a value: <c>k = 1</c> answers 1.
/// </summary>
public sealed record EquationAnswer(string Left, string Right) : MathAnswer
{
    public bool Chained { get; init; }
    public bool NamesAValue => IsLabel(Left);
    public MathAnswer RightValue => FromNormalized(Right);

    /// <summary>A left side without variables ("1/2 = 10/9"): the response is computing, its value is the right side.</summary>
    public bool LeftIsConstant => MathParser.TryParse(Left) is { } e && e.Variables.Count == 0;
}

/// <summary>
/// A relation or a chain of them: <c>x ≥ 5</c>, <c>-2 ≤ x ≤ 7</c>, <c>x ≠ 3</c>. <see cref="Terms"/> has one more
/// entry than <see cref="Ops"/>; operators are &lt; &gt; ≤ ≥ ≠.
/// </summary>
public sealed record RelationAnswer(IReadOnlyList<string> Terms, IReadOnlyList<char> Ops) : MathAnswer
{
    private static readonly char[] Operators = ['<', '>', '≤', '≥', '≠'];

    internal static RelationAnswer? TryParse(string s)
    {
        var terms = new List<string>();
        var ops = new List<char>();
        var depth = 0;
        var start = 0;
        for (var i = 0; i < s.Length; i++)
        {
            var c = s[i];
            if (c is '(' or '[' or LatexNormalizer.SetOpen) depth++;
            else if (c is ')' or ']' or LatexNormalizer.SetClose) depth--;
            else if (depth == 0 && Array.IndexOf(Operators, c) >= 0)
            {
                terms.Add(s[start..i].Trim());
                ops.Add(c);
                start = i + 1;
            }
        }
        if (ops.Count == 0) return null;
        terms.Add(s[start..].Trim());
        return terms.Any(t => t.Length == 0) ? null : new RelationAnswer(terms, ops);
    }
}
