using System.Globalization;
using System.Numerics;
using Fractions;

namespace ProRL.Tasks.Mathematics;

/// <summary>
/// An expression tree over real numbers: what a normalised math answer parses into. Each node evaluates in double
/// precision (<see cref="Evaluate"/>) and, where the value is rational, exactly (<see cref="TryExact"/>).
/// </summary>
public abstract record MathExpression
{
    public abstract double Evaluate(IReadOnlyDictionary<string, double> variables);

    /// <summary>
    /// The exact rational value, or null where it is irrational, undefined, or too large to compute within bounds
    /// (see <see cref="ExactLimits"/>). Never throws.
    /// </summary>
    public abstract Fraction? TryExact(IReadOnlyDictionary<string, Fraction> variables);

    public abstract void CollectVariables(ISet<string> into);

    public IReadOnlySet<string> Variables
    {
        get { var set = new SortedSet<string>(StringComparer.Ordinal); CollectVariables(set); return set; }
    }

    /// <summary>True when the tree holds the literal ∞ (so an infinite value is meant, not an overflow).</summary>
    public virtual bool MentionsInfinity => false;
}

/// <summary>Bounds on exact arithmetic, so that <c>10^{10^{10}}</c> costs microseconds, not memory.</summary>
public static class ExactLimits
{
    public const int MaxBits = 1 << 16;
    public const int MaxExponent = 4096;
    public const int MaxFactorial = 500;

    internal static bool TooBig(Fraction f) =>
        f.Numerator.GetBitLength() > MaxBits || f.Denominator.GetBitLength() > MaxBits;
}

/// <summary>
/// A number literal, held exactly. <see cref="DecimalPlaces"/> is set for decimals written with a point or an
/// exponent (<c>3.1416</c>, <c>2.5e-3</c>): they may be approximations; integers are never.
/// </summary>
public sealed record NumberExpr(Fraction Value, int? DecimalPlaces = null, int SignificantDigits = 0) : MathExpression
{
    public NumberExpr(double value) : this(Fraction.FromDouble(value)) { }

    public bool IsDecimal => DecimalPlaces is not null;
    public override double Evaluate(IReadOnlyDictionary<string, double> variables) => Value.ToDouble();
    public override Fraction? TryExact(IReadOnlyDictionary<string, Fraction> variables) => Value;
    public override void CollectVariables(ISet<string> into) { }
}

public sealed record ConstantExpr(string Name) : MathExpression
{
    public override double Evaluate(IReadOnlyDictionary<string, double> variables) => Name switch
    {
        "pi" => System.Math.PI,
        "e" => System.Math.E,
        _ => double.PositiveInfinity,
    };
    public override Fraction? TryExact(IReadOnlyDictionary<string, Fraction> variables) => null;
    public override void CollectVariables(ISet<string> into) { }
    public override bool MentionsInfinity => Name == "inf";
}

public sealed record VariableExpr(string Name) : MathExpression
{
    public override double Evaluate(IReadOnlyDictionary<string, double> variables) =>
        variables.TryGetValue(Name, out var v) ? v : double.NaN;
    public override Fraction? TryExact(IReadOnlyDictionary<string, Fraction> variables) =>
        variables.TryGetValue(Name, out var v) ? v : null;
    public override void CollectVariables(ISet<string> into) => into.Add(Name);
}

public sealed record UnaryExpr(char Op, MathExpression Operand) : MathExpression
{
    public override double Evaluate(IReadOnlyDictionary<string, double> variables)
    {
        var x = Operand.Evaluate(variables);
        return Op switch
        {
            '-' => -x,
            '!' => Factorial(x),
            _ => double.NaN,
        };
    }

    public override Fraction? TryExact(IReadOnlyDictionary<string, Fraction> variables)
    {
        if (Operand.TryExact(variables) is not { } x) return null;
        if (Op == '-') return x.Negate();
        if (Op != '!' || x.Denominator != BigInteger.One || x.IsNegative || x.Numerator > ExactLimits.MaxFactorial) return null;
        var n = (int)x.Numerator;
        var r = BigInteger.One;
        for (var i = 2; i <= n; i++) r *= i;
        return new Fraction(r);
    }

    private static double Factorial(double x)
    {
        if (x < 0 || x != System.Math.Floor(x) || x > 170) return double.NaN;
        var r = 1.0;
        for (var i = 2; i <= (int)x; i++) r *= i;
        return r;
    }

    public override void CollectVariables(ISet<string> into) => Operand.CollectVariables(into);
    public override bool MentionsInfinity => Operand.MentionsInfinity;
}

public sealed record BinaryExpr(char Op, MathExpression Left, MathExpression Right) : MathExpression
{
    public override double Evaluate(IReadOnlyDictionary<string, double> variables)
    {
        var a = Left.Evaluate(variables);
        var b = Right.Evaluate(variables);
        return Op switch
        {
            '+' => a + b,
            '-' => a - b,
            '*' => a * b,
            '/' => b == 0 ? double.NaN : a / b,
            '^' => Power(a, b),
            _ => double.NaN,
        };
    }

    public override Fraction? TryExact(IReadOnlyDictionary<string, Fraction> variables)
    {
        if (Left.TryExact(variables) is not { } a || Right.TryExact(variables) is not { } b) return null;
        Fraction r;
        switch (Op)
        {
            case '+': r = a.Add(b); break;
            case '-': r = a.Subtract(b); break;
            case '*': r = a.Multiply(b); break;
            case '/':
                if (b.IsZero) return null;
                r = a.Divide(b);
                break;
            case '^':
                if (ExactPower(a, b) is not { } p) return null;
                r = p;
                break;
            default: return null;
        }
        return ExactLimits.TooBig(r) ? null : r.Reduce();
    }

    /// <summary>a^b exactly: integer exponents within bounds, and p/q exponents where a is a perfect q-th power.</summary>
    internal static Fraction? ExactPower(Fraction a, Fraction b)
    {
        if (b.Denominator.GetBitLength() > 16 || BigInteger.Abs(b.Numerator) > ExactLimits.MaxExponent) return null;
        var p = (int)b.Numerator;
        var q = (int)b.Denominator;
        if (q != 1)
        {
            if (Roots.TryExactRoot(a, q) is not { } root) return null;
            a = root;
        }
        if (a.IsZero) return p < 0 ? null : p == 0 ? Fraction.One : Fraction.Zero;
        // Estimate the size first: |p| · bits(a) beyond the limit is not computed.
        var bits = System.Math.Max(a.Numerator.GetBitLength(), a.Denominator.GetBitLength());
        if ((long)System.Math.Abs(p) * bits > ExactLimits.MaxBits) return null;
        var num = BigInteger.Pow(a.Numerator, System.Math.Abs(p));
        var den = BigInteger.Pow(a.Denominator, System.Math.Abs(p));
        return p >= 0 ? new Fraction(num, den) : new Fraction(den, num);
    }

    /// <summary>Real powers; a negative base with an odd-denominator rational exponent (cube roots) stays real.</summary>
    private static double Power(double a, double b)
    {
        if (a >= 0 || b == System.Math.Floor(b)) return System.Math.Pow(a, b);
        // b = p/q with q odd: (−|a|)^(p/q) = (−1)^p · |a|^(p/q), so x^{2/3} is defined for x < 0 as ∛x² is.
        for (var q = 3; q <= 15; q += 2)
        {
            var p = b * q;
            if (System.Math.Abs(p - System.Math.Round(p)) > 1e-9) continue;
            var magnitude = System.Math.Pow(-a, b);
            return ((long)System.Math.Round(p)) % 2 == 0 ? magnitude : -magnitude;
        }
        return double.NaN;
    }

    public override void CollectVariables(ISet<string> into) { Left.CollectVariables(into); Right.CollectVariables(into); }
    public override bool MentionsInfinity => Left.MentionsInfinity || Right.MentionsInfinity;
}

public sealed record FunctionExpr(string Name, MathExpression Argument) : MathExpression
{
    public static readonly IReadOnlySet<string> Known = new HashSet<string>(StringComparer.Ordinal)
    {
        "sqrt", "sin", "cos", "tan", "cot", "sec", "csc", "arcsin", "arccos", "arctan", "sinh", "cosh", "tanh",
        "ln", "log", "exp", "abs",
    };

    public override double Evaluate(IReadOnlyDictionary<string, double> variables)
    {
        var x = Argument.Evaluate(variables);
        return Name switch
        {
            "sqrt" => x < 0 ? double.NaN : System.Math.Sqrt(x),
            "sin" => System.Math.Sin(x),
            "cos" => System.Math.Cos(x),
            "tan" => System.Math.Tan(x),
            "cot" => 1 / System.Math.Tan(x),
            "sec" => 1 / System.Math.Cos(x),
            "csc" => 1 / System.Math.Sin(x),
            "arcsin" => System.Math.Asin(x),
            "arccos" => System.Math.Acos(x),
            "arctan" => System.Math.Atan(x),
            "sinh" => System.Math.Sinh(x),
            "cosh" => System.Math.Cosh(x),
            "tanh" => System.Math.Tanh(x),
            "ln" or "log" => x <= 0 ? double.NaN : System.Math.Log(x), // log is natural log, as in most competition answers' tooling
            "exp" => System.Math.Exp(x),
            "abs" => System.Math.Abs(x),
            _ => double.NaN,
        };
    }

    public override Fraction? TryExact(IReadOnlyDictionary<string, Fraction> variables)
    {
        if (Argument.TryExact(variables) is not { } x) return null;
        return Name switch
        {
            "sqrt" => x.IsNegative ? null : Roots.TryExactRoot(x, 2),
            "abs" => x.Abs(),
            // sin 0 = 0, cos 0 = 1, ln 1 = 0, exp 0 = 1: the only rational values at rational points that matter here.
            "sin" or "tan" or "arcsin" or "arctan" or "sinh" or "tanh" when x.IsZero => Fraction.Zero,
            "cos" or "sec" or "cosh" or "exp" when x.IsZero => Fraction.One,
            "ln" or "log" when x.Equals(Fraction.One) => Fraction.Zero,
            _ => null,
        };
    }

    public override void CollectVariables(ISet<string> into) => Argument.CollectVariables(into);
    public override bool MentionsInfinity => Argument.MentionsInfinity;
}

internal static class Roots
{
    /// <summary>The exact q-th root of a rational, when numerator and denominator are perfect q-th powers.</summary>
    public static Fraction? TryExactRoot(Fraction a, int q)
    {
        if (q < 1 || q > 64) return null;
        if (q == 1) return a;
        var negative = a.IsNegative;
        if (negative && q % 2 == 0) return null;
        var n = BigInteger.Abs(a.Numerator);
        var d = BigInteger.Abs(a.Denominator);
        if (IntegerRoot(n, q) is not { } rn || IntegerRoot(d, q) is not { } rd) return null;
        var r = new Fraction(rn, rd);
        return negative ? r.Negate() : r;
    }

    private static BigInteger? IntegerRoot(BigInteger n, int q)
    {
        if (n.IsZero || n.IsOne) return n;
        // Start from a double estimate, then correct by ±1 steps.
        var estimate = System.Math.Exp(BigInteger.Log(n) / q);
        if (double.IsInfinity(estimate) || double.IsNaN(estimate)) return null;
        var r = new BigInteger(System.Math.Round(estimate));
        if (n.GetBitLength() > 60)
        {
            // Newton's method on integers for large values.
            r = BigInteger.One << (int)((n.GetBitLength() + q - 1) / q);
            for (var iterations = 0; iterations < 4096; iterations++)
            {
                var next = ((q - 1) * r + n / BigInteger.Pow(r, q - 1)) / q;
                if (next >= r) break;
                r = next;
            }
        }
        for (var delta = -2; delta <= 2; delta++)
        {
            var c = r + delta;
            if (c.Sign > 0 && BigInteger.Pow(c, q) == n) return c;
        }
        return null;
    }
}

/// <summary>
/// Recursive-descent parser for normalised answers: numbers (with scientific notation), variables (one letter,
/// optionally subscripted: <c>x_1</c>, <c>a_(37)</c>), <c>pi</c>, <c>e</c>, <c>inf</c>, the functions in
/// <see cref="FunctionExpr.Known"/> (also <c>sin^2 x</c>), <c>|x|</c>, <c>+ - * / ^ !</c>, parentheses and implicit
/// multiplication (<c>2x</c>, <c>3(x+1)</c>, <c>2pi</c>). Two numbers side by side (<c>11 6</c>) are not a product:
/// the parse fails. Returns null for anything else; nesting deeper than <see cref="MaxDepth"/> fails too.
/// </summary>
public sealed class MathParser
{
    public const int MaxDepth = 100;
    private readonly string _s;
    private int _i;
    private int _depth;

    private MathParser(string s) { _s = s; }

    public static MathExpression? TryParse(string text)
    {
        if (string.IsNullOrWhiteSpace(text) || text.Length > 2000) return null;
        var p = new MathParser(text);
        try
        {
            var e = p.ParseSum();
            p.SkipSpaces();
            return p._i == p._s.Length ? e : null;
        }
        catch (FormatException)
        {
            return null;
        }
    }

    private void SkipSpaces() { while (_i < _s.Length && char.IsWhiteSpace(_s[_i])) _i++; }

    private char Peek() { SkipSpaces(); return _i < _s.Length ? _s[_i] : '\0'; }

    private void Enter() { if (++_depth > MaxDepth) throw new FormatException("nested too deeply"); }

    private MathExpression ParseSum()
    {
        Enter();
        var left = ParseProduct();
        while (Peek() is '+' or '-')
        {
            var op = _s[_i++];
            left = new BinaryExpr(op, left, ParseProduct());
        }
        _depth--;
        return left;
    }

    private MathExpression ParseProduct()
    {
        var left = ParseUnary();
        while (true)
        {
            var c = Peek();
            if (c is '*' or '/')
            {
                _i++;
                left = new BinaryExpr(c, left, ParseUnary());
            }
            else if (char.IsAsciiLetter(c) || char.IsDigit(c) || c is '(' or '.')
            {
                // A factor never starts with a digit: "11 6" is not 66, "(11) 4" is not 44 ("1 000" and mixed numbers
                // are normalised before parsing; "2x", "3(x+1)" and "2\sqrt{3}" start with the number).
                if (char.IsDigit(c) || c == '.') throw new FormatException("numbers side by side");
                left = new BinaryExpr('*', left, ParsePower()); // implicit multiplication
            }
            else return left;
        }
    }

    private MathExpression ParseUnary()
    {
        Enter();
        var c = Peek();
        MathExpression result;
        if (c == '-') { _i++; result = new UnaryExpr('-', ParseUnary()); }
        else if (c == '+') { _i++; result = ParseUnary(); }
        else result = ParsePower();
        _depth--;
        return result;
    }

    private MathExpression ParsePower()
    {
        var b = ParsePostfix();
        if (Peek() == '^')
        {
            _i++;
            return new BinaryExpr('^', b, ParseUnary());
        }
        return b;
    }

    private MathExpression ParsePostfix()
    {
        var e = ParsePrimary();
        while (Peek() == '!') { _i++; e = new UnaryExpr('!', e); }
        return e;
    }

    private MathExpression ParsePrimary()
    {
        Enter();
        var c = Peek();
        MathExpression result;
        if (c == '(')
        {
            _i++;
            var inner = ParseSum();
            if (Peek() != ')') throw new FormatException("missing )");
            _i++;
            result = inner;
        }
        else if (c == '|')
        {
            _i++;
            var inner = ParseSum();
            if (Peek() != '|') throw new FormatException("missing |");
            _i++;
            result = new FunctionExpr("abs", inner);
        }
        else if (char.IsDigit(c) || c == '.') result = ParseNumber();
        else if (char.IsAsciiLetter(c)) result = ParseWord();
        else throw new FormatException($"unexpected '{c}'");
        _depth--;
        return result;
    }

    private MathExpression ParseNumber()
    {
        var start = _i;
        while (_i < _s.Length && char.IsDigit(_s[_i])) _i++;
        var point = -1;
        if (_i < _s.Length && _s[_i] == '.')
        {
            point = _i++;
            while (_i < _s.Length && char.IsDigit(_s[_i])) _i++;
        }
        var mantissa = _s[start.._i];
        if (mantissa is "." or "") throw new FormatException("bad number");
        // Scientific notation: 1.5e3, 2E-4 (an 'e' followed by digits, not Euler's number).
        var exponent = 0;
        var scientific = false;
        if (_i + 1 < _s.Length && _s[_i] is 'e' or 'E')
        {
            var j = _i + 1;
            if (j < _s.Length && _s[j] is '+' or '-') j++;
            if (j < _s.Length && char.IsDigit(_s[j]))
            {
                var k = j;
                while (k < _s.Length && char.IsDigit(_s[k])) k++;
                if (k - j > 6) throw new FormatException("exponent too large");
                exponent = int.Parse(_s[(_i + 1)..k], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture);
                scientific = true;
                _i = k;
            }
        }
        if (mantissa.Length > 4000) throw new FormatException("number too long");
        var digits = mantissa.Replace(".", "");
        var places = point < 0 ? 0 : mantissa.Length - 1 - (point - start);
        var value = new Fraction(BigInteger.Parse(digits.Length == 0 ? "0" : digits, CultureInfo.InvariantCulture), BigInteger.Pow(10, places));
        if (exponent != 0)
        {
            if (System.Math.Abs(exponent) > ExactLimits.MaxExponent) throw new FormatException("exponent too large");
            var scale = new Fraction(BigInteger.Pow(10, System.Math.Abs(exponent)));
            value = exponent > 0 ? value.Multiply(scale) : value.Divide(scale);
        }
        int? decimalPlaces = point >= 0 || scientific ? places - exponent : null;
        var significant = digits.TrimStart('0').Length;
        return new NumberExpr(value.Reduce(), decimalPlaces, significant);
    }

    private MathExpression ParseWord()
    {
        var start = _i;
        while (_i < _s.Length && char.IsAsciiLetter(_s[_i])) _i++;
        var word = _s[start.._i];
        // Longest known name at the start of the word; the rest is re-read (so "pix" is pi·x and "xy" is x·y).
        foreach (var name in FunctionNamesLongestFirst)
        {
            if (!word.StartsWith(name, StringComparison.Ordinal)) continue;
            _i = start + name.Length;
            // log_b x is ln x / ln b.
            if (name == "log" && _i < _s.Length && _s[_i] == '_')
            {
                _i++;
                var logBase = ParsePrimary();
                return new BinaryExpr('/', new FunctionExpr("ln", ParseFunctionArgument()), new FunctionExpr("ln", logBase));
            }
            // sin^2 x is (sin x)^2; sec^2(y) likewise; but sin^{-1} x is arcsin x.
            if (Peek() == '^')
            {
                _i++;
                var power = Peek() == '-' ? ParseUnary() : ParsePrimary();
                if (name is "sin" or "cos" or "tan" && power.TryExact(new Dictionary<string, Fraction>()) is { } p && p.Equals(Fraction.MinusOne))
                    return new FunctionExpr("arc" + name, ParseFunctionArgument());
                return new BinaryExpr('^', new FunctionExpr(name, ParseFunctionArgument()), power);
            }
            return new FunctionExpr(name, ParseFunctionArgument());
        }
        foreach (var name in Constants)
        {
            if (!word.StartsWith(name, StringComparison.Ordinal)) continue;
            _i = start + name.Length;
            return new ConstantExpr(name);
        }
        _i = start + 1;
        var variable = word[..1];
        // A subscript belongs to the variable's name: x_1, a_(37), F_n.
        if (_i < _s.Length && _s[_i] == '_')
        {
            var j = _i + 1;
            if (j < _s.Length && _s[j] == '(')
            {
                var close = _s.IndexOf(')', j);
                if (close < 0) throw new FormatException("bad subscript");
                variable += "_" + _s[(j + 1)..close].Replace(" ", "");
                _i = close + 1;
            }
            else if (j < _s.Length && char.IsLetterOrDigit(_s[j]))
            {
                var k = j;
                if (char.IsDigit(_s[k])) while (k < _s.Length && char.IsDigit(_s[k])) k++;
                else k++;
                variable += "_" + _s[j..k];
                _i = k;
            }
            else throw new FormatException("bad subscript");
        }
        return new VariableExpr(variable);
    }

    private static readonly string[] FunctionNamesLongestFirst = FunctionExpr.Known.OrderByDescending(n => n.Length).ThenBy(n => n, StringComparer.Ordinal).ToArray();
    private static readonly string[] Constants = ["inf", "pi", "e"];

    /// <summary><c>sin(x)</c> or <c>sin x</c> (a power, so <c>sin 2x</c> reads as sin(2)·x, the usual convention).</summary>
    private MathExpression ParseFunctionArgument() => Peek() == '(' ? ParsePrimary() : ParsePower();
}
