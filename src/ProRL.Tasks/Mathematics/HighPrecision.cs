using System.Numerics;
using Fractions;

namespace ProRL.Tasks.Mathematics;

/// <summary>
/// Fixed-point evaluation to a chosen number of decimal digits, for values that are not rational: + − × ÷, rational
/// powers, roots, |x|, π and e. Used to confirm a double-precision "equal" between irrational values, so that a
/// fraction hiding a near miss of a surd (<c>3880899/2744210</c> for <c>√2</c>, off by 5e-14) is still told apart.
/// Returns null for anything else (trigonometric functions, logarithms: those stay with double precision), and
/// throws <see cref="BoundExceededException"/> where the value is beyond the work bounds (<c>10^{-10^{10}}</c>).
/// </summary>
internal static class HighPrecision
{
    private const int MaxDigits = 3000;
    private const long MaxBits = 200_000;

    internal sealed class BoundExceededException() : Exception("beyond the bounds of exact evaluation");

    /// <summary>The value times 10^digits, rounded toward zero; null when unsupported.</summary>
    public static BigInteger? Evaluate(MathExpression e, int digits)
    {
        if (digits > MaxDigits) throw new BoundExceededException();
        var scale = BigInteger.Pow(10, digits);
        try { return Eval(e, scale, digits, 0); }
        catch (DivideByZeroException) { return null; }
    }

    /// <summary>Decimal digits written in the literals of an expression (numerators and denominators).</summary>
    public static int LiteralDigits(MathExpression e) => e switch
    {
        NumberExpr n => n.Value.Numerator.ToString().Length + n.Value.Denominator.ToString().Length,
        UnaryExpr u => LiteralDigits(u.Operand),
        BinaryExpr b => LiteralDigits(b.Left) + LiteralDigits(b.Right),
        FunctionExpr f => LiteralDigits(f.Argument),
        _ => 0,
    };

    private static BigInteger? Eval(MathExpression e, BigInteger scale, int digits, int depth)
    {
        if (depth > 200) return null;
        depth++;
        BigInteger? result;
        switch (e)
        {
            case NumberExpr n:
                result = n.Value.Numerator * scale / n.Value.Denominator;
                break;
            case ConstantExpr { Name: "pi" }:
                result = Pi(digits, scale);
                break;
            case ConstantExpr { Name: "e" }:
                result = Euler(scale);
                break;
            case UnaryExpr { Op: '-' } u:
                result = -Eval(u.Operand, scale, digits, depth);
                break;
            case UnaryExpr u when u.TryExact(Empty) is { } exact:
                result = exact.Numerator * scale / exact.Denominator;
                break;
            case BinaryExpr b:
                result = Binary(b, scale, digits, depth);
                break;
            case FunctionExpr { Name: "sqrt" } f when Eval(f.Argument, scale, digits, depth) is { } x:
                result = x.Sign < 0 ? null : Root(x * scale, 2);
                break;
            case FunctionExpr { Name: "abs" } f when Eval(f.Argument, scale, digits, depth) is { } x:
                result = BigInteger.Abs(x);
                break;
            default:
                return null;
        }
        return result is { } r && r.GetBitLength() > MaxBits ? throw new BoundExceededException() : result;
    }

    private static BigInteger? Binary(BinaryExpr b, BigInteger scale, int digits, int depth)
    {
        if (b.Op == '^') return Power(b, scale, digits, depth);
        if (Eval(b.Left, scale, digits, depth) is not { } x || Eval(b.Right, scale, digits, depth) is not { } y) return null;
        return b.Op switch
        {
            '+' => x + y,
            '-' => x - y,
            '*' => x * y / scale,
            '/' => y.IsZero ? null : x * scale / y,
            _ => null,
        };
    }

    /// <summary>x^(p/q) for an exactly rational exponent: an integer power, then a q-th root (odd q keeps the sign).</summary>
    private static BigInteger? Power(BinaryExpr b, BigInteger scale, int digits, int depth)
    {
        if (b.Right.TryExact(Empty) is not { } exponent)
            return b.Right.Variables.Count == 0 && HasOnlyArithmetic(b.Right) ? throw new BoundExceededException() : null;
        if (Eval(b.Left, scale, digits, depth) is not { } x) return null;
        if (exponent.Denominator > 64 || BigInteger.Abs(exponent.Numerator) > ExactLimits.MaxExponent) throw new BoundExceededException();
        var p = (int)exponent.Numerator;
        var q = (int)exponent.Denominator;
        if (x.IsZero) return p > 0 ? BigInteger.Zero : null;
        var negative = x.Sign < 0;
        if (negative && q % 2 == 0) return null;
        var magnitude = BigInteger.Abs(x);
        if (q > 1)
        {
            // q-th root of x·scale^(q−1) keeps the scale: (x/s)^(1/q) · s = root(x · s^(q−1)).
            magnitude = Root(magnitude * BigInteger.Pow(scale, q - 1), q);
        }
        var result = scale;
        var power = System.Math.Abs(p);
        var baseValue = magnitude;
        while (power > 0)
        {
            if ((power & 1) == 1) result = result * baseValue / scale;
            power >>= 1;
            if (power > 0) baseValue = baseValue * baseValue / scale;
            if (result.GetBitLength() > MaxBits || baseValue.GetBitLength() > MaxBits) throw new BoundExceededException();
        }
        if (p < 0) result = result.IsZero ? BigInteger.Zero : scale * scale / result;
        var oddSign = negative && Math.Abs(p) % 2 == 1;
        return oddSign ? -result : result;
    }

    /// <summary>Only numbers and + − × ÷ ^: an exponent of that kind that is not exactly rational was too large to compute.</summary>
    private static bool HasOnlyArithmetic(MathExpression e) => e switch
    {
        NumberExpr => true,
        UnaryExpr u => HasOnlyArithmetic(u.Operand),
        BinaryExpr b => HasOnlyArithmetic(b.Left) && HasOnlyArithmetic(b.Right),
        _ => false,
    };

    /// <summary>Integer q-th root (floor) by Newton's method.</summary>
    private static BigInteger Root(BigInteger n, int q)
    {
        if (n.Sign <= 0) return BigInteger.Zero;
        var r = BigInteger.One << (int)((n.GetBitLength() + q - 1) / q);
        for (var i = 0; i < 100_000; i++)
        {
            var next = ((q - 1) * r + n / BigInteger.Pow(r, q - 1)) / q;
            if (next >= r) break;
            r = next;
        }
        return r;
    }

    /// <summary>π by Machin's formula, 16·atan(1/5) − 4·atan(1/239), with guard digits.</summary>
    private static BigInteger Pi(int digits, BigInteger scale)
    {
        var guard = BigInteger.Pow(10, 10);
        var s = scale * guard;
        var pi = 16 * ArctanInverse(5, s) - 4 * ArctanInverse(239, s);
        return pi / guard;
    }

    private static BigInteger ArctanInverse(int x, BigInteger scale)
    {
        var x2 = (BigInteger)x * x;
        var term = scale / x;
        var sum = term;
        for (var k = 1; !term.IsZero; k++)
        {
            term /= x2;
            var t = term / (2 * k + 1);
            sum += k % 2 == 1 ? -t : t;
        }
        return sum;
    }

    private static BigInteger Euler(BigInteger scale)
    {
        var guard = BigInteger.Pow(10, 10);
        var s = scale * guard;
        var term = s;
        var sum = BigInteger.Zero;
        for (var k = 1; !term.IsZero; k++)
        {
            sum += term;
            term /= k;
        }
        return sum / guard;
    }

    private static readonly Dictionary<string, Fraction> Empty = new();
}
