using System.Text.RegularExpressions;
using ProRL.Tasks.Text;

namespace ProRL.Tasks.Mathematics;

/// <summary>
/// Turns a LaTeX or plain-text answer into the plain syntax <see cref="MathParser"/> reads: fractions and roots
/// become operators, text wrappers, units, degrees, percent and dollar signs are dropped, grouping braces become
/// parentheses. Set braces <c>\{ \}</c> become <see cref="SetOpen"/>/<see cref="SetClose"/> so that structure survives.
/// </summary>
public static partial class LatexNormalizer
{
    public const char SetOpen = '⟨';
    public const char SetClose = '⟩';

    private static readonly (string From, string To)[] Replacements =
    [
        ("\\dfrac", "\\frac"), ("\\tfrac", "\\frac"), ("\\cfrac", "\\frac"),
        ("\\left", ""), ("\\right", ""), ("\\bigl", ""), ("\\bigr", ""), ("\\Bigl", ""), ("\\Bigr", ""),
        ("\\displaystyle", ""), ("\\!", ""), ("\\,", ""), ("\\;", ""), ("\\:", ""), ("\\quad", " "), ("\\qquad", " "), ("\\ ", " "),
        ("{,}", ""), ("^\\circ", ""), ("^{\\circ}", ""), ("\\circ", ""), ("\\degree", ""), ("°", ""),
        ("\\%", ""), ("%", ""), ("\\$", ""), ("\\{", SetOpen.ToString()), ("\\}", SetClose.ToString()),
        ("\\cdots", "..."), ("\\ldots", "..."), ("\\dots", "..."), ("\\leqslant", "≤"), ("\\geqslant", "≥"), ("\\leq", "≤"), ("\\geq", "≥"), ("\\cdot", "*"), ("\\times", "*"), ("\\ast", "*"), ("\\div", "/"), ("**", "^"), ("\\infty", "inf"), ("∞", "inf"),
        ("\\pi", "pi"), ("π", "pi"), ("\\cup", "∪"), ("\\lt", "<"), ("\\gt", ">"), ("\\le", "≤"), ("\\ge", "≥"),
        ("−", "-"), ("–", "-"), ("\\neq", "≠"), ("\\mid", "|"), ("\\vert", "|"), ("\\lvert", "|"), ("\\rvert", "|"),
    ];

    private static readonly string[] TextWrappers =
        ["\\text", "\\textbf", "\\textit", "\\textnormal", "\\mathrm", "\\mathbf", "\\mathit", "\\mbox", "\\operatorname", "\\boldsymbol", "\\mathbb"];

    /// <summary>Normalises one answer (scalar or structured). Never throws.</summary>
    public static string Normalize(string text)
    {
        var s = StripMathDelimiters(text.Trim());
        foreach (var wrapper in TextWrappers) s = UnwrapCommand(s, wrapper);
        foreach (var (from, to) in Replacements) s = s.Replace(from, to, StringComparison.Ordinal);
        s = ExpandFractions(s);
        s = ExpandRoots(s);
        s = FunctionCommand().Replace(s, "$1");
        s = s.Replace('{', '(').Replace('}', ')');
        s = OrSeparator().Replace(s, ",");
        s = StripUnits(s.Trim());
        s = s.Trim().TrimEnd('.').Trim();
        return MultipleSpaces().Replace(s, " ");
    }

    /// <summary>Lower-case, no spaces, no LaTeX wrappers: for answers that are not math (names, words, letters).</summary>
    public static string NormalizeText(string text)
    {
        var s = Normalize(text).ToLowerInvariant();
        s = s.Replace("\\", "").Replace(" ", "").Replace("(", "").Replace(")", "");
        return s.TrimEnd('.');
    }

    private static string StripMathDelimiters(string s)
    {
        s = s.Replace("\\$", "", StringComparison.Ordinal); // a dollar sign, not a math delimiter
        foreach (var (open, close) in new[] { ("$$", "$$"), ("$", "$"), ("\\(", "\\)"), ("\\[", "\\]") })
            if (s.Length >= open.Length + close.Length && s.StartsWith(open, StringComparison.Ordinal) && s.EndsWith(close, StringComparison.Ordinal))
                return s[open.Length..^close.Length].Trim();
        return s.Replace("$", "");
    }

    /// <summary>Replaces <c>\cmd{X}</c> by <c>X</c> (braces balanced).</summary>
    private static string UnwrapCommand(string s, string command)
    {
        var at = 0;
        while ((at = s.IndexOf(command + "{", at, StringComparison.Ordinal)) >= 0)
        {
            var open = at + command.Length;
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
        while ((at = s.IndexOf("\\frac", StringComparison.Ordinal)) >= 0)
        {
            var i = at + 5;
            if (!TryReadArgument(s, ref i, out var num) || !TryReadArgument(s, ref i, out var den)) return s.Remove(at, 5);
            s = s[..at] + "((" + num + ")/(" + den + "))" + s[i..];
        }
        return s;
    }

    /// <summary><c>\sqrt{x}</c> → <c>sqrt(x)</c>; <c>\sqrt[n]{x}</c> → <c>((x)^(1/(n)))</c>.</summary>
    private static string ExpandRoots(string s)
    {
        int at;
        while ((at = s.IndexOf("\\sqrt", StringComparison.Ordinal)) >= 0)
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

    private static string StripUnits(string s)
    {
        var m = TrailingUnit().Match(s);
        return m.Success && m.Groups["value"].Value.Trim().Length > 0 ? m.Groups["value"].Value : s;
    }

    [GeneratedRegex(@"\\(sin|cos|tan|cot|sec|csc|arcsin|arccos|arctan|sinh|cosh|tanh|ln|log|exp)(?![a-zA-Z])")]
    private static partial Regex FunctionCommand();

    [GeneratedRegex(@"\s+(?:or|and)\s+")]
    private static partial Regex OrSeparator();

    [GeneratedRegex(@"\s{2,}")]
    private static partial Regex MultipleSpaces();

    // Units after a number or closing bracket. One-letter units need a space before them, so "2m" stays a product.
    [GeneratedRegex(@"^(?<value>.*[\d)])(?:\s*(?:(?:square|sq\.?|cubic)\s+)?(?:units?|cm|mm|km|meters?|metres?|inch(?:es)?|feet|foot|ft|yards?|miles?|degrees?|radians?|dollars?|cents?|hours?|hrs?|minutes?|mins?|seconds?|secs|days?|weeks?|months?|years?|kg|grams?|pounds?|lbs?|liters?|litres?|ml|mph|km/h|m/s|people|persons?|students|ways|times|points|percent)|\s+(?:m|s|g|l|h|in))(?:\^\(?\d\)?)?\s*$")]
    private static partial Regex TrailingUnit();
}
