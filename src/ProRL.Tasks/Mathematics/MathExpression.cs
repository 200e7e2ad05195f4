using System.Globalization;

namespace ProRL.Tasks.Mathematics;

/// <summary>An expression tree over real numbers: what a normalised math answer parses into.</summary>
public abstract record MathExpression
{
    public abstract double Evaluate(IReadOnlyDictionary<string, double> variables);

    public abstract void CollectVariables(ISet<string> into);

    public IReadOnlySet<string> Variables
    {
        get { var set = new SortedSet<string>(StringComparer.Ordinal); CollectVariables(set); return set; }
    }
}

public sealed record NumberExpr(double Value) : MathExpression
{
    public override double Evaluate(IReadOnlyDictionary<string, double> variables) => Value;
    public override void CollectVariables(ISet<string> into) { }
}

public sealed record VariableExpr(string Name) : MathExpression
{
    public override double Evaluate(IReadOnlyDictionary<string, double> variables) =>
        variables.TryGetValue(Name, out var v) ? v : double.NaN;
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
            _ => throw new InvalidOperationException($"unknown unary operator {Op}"),
        };
    }

    private static double Factorial(double x)
    {
        if (x < 0 || x != System.Math.Floor(x) || x > 170) return double.NaN;
        var r = 1.0;
        for (var i = 2; i <= (int)x; i++) r *= i;
        return r;
    }

    public override void CollectVariables(ISet<string> into) => Operand.CollectVariables(into);
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
            _ => throw new InvalidOperationException($"unknown operator {Op}"),
        };
    }

    /// <summary>Real powers; a negative base with an odd-denominator rational exponent (cube roots) stays real.</summary>
    private static double Power(double a, double b)
    {
        if (a >= 0 || b == System.Math.Floor(b)) return System.Math.Pow(a, b);
        var inverse = 1.0 / b;
        if (System.Math.Abs(inverse - System.Math.Round(inverse)) < 1e-9 && ((long)System.Math.Round(inverse)) % 2 != 0)
            return -System.Math.Pow(-a, b);
        return double.NaN;
    }

    public override void CollectVariables(ISet<string> into) { Left.CollectVariables(into); Right.CollectVariables(into); }
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

    public override void CollectVariables(ISet<string> into) => Argument.CollectVariables(into);
}

/// <summary>
/// Recursive-descent parser for normalised answers: numbers (with scientific notation), single-letter variables,
/// <c>pi</c>, <c>e</c>, <c>inf</c>, the functions in <see cref="FunctionExpr.Known"/>, <c>+ - * / ^ !</c>, parentheses
/// and implicit multiplication (<c>2x</c>, <c>3(x+1)</c>, <c>2pi</c>). Returns null for anything else.
/// </summary>
public sealed class MathParser
{
    private readonly string _s;
    private int _i;

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

    private MathExpression ParseSum()
    {
        var left = ParseProduct();
        while (Peek() is '+' or '-')
        {
            var op = _s[_i++];
            left = new BinaryExpr(op, left, ParseProduct());
        }
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
            else if (char.IsLetterOrDigit(c) || c is '(' or '.')
            {
                left = new BinaryExpr('*', left, ParsePower()); // implicit multiplication
            }
            else return left;
        }
    }

    private MathExpression ParseUnary()
    {
        var c = Peek();
        if (c == '-') { _i++; return new UnaryExpr('-', ParseUnary()); }
        if (c == '+') { _i++; return ParseUnary(); }
        return ParsePower();
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
        var c = Peek();
        if (c == '(')
        {
            _i++;
            var inner = ParseSum();
            if (Peek() != ')') throw new FormatException("missing )");
            _i++;
            return inner;
        }
        if (char.IsDigit(c) || c == '.') return ParseNumber();
        if (char.IsLetter(c)) return ParseWord();
        throw new FormatException($"unexpected '{c}'");
    }

    private MathExpression ParseNumber()
    {
        var start = _i;
        while (_i < _s.Length && (char.IsDigit(_s[_i]) || _s[_i] == '.')) _i++;
        // Scientific notation: 1.5e3, 2E-4 (an 'e' followed by digits, not Euler's number).
        if (_i + 1 < _s.Length && _s[_i] is 'e' or 'E')
        {
            var j = _i + 1;
            if (j < _s.Length && _s[j] is '+' or '-') j++;
            if (j < _s.Length && char.IsDigit(_s[j]))
            {
                _i = j;
                while (_i < _s.Length && char.IsDigit(_s[_i])) _i++;
            }
        }
        var text = _s[start.._i];
        if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var v)) throw new FormatException($"bad number {text}");
        return new NumberExpr(v);
    }

    private MathExpression ParseWord()
    {
        var start = _i;
        while (_i < _s.Length && char.IsLetter(_s[_i])) _i++;
        var word = _s[start.._i];
        // Longest known name at the start of the word; the rest is re-read (so "pix" is pi·x and "xy" is x·y).
        foreach (var name in FunctionExpr.Known.OrderByDescending(n => n.Length))
        {
            if (!word.StartsWith(name, StringComparison.Ordinal)) continue;
            _i = start + name.Length;
            return new FunctionExpr(name, ParseFunctionArgument());
        }
        foreach (var (name, value) in Constants)
        {
            if (!word.StartsWith(name, StringComparison.Ordinal)) continue;
            _i = start + name.Length;
            return new NumberExpr(value);
        }
        _i = start + 1;
        return new VariableExpr(word[..1]);
    }

    private static readonly (string Name, double Value)[] Constants = [("inf", double.PositiveInfinity), ("pi", System.Math.PI), ("e", System.Math.E)];

    /// <summary><c>sin(x)</c>, <c>sin x</c>, <c>sin^2 x</c> is not supported (returns the plain argument form).</summary>
    private MathExpression ParseFunctionArgument() => Peek() == '(' ? ParsePrimary() : ParsePower();
}
