using Fractions;

namespace ProRL.Tasks.Mathematics;

/// <summary>
/// Reads a relation as the set of values it allows, so that <c>x ≥ 5</c>, <c>5 ≤ x</c>, <c>-x ≤ -5</c> and
/// <c>[5, ∞)</c> are one notion. Handles a name against a value (<c>f(x) &lt; 1</c>), a chain around a name
/// (<c>-2 ≤ x ≤ 7</c>), a linear relation in one variable (solved exactly), and <c>≠</c> (two open intervals).
/// </summary>
internal static class RelationSets
{
    public static bool TryBuild(RelationAnswer relation, out string variable, out MathAnswer set)
    {
        variable = "";
        set = new ScalarAnswer("");
        var terms = relation.Terms;
        var ops = relation.Ops;
        if (ops.Count == 1)
        {
            var (left, op, right) = (terms[0], ops[0], terms[1]);
            if (AbsoluteValue(left) is { } inner && IsConstant(right) && Value(right) is > 0) return AbsoluteSingle(inner, op, right, out variable, out set);
            if (AbsoluteValue(right) is { } inner2 && IsConstant(left) && Value(left) is > 0) return AbsoluteSingle(inner2, Flip(op), left, out variable, out set);
            if (MathAnswer.IsLabel(left) && IsConstant(right)) return Single(Compact(left), op, right, out variable, out set);
            if (MathAnswer.IsLabel(right) && IsConstant(left)) return Single(Compact(right), Flip(op), left, out variable, out set);
            return Linear(left, op, right, out variable, out set);
        }
        if (ops.Count == 2 && MathAnswer.IsLabel(terms[1]) && IsConstant(terms[0]) && IsConstant(terms[2]))
        {
            variable = Compact(terms[1]);
            if (AbsoluteValue(terms[1]) is { } inner && ops.All(o => o is '<' or '≤'))
            {
                // a ≤ |z| ≤ b with a > 0 is [-b, -a] ∪ [a, b]; with a ≤ 0 it is [-b, b].
                variable = inner;
                var b = terms[2];
                set = Value(terms[0]) is > 0
                    ? new UnionAnswer([Interval($"-({b})", ops[1] == '≤', $"-({terms[0]})", ops[0] == '≤'), Interval(terms[0], ops[0] == '≤', b, ops[1] == '≤')])
                    : Interval($"-({b})", ops[1] == '≤', b, ops[1] == '≤');
                return true;
            }
            if (ops.All(o => o is '<' or '≤'))
            {
                set = Interval(terms[0], ops[0] == '≤', terms[2], ops[1] == '≤');
                return true;
            }
            if (ops.All(o => o is '>' or '≥'))
            {
                set = Interval(terms[2], ops[1] == '≥', terms[0], ops[0] == '≥');
                return true;
            }
        }
        return false;
    }

    private static bool Single(string name, char op, string value, out string variable, out MathAnswer set)
    {
        variable = name;
        set = op switch
        {
            '<' => Interval("-inf", false, value, false),
            '≤' => Interval("-inf", false, value, true),
            '>' => Interval(value, false, "inf", false),
            '≥' => Interval(value, true, "inf", false),
            _ => new UnionAnswer([Interval("-inf", false, value, false), Interval(value, false, "inf", false)]),
        };
        return true;
    }

    /// <summary>|z| op c for c > 0: |z| &lt; c is (−c, c); |z| > c is (−∞, −c) ∪ (c, ∞).</summary>
    private static bool AbsoluteSingle(string name, char op, string c, out string variable, out MathAnswer set)
    {
        variable = name;
        set = op switch
        {
            '<' => Interval($"-({c})", false, c, false),
            '≤' => Interval($"-({c})", true, c, true),
            '>' => new UnionAnswer([Interval("-inf", false, $"-({c})", false), Interval(c, false, "inf", false)]),
            '≥' => new UnionAnswer([Interval("-inf", false, $"-({c})", true), Interval(c, true, "inf", false)]),
            _ => new UnionAnswer([Interval("-inf", false, $"-({c})", false), Interval($"-({c})", false, c, false), Interval(c, false, "inf", false)]),
        };
        return true;
    }

    /// <summary>The variable inside |v|, or null.</summary>
    private static string? AbsoluteValue(string term)
    {
        var t = term.Trim();
        if (t.Length < 3 || t[0] != '|' || t[^1] != '|') return null;
        var inner = Compact(t[1..^1]);
        return inner.Length > 0 && inner.All(c => char.IsAsciiLetterOrDigit(c) || c == '_') && char.IsAsciiLetter(inner[0]) ? inner : null;
    }

    private static double? Value(string s) => MathParser.TryParse(s) is { } e && e.Variables.Count == 0 ? e.Evaluate(new Dictionary<string, double>()) : null;

    /// <summary>a·v + b op c·v + d with exact rational coefficients: solved for v.</summary>
    private static bool Linear(string left, char op, string right, out string variable, out MathAnswer set)
    {
        variable = "";
        set = new ScalarAnswer("");
        if (MathParser.TryParse($"({left})-({right})") is not { } f || f.Variables.Count != 1) return false;
        var v = f.Variables.First();
        Fraction? At(int x) => f.TryExact(new Dictionary<string, Fraction> { [v] = new Fraction(x) });
        if (At(0) is not { } f0 || At(1) is not { } f1 || At(2) is not { } f2 || At(-3) is not { } fm3) return false;
        var k = f1.Subtract(f0);
        if (k.IsZero || f2.Subtract(f1).CompareTo(k) != 0 || fm3.CompareTo(f0.Subtract(k.Multiply(new Fraction(3)))) != 0) return false;
        var root = f0.Negate().Divide(k).Reduce();
        var text = root.Denominator.IsOne ? root.Numerator.ToString() : $"({root.Numerator})/({root.Denominator})";
        return Single(v, k.IsNegative ? Flip(op) : op, text, out variable, out set);
    }

    private static BracketedAnswer Interval(string low, bool lowClosed, string high, bool highClosed) =>
        new(lowClosed ? '[' : '(', highClosed ? ']' : ')', [new ScalarAnswer(low), new ScalarAnswer(high)]);

    private static char Flip(char op) => op switch { '<' => '>', '>' => '<', '≤' => '≥', '≥' => '≤', _ => op };

    private static bool IsConstant(string s) => MathParser.TryParse(s) is { } e && e.Variables.Count == 0;

    private static string Compact(string s) => s.Replace(" ", "").Replace("(", "").Replace(")", "");
}
