using System.Text;
using System.Text.RegularExpressions;
using ProRL.Tasks.Text;

namespace ProRL.Tasks.Mathematics;

/// <summary>
/// Turns a LaTeX or plain-text answer into the plain syntax <see cref="MathParser"/> reads. In order:
/// math delimiters and <c>\left</c>/<c>\right</c> go; <c>\dfrac</c>/<c>\tfrac</c>/<c>\cfrac</c> become <c>\frac</c>;
/// thousands separators (<c>,</c> <c>{,}</c> <c>\!</c> <c>\,</c> and spaces between digit groups) are removed and a
/// leading-dot decimal gains its zero; a mixed number <c>4 4/9</c> becomes the sum <c>(4+4/9)</c> (only when the
/// fraction is proper, so <c>11 6/6</c> stays unreadable); <c>\text{}</c>/<c>\mathrm{}</c> wrappers are unwrapped,
/// and a word in one after a number is a unit and dropped; <c>^\circ</c>, <c>\%</c>, "percent" and currency signs
/// are dropped; <c>\frac</c> and <c>\sqrt</c> (also the brace-less <c>\frac13</c>, <c>\sqrt3</c>) become operators;
/// relation commands become ≤ ≥ ≠ ≈ ∈, <c>\pm</c> becomes ±; set braces <c>\{ \}</c> (or plain braces around a whole
/// list) become <see cref="SetOpen"/>/<see cref="SetClose"/>, other braces parentheses; "and"/"or" between items
/// become commas; a trailing "." or "," goes. Never throws.
/// </summary>
public static partial class LatexNormalizer
{
    public const char SetOpen = '⟨';
    public const char SetClose = '⟩';

    /// <summary>Commands replaced by a plain form (matched as whole command names).</summary>
    private static readonly Dictionary<string, string> Commands = new(StringComparer.Ordinal)
    {
        ["left"] = "", ["right"] = "", ["bigl"] = "", ["bigr"] = "", ["Bigl"] = "", ["Bigr"] = "", ["big"] = "", ["Big"] = "",
        ["displaystyle"] = "", ["textstyle"] = "", ["limits"] = "", ["quad"] = " ", ["qquad"] = " ",
        ["dfrac"] = "\\frac", ["tfrac"] = "\\frac", ["cfrac"] = "\\frac",
        ["circ"] = "", ["degree"] = "", ["cdots"] = "...", ["ldots"] = "...", ["dots"] = "...", ["dotsm"] = "...", ["dotsc"] = "...",
        ["leqslant"] = "≤", ["geqslant"] = "≥", ["leq"] = "≤", ["geq"] = "≥", ["le"] = "≤", ["ge"] = "≥", ["lt"] = "<", ["gt"] = ">",
        ["neq"] = "≠", ["ne"] = "≠", ["approx"] = "≈", ["in"] = "∈", ["cup"] = "∪", ["pm"] = "±",
        ["cdot"] = "*", ["times"] = "*", ["ast"] = "*", ["div"] = "/",
        ["infty"] = "inf", ["pi"] = "pi", ["emptyset"] = "∅", ["varnothing"] = "∅",
        ["mid"] = "|", ["vert"] = "|", ["lvert"] = "|", ["rvert"] = "|", ["Vert"] = "|",
        ["sin"] = "sin", ["cos"] = "cos", ["tan"] = "tan", ["cot"] = "cot", ["sec"] = "sec", ["csc"] = "csc",
        ["arcsin"] = "arcsin", ["arccos"] = "arccos", ["arctan"] = "arctan", ["sinh"] = "sinh", ["cosh"] = "cosh", ["tanh"] = "tanh",
        ["ln"] = "ln", ["log"] = "log", ["exp"] = "exp",
    };

    private static readonly string[] TextWrappers =
        ["\\boxed", "\\fbox", "\\textnormal", "\\textbf", "\\textit", "\\textrm", "\\text", "\\mathrm", "\\mathbf", "\\mathit", "\\mathsf", "\\mbox", "\\operatorname", "\\boldsymbol", "\\mathbb", "\\hbox"];

    /// <summary>True when the text carries a percent sign or word (the caller decides what it scales).</summary>
    public static bool HasPercent(string text) => PercentMark().IsMatch(text);

    /// <summary>Normalises one answer (scalar or structured). Never throws.</summary>
    public static string Normalize(string text)
    {
        if (text.Length > 4000) text = text[..4000];
        // Thin, narrow and non-breaking spaces are spaces (digit groups: 1 000).
        var s = StripMathDelimiters(text.Replace('\u2009', ' ').Replace('\u202F', ' ').Replace('\u00A0', ' ').Trim());
        if (!s.Contains("matrix", StringComparison.Ordinal) && !s.Contains("array", StringComparison.Ordinal))
            s = DoubledBackslash().Replace(s, "\\"); // answers stored with escaped backslashes: \\frac → \frac
        s = s.Replace(",\\! ", ",").Replace(",\\!", ",").Replace("\\qquad", " ").Replace("\\quad", " "); // 11,\! 111 and \quadx_2
        s = s.Replace("\\!", "").Replace("\\,", " ").Replace("\\;", " ").Replace("\\:", " ").Replace("\\ ", " ").Replace("~", " ");
        s = s.Replace("\\{", SetOpen.ToString()).Replace("\\}", SetClose.ToString());
        s = SeparatorBraces().Replace(s, "$1,$2"); // 14{,}916 and 14 {, }916
        s = UnitText().Replace(s, "$1");           // 15\text{ cm}^2 → 15
        s = ConnectiveText().Replace(s, " $1 ");   // \text{ and } → and
        s = Reals().Replace(s, "(-inf, inf)"); // ℝ is the interval it names
        foreach (var wrapper in TextWrappers) s = UnwrapCommand(s, wrapper);
        s = CommandName().Replace(s, m => Commands.TryGetValue(m.Groups[1].Value, out var to) ? to : m.Value);
        s = s.Replace("^{}", "").Replace("°", "").Replace("\\%", "").Replace("%", "");
        s = s.Replace("\\$", "").Replace("$", "").Replace("€", "").Replace("£", "");
        s = s.Replace("−", "-").Replace("–", "-").Replace("×", "*").Replace("·", "*").Replace("÷", "/").Replace("**", "^").Replace("∞", "inf").Replace("π", "pi");
        s = s.Replace(">=", "≥").Replace("<=", "≤").Replace("!=", "≠").Replace("=>", "≥").Replace("=<", "≤");
        s = PercentWord().Replace(s, "$1");
        s = LatexMixedNumber().Replace(s, m =>
            long.TryParse(m.Groups["n"].Value, out var n) && long.TryParse(m.Groups["d"].Value, out var d) && d > 0 && n < d
                ? $"({m.Groups["w"].Value}+{n}/{d})" : m.Value); // 3\frac{1}{2} is 3½, as answers write it
        s = ExpandBinomials(s);
        s = ExpandFractions(s);
        s = ExpandRoots(s);
        s = WholeListBraces(s);
        s = s.Replace('{', '(').Replace('}', ')');
        s = EmptyPower().Replace(s, "");
        s = NumberGroups(s);
        s = OrSeparator().Replace(s, ",");
        s = GluedOr().Replace(s, "),(");
        s = StripUnits(s.Trim());
        s = TrailingPunctuation().Replace(s.Trim().Replace("...", "…"), ""); // an ellipsis is a list item, not punctuation
        return MultipleSpaces().Replace(s, " ").Trim();
    }

    /// <summary>Lower-case, no spaces, no LaTeX wrappers: for answers that are not math (names, words, letters).</summary>
    public static string NormalizeText(string text)
    {
        var s = Normalize(text).ToLowerInvariant();
        s = s.Replace("\\", "").Replace(" ", "").Replace("(", "").Replace(")", "");
        return s.TrimEnd('.');
    }

    /// <summary>
    /// Digit groups: mixed numbers become sums, thousands separators and spaces between groups go, decimal commas
    /// (<c>2,74</c>, <c>0,111</c>) become points, and <c>.4</c> becomes <c>0.4</c>.
    /// </summary>
    internal static string NumberGroups(string s)
    {
        s = MixedNumber().Replace(s, m =>
        {
            var whole = m.Groups["w"].Value.Replace(" ", "");
            var num = m.Groups["n"].Value;
            var den = m.Groups["d"].Value;
            // Only a proper fraction makes a mixed number: 11 6/6 and 4 4/0 stay as written (and unreadable).
            if (!long.TryParse(num, out var n) || !long.TryParse(den, out var d) || d == 0 || n >= d) return m.Value;
            return $"({whole}+{num}/{den})";
        });
        s = SpacedThousands().Replace(s, m => m.Value.Replace(" ", ""));
        // Commas are thousands separators only when every comma in the answer is one (so "1, 234" stays a list).
        var commas = s.Count(c => c == ',');
        if (commas > 0)
        {
            var grouped = CommaThousands().Matches(s).Sum(m => m.Value.Count(c => c == ','));
            if (grouped == commas) s = CommaThousands().Replace(s, m => m.Value.Replace(",", ""));
            else if (DecimalComma().IsMatch(s)) s = s.Replace(',', '.');
        }
        return LeadingDot().Replace(s, "${pre}0.");
    }

    private static string StripMathDelimiters(string s)
    {
        foreach (var (open, close) in new[] { ("$$", "$$"), ("\\[", "\\]"), ("\\(", "\\)"), ("$", "$") })
            if (s.Length >= open.Length + close.Length && s.StartsWith(open, StringComparison.Ordinal) && s.EndsWith(close, StringComparison.Ordinal))
            {
                s = s[open.Length..^close.Length].Trim();
                break;
            }
        return s.Replace("\\(", "").Replace("\\)", "").Replace("\\[", "").Replace("\\]", "");
    }

    /// <summary>A whole answer in plain braces holding a list, <c>{1,2,3}</c>, is a set.</summary>
    private static string WholeListBraces(string s)
    {
        var t = s.Trim();
        if (t.Length < 2 || t[0] != '{' || ResponseText.MatchingBrace(t, 0) != t.Length - 1) return s;
        var inner = t[1..^1];
        return inner.Contains(',') ? SetOpen + inner + SetClose : s;
    }

    /// <summary>Replaces <c>\cmd{X}</c> by <c>X</c> (braces balanced).</summary>
    private static string UnwrapCommand(string s, string command)
    {
        var at = 0;
        var guard = 0;
        while ((at = s.IndexOf(command, at, StringComparison.Ordinal)) >= 0 && guard++ < 1000)
        {
            var open = at + command.Length;
            while (open < s.Length && s[open] == ' ') open++;
            if (open >= s.Length || s[open] != '{') { at += command.Length; continue; }
            var close = ResponseText.MatchingBrace(s, open);
            if (close < 0) break;
            s = s[..at] + s[(open + 1)..close] + s[(close + 1)..];
        }
        return s;
    }

    /// <summary><c>\frac{a}{b}</c> → <c>((a)/(b))</c>, also the brace-less <c>\frac12</c>.</summary>
    private static string ExpandFractions(string s)
    {
        int at;
        var guard = 0;
        while ((at = s.IndexOf("\\frac", StringComparison.Ordinal)) >= 0 && guard++ < 1000)
        {
            var i = at + 5;
            if (!TryReadArgument(s, ref i, out var num) || !TryReadArgument(s, ref i, out var den)) return s.Remove(at, 5);
            s = s[..at] + "((" + num + ")/(" + den + "))" + s[i..];
        }
        return s;
    }

    /// <summary><c>\binom{n}{k}</c> → <c>n!/(k!(n−k)!)</c>.</summary>
    private static string ExpandBinomials(string s)
    {
        var guard = 0;
        var match = Binomial().Match(s);
        while (match.Success && guard++ < 100)
        {
            var i = match.Index + match.Length;
            if (!TryReadArgument(s, ref i, out var n) || !TryReadArgument(s, ref i, out var k)) return s.Remove(match.Index, match.Length);
            s = s[..match.Index] + $"(({n})!/(({k})!*(({n})-({k}))!))" + s[i..];
            match = Binomial().Match(s);
        }
        return s;
    }

    [GeneratedRegex(@"\\[dt]?binom(?![a-zA-Z])")]
    private static partial Regex Binomial();

    [GeneratedRegex(@"\\mathbb\s*\{\s*R\s*\}|\\mathbb\s+R\b|ℝ")]
    private static partial Regex Reals();

    /// <summary><c>\sqrt{x}</c> → <c>sqrt(x)</c>; <c>\sqrt[n]{x}</c> → <c>((x)^(1/(n)))</c>.</summary>
    private static string ExpandRoots(string s)
    {
        int at;
        var guard = 0;
        while ((at = s.IndexOf("\\sqrt", StringComparison.Ordinal)) >= 0 && guard++ < 1000)
        {
            var i = at + 5;
            string? index = null;
            if (i < s.Length && s[i] == '[')
            {
                var close = s.IndexOf(']', i);
                if (close < 0) return s.Remove(at, 5);
                index = s[(i + 1)..close];
                i = close + 1;
            }
            if (!TryReadArgument(s, ref i, out var radicand)) return s.Remove(at, 5);
            var replacement = index is null ? "sqrt(" + radicand + ")" : "((" + radicand + ")^(1/(" + index + ")))";
            s = s[..at] + replacement + s[i..];
        }
        return s;
    }

    /// <summary>A LaTeX argument: a braced group, or a single character/digit (as in <c>\frac12</c>).</summary>
    private static bool TryReadArgument(string s, ref int i, out string argument)
    {
        argument = "";
        while (i < s.Length && s[i] == ' ') i++;
        if (i >= s.Length) return false;
        if (s[i] == '{')
        {
            var close = ResponseText.MatchingBrace(s, i);
            if (close < 0) return false;
            argument = s[(i + 1)..close];
            i = close + 1;
            return true;
        }
        if (s[i] == '\\') return false;
        argument = s[i].ToString();
        i++;
        return true;
    }

    // "5 million" is not 5: magnitude words scale the number, so they are never dropped as units.
    private static readonly HashSet<string> Magnitudes = ["hundred", "hundreds", "thousand", "thousands", "million", "millions", "billion", "billions", "trillion", "dozen", "percent"];

    private static string StripUnits(string s)
    {
        var m = TrailingUnit().Match(s);
        if (m.Success && m.Groups["value"].Value.Trim().Length > 0) return m.Groups["value"].Value;
        // Words after a number are what it counts ("5 apples"), unless they are function or constant names.
        var words = TrailingWords().Match(s);
        if (words.Success && words.Groups["words"].Value.Split(' ', StringSplitOptions.RemoveEmptyEntries)
                .All(w => !FunctionExpr.Known.Contains(w) && w is not ("inf" or "pi") && !Magnitudes.Contains(w.ToLowerInvariant())))
            return words.Groups["value"].Value;
        return s;
    }

    [GeneratedRegex(@"^(?<value>[-+]?[\d.]+|.*[\d)]\s*)\s(?<words>(?:[A-Za-z]{3,}\s*)+)$")]
    private static partial Regex TrailingWords();

    [GeneratedRegex(@"(?<![\d.}\)^_])(?<w>\d+)\s*\\frac\s*\{\s*(?<n>\d+)\s*\}\s*\{\s*(?<d>\d+)\s*\}")]
    private static partial Regex LatexMixedNumber();

    [GeneratedRegex(@"\\\\(?=[a-zA-Z{}])")]
    private static partial Regex DoubledBackslash();

    [GeneratedRegex(@"\\([a-zA-Z]+)")]
    private static partial Regex CommandName();

    [GeneratedRegex(@"(\d)\s*\{\s*,\s*\}\s*(\d)")]
    private static partial Regex SeparatorBraces();

    // A word in \text{} after a number or closing bracket is a unit: "15\mbox{ cm}^2", "0.06 \text{ yuan}".
    [GeneratedRegex(@"([\d)}])\s*\\(?:text|textbf|textit|mbox|textnormal|mathrm|textrm)\s*\{\s*(?!and\b|or\b)[a-zA-Z][a-zA-Z.\s]*\}(?:\^\{?\d\}?)?")]
    private static partial Regex UnitText();

    [GeneratedRegex(@"\\(?:text|mbox|textnormal|mathrm|textrm)\s*\{\s*(and|or|,)\s*\}")]
    private static partial Regex ConnectiveText();

    [GeneratedRegex(@"(\d|\))\s*(?:percentage|percent|pct)\b", RegexOptions.IgnoreCase)]
    private static partial Regex PercentWord();

    [GeneratedRegex(@"\\%|%|\d\s*(?:percentage|percent|pct)\b", RegexOptions.IgnoreCase)]
    private static partial Regex PercentMark();

    [GeneratedRegex(@"\^\(\s*\)|\^(?=\s*(?:$|[,;)\]⟩=<>≤≥]))")]
    private static partial Regex EmptyPower();

    // Whole part (digits, or spaced thousands), one plain space, a fraction. Not after a digit, point, slash or bracket.
    [GeneratedRegex(@"(?<![\d.,/)\]])(?<w>\d{1,3}(?: \d{3})+|\d+) (?<n>\d+)/(?<d>\d+)(?![\d./])")]
    private static partial Regex MixedNumber();

    [GeneratedRegex(@"(?<![\d.])\d{1,3}(?: \d{3})+(?![\d.]|\s*/)")]
    private static partial Regex SpacedThousands();

    [GeneratedRegex(@"(?<![\d.,])[1-9]\d{0,2}(?:,\d{3})+(?![\d,])")]
    private static partial Regex CommaThousands();

    [GeneratedRegex(@"^-?(?:\d+,\d{2}|0,\d+)$")]
    private static partial Regex DecimalComma();

    [GeneratedRegex(@"(?<pre>^|[^\d\w)\].])\.(?=\d)")]
    private static partial Regex LeadingDot();

    [GeneratedRegex(@"\s+(?:or|and)\s+|,\s*(?:or|and)\s+")]
    private static partial Regex OrSeparator();

    [GeneratedRegex(@"\)\s*(?:or|and)\s*\(")]
    private static partial Regex GluedOr();

    [GeneratedRegex(@"(?:\s*[.,;])+$")]
    private static partial Regex TrailingPunctuation();

    [GeneratedRegex(@"\s{2,}")]
    private static partial Regex MultipleSpaces();

    // Units after a number or closing bracket. One-letter units need a space before them, so "2m" stays a product.
    [GeneratedRegex(@"^(?<value>.*[\d)])(?:\s*(?:(?:square|sq\.?|cubic)\s+)?(?:units?|cm|mm|km|meters?|metres?|inch(?:es)?|feet|foot|ft|yards?|miles?|degrees?|radians?|dollars?|cents?|hours?|hrs?|minutes?|mins?|seconds?|secs|days?|weeks?|months?|years?|kg|grams?|pounds?|lbs?|liters?|litres?|ml|mph|km/h|m/s|people|persons?|students|ways|times|points|yuan|euros?)|\s+(?:m|s|g|l|h|in))(?:\^\(?\d\)?)?\s*$")]
    private static partial Regex TrailingUnit();
}
