using System.Numerics;
using System.Text.RegularExpressions;
using Fractions;

namespace ProRL.Tasks.Mathematics;

/// <summary>How tuples and intervals with different brackets compare.</summary>
public enum BracketStrictness
{
    /// <summary><c>(1,2)</c> ≠ <c>[1,2]</c>: brackets carry meaning (open vs closed intervals).</summary>
    Strict,
    /// <summary><c>(1,2)</c> = <c>[1,2]</c>: only the elements and their order matter.</summary>
    Lenient,
}

/// <summary>
/// Decides whether a candidate answer is mathematically the same as the reference.
/// <para>
/// Numbers. Integers, fractions and decimals are compared exactly, as rationals of any size (<c>1000001 ≠ 1000000</c>,
/// <c>123456790 ≠ 123456789</c>, <c>0.5 = 1/2</c>, <c>1e2 = 100</c>). A tolerance applies only where one side is a
/// decimal literal (<c>0.3333</c>, <c>3.1416</c>, <c>6.02e23</c>, <c>6.02 \times 10^{23}</c>) and the other side's value
/// has no finite decimal expansion (a fraction such as 1/3, or an irrational such as π or √2); it is scaled to the
/// digits written:
/// a decimal reference accepts a value that rounds to it (within half a unit of its last digit), so the reference
/// 3.1416 accepts π; a decimal candidate must carry at least <see cref="MinimumSignificantDigits"/> significant
/// digits and lie within one unit of its last digit (rounded or truncated), so 0.33 is not 1/3 and 3.1416 is not π,
/// while 0.333333 is 1/3. Two decimals, or a decimal and a terminating value, are compared exactly.
/// Other values without variables (roots, π, functions) are compared exactly when both are rational, and otherwise
/// in double precision with a relative tolerance of 1e-12 — rounding error only, so <c>\sqrt{4.0000001} ≠ 2</c>.
/// A value that overflows (<c>10^{10^{10}}</c>) or is undefined equals nothing but its own text.
/// </para>
/// <para>
/// Expressions with variables are compared at fixed sample points, exactly where both are rational there.
/// Equations compare when one's (left − right) is a constant multiple of the other's, or, when both name a value
/// (<c>k = 1</c>), by the right sides. Relations and <c>x ∈ S</c> are compared as sets. Lists and <c>\{\}</c> sets are
/// unordered (duplicates ignored unless the reference repeats a member); a set against a tuple compares in written order.
/// </para>
/// </summary>
public sealed partial class MathEquivalence(BracketStrictness brackets = BracketStrictness.Strict, int minimumSignificantDigits = 6)
{
    // Fixed, irregular rational sample points: equality at all of them is overwhelmingly unlikely by chance.
    private static readonly Fraction[] SamplePoints =
        [new(5772, 10000), new(13183, 10000), new(27061, 10000), new(-8347, 10000), new(4488, 10000), new(19021, 10000), new(-22361, 10000), new(3090, 10000)];

    public BracketStrictness Brackets { get; } = brackets;

    /// <summary>Digits a decimal candidate needs before it may stand for a value with no finite decimal expansion.</summary>
    public int MinimumSignificantDigits { get; } = minimumSignificantDigits;

    public bool AreEquivalent(string reference, string candidate)
    {
        var r = LatexNormalizer.Normalize(reference);
        var c = LatexNormalizer.Normalize(candidate);
        if (r.Length > 0 && string.Equals(r.Replace(" ", ""), c.Replace(" ", ""), StringComparison.Ordinal)) return true;
        var parsedReference = MathAnswer.Parse(reference, r);
        var parsedCandidate = MathAnswer.Parse(candidate, c);
        if (Equivalent(parsedReference, parsedCandidate)) return true;
        // A percentage reference (28\%) is answered by 28 or by 0.28; a percentage answer (25\%) answers 25 or 0.25.
        if (LatexNormalizer.HasPercent(reference) && parsedReference is ScalarAnswer scalar
            && Equivalent(new ScalarAnswer($"({scalar.Text})/100"), parsedCandidate)) return true;
        return LatexNormalizer.HasPercent(candidate) && !LatexNormalizer.HasPercent(reference) && parsedCandidate is ScalarAnswer percent
            && Equivalent(parsedReference, new ScalarAnswer($"({percent.Text})/100"));
    }

    /// <summary>Reference <paramref name="a"/> against candidate <paramref name="b"/> (the order matters for decimals and labels).</summary>
    public bool Equivalent(MathAnswer a, MathAnswer b) => Equivalent(a, b, 0);

    private bool Equivalent(MathAnswer a, MathAnswer b, int depth)
    {
        if (depth > 12) return false;
        depth++;
        switch (a, b)
        {
            case (ScalarAnswer x, ScalarAnswer y): return ScalarsEqual(x.Text, y.Text);
            case (BracketedAnswer x, BracketedAnswer y):
                return (Brackets == BracketStrictness.Lenient || (x.Open == y.Open && x.Close == y.Close)) && SequenceEqual(x.Items, y.Items, depth);
            case (SetAnswer x, SetAnswer y): return SetsEqual(x.Items, y.Items, depth);
            case (SetAnswer x, BracketedAnswer { Open: '(' } y) when !x.Items.All(i => i is EquationAnswer { NamesAValue: true }):
                return SequenceEqual(x.Items, y.Items, depth); // a set against a tuple: in the order written (Math-Verify)
            case (BracketedAnswer { Open: '(' } x, SetAnswer y) when !y.Items.All(i => i is EquationAnswer { NamesAValue: true }):
                return SequenceEqual(x.Items, y.Items, depth);
            case (SetAnswer x, BracketedAnswer { Open: '(' } y) when x.Items.All(i => i is EquationAnswer { NamesAValue: true }):
                // p=5, q=2 against (5, 2): the values in the order written.
                return SequenceEqual(x.Items.Select(i => ((EquationAnswer)i).RightValue).ToList(), y.Items, depth);
            case (BracketedAnswer { Open: '(' } x, SetAnswer y) when y.Items.All(i => i is EquationAnswer { NamesAValue: true }):
                return SequenceEqual(x.Items, y.Items.Select(i => ((EquationAnswer)i).RightValue).ToList(), depth);
            case (UnionAnswer x, UnionAnswer y): return SetsEqual(x.Parts, y.Parts, depth);
            // "x ≤ -3 or x ≥ 2" is the union of the two sets.
            case (UnionAnswer or RelationAnswer, SetAnswer { Braced: false } y) when RelationUnion(y) is { } u: return Equivalent(a, u, depth);
            case (SetAnswer { Braced: false } x, UnionAnswer or RelationAnswer) when RelationUnion(x) is { } u: return Equivalent(u, b, depth);
            case (MatrixAnswer x, MatrixAnswer y):
                return x.Rows.Count == y.Rows.Count && x.Rows.Zip(y.Rows).All(r => SequenceEqual(r.First, r.Second, depth));
            case (EquationAnswer x, EquationAnswer y): return EquationsEqual(x, y, depth);
            case (RelationAnswer x, RelationAnswer y):
                return RelationSets.TryBuild(x, out var vx, out var sx) && RelationSets.TryBuild(y, out var vy, out var sy)
                    && vx == vy && Equivalent(sx, sy, depth);
            case (RelationAnswer x, MembershipAnswer y):
                return RelationSets.TryBuild(x, out var v, out var set) && v == Compact(y.Variable) && Equivalent(set, y.Set, depth);
            case (MembershipAnswer x, MembershipAnswer y): return Compact(x.Variable) == Compact(y.Variable) && Equivalent(x.Set, y.Set, depth);
            // Set-membership references are not answered by an inequality (Math-Verify's default asymmetry).
            case (MembershipAnswer, RelationAnswer): return false;
            case (RelationAnswer x, BracketedAnswer or UnionAnswer): return RelationSets.TryBuild(x, out _, out var s1) && Equivalent(s1, b, depth);
            case (BracketedAnswer or UnionAnswer, RelationAnswer y): return RelationSets.TryBuild(y, out _, out var s2) && Equivalent(a, s2, depth);
            case (BracketedAnswer or UnionAnswer or SetAnswer, MembershipAnswer y): return Equivalent(a, y.Set, depth);
            case (MembershipAnswer x, SetAnswer): return Equivalent(x.Set, b, depth);
            case (EquationAnswer { NamesAValue: true } x, _): return Equivalent(x.RightValue, b, depth);
            // A chain "1 = … = 0" states its last value.
            case (EquationAnswer { Chained: true, LeftIsConstant: true } x, _): return Equivalent(x.RightValue, b, depth);
            // An equation answering a value states it on its right: "k = 1", "1/2 = 10/9", "x + y = 7" answer 1, 10/9, 7.
            case (_, EquationAnswer y): return Equivalent(a, y.RightValue, depth);
            case (SetAnswer { Braced: false, Items.Count: 1 } x, _): return Equivalent(x.Items[0], b, depth);
            case (_, SetAnswer { Braced: false, Items.Count: 1 } y): return Equivalent(a, y.Items[0], depth);
            default: return false;
        }
    }

    /// <summary>A list of relations in one variable, as the union of their sets; null otherwise.</summary>
    private static UnionAnswer? RelationUnion(SetAnswer list)
    {
        var parts = new List<MathAnswer>();
        string? variable = null;
        foreach (var item in list.Items)
        {
            if (item is not RelationAnswer r || !RelationSets.TryBuild(r, out var v, out var set) || (variable is not null && v != variable)) return null;
            variable = v;
            if (set is UnionAnswer inner) parts.AddRange(inner.Parts);
            else parts.Add(set);
        }
        return parts.Count > 1 ? new UnionAnswer(parts) : null;
    }

    private static string Compact(string s) => s.Replace(" ", "").Replace("(", "").Replace(")", "");

    private bool SequenceEqual(IReadOnlyList<MathAnswer> a, IReadOnlyList<MathAnswer> b, int depth) =>
        a.Count == b.Count && a.Zip(b).All(p => Equivalent(p.First, p.Second, depth));

    /// <summary>
    /// Unordered comparison. As sets (every member of each side matches one of the other) unless the reference
    /// repeats a member, then as multisets, so a repeated root must be repeated.
    /// </summary>
    private bool SetsEqual(IReadOnlyList<MathAnswer> a, IReadOnlyList<MathAnswer> b, int depth)
    {
        if (a.Count > 64 || b.Count > 64) return false;
        var referenceRepeats = false;
        for (var i = 0; i < a.Count && !referenceRepeats; i++)
            for (var j = i + 1; j < a.Count && !referenceRepeats; j++)
                referenceRepeats = Equivalent(a[i], a[j], depth);
        if (referenceRepeats)
        {
            if (a.Count != b.Count) return false;
            var unused = b.ToList();
            foreach (var item in a)
            {
                var match = unused.FindIndex(u => Equivalent(item, u, depth));
                if (match < 0) return false;
                unused.RemoveAt(match);
            }
            return true;
        }
        return a.All(x => b.Any(y => Equivalent(x, y, depth))) && b.All(y => a.Any(x => Equivalent(x, y, depth)));
    }

    private bool ScalarsEqual(string a, string b)
    {
        if (a.Length > 0 && string.Equals(a.Replace(" ", ""), b.Replace(" ", ""), StringComparison.Ordinal)) return true;
        var x = LooksLikeWords(a) ? null : MathParser.TryParse(a);
        var y = LooksLikeWords(b) ? null : MathParser.TryParse(b);
        // Words compare as text, ignoring case ("No" is "no"); two letters or more, so x and X stay different variables.
        if (Word().IsMatch(a) && Word().IsMatch(b) && string.Equals(a, b, StringComparison.OrdinalIgnoreCase)) return true;
        if (x is null || y is null)
            return x is null && y is null && LatexNormalizer.NormalizeText(a) is { Length: > 0 } ta && ta == LatexNormalizer.NormalizeText(b);
        var variables = x.Variables.Union(y.Variables).ToList();
        if (variables.Count == 0) return ConstantsEqual(x, y);
        return FunctionsAgree(x, y, variables);
    }

    /// <summary>A run of three or more letters that is not a function or constant name means words ("yes", "Monday"), not a product of variables.</summary>
    private static bool LooksLikeWords(string s) =>
        Words().Matches(s).Any(m => !FunctionExpr.Known.Contains(m.Value) && m.Value is not ("inf" or "pi"));

    [GeneratedRegex("[a-zA-Z]{3,}")]
    private static partial Regex Words();

    [GeneratedRegex("^[a-zA-Z]{2,}(?: [a-zA-Z]+)*$")]
    private static partial Regex Word();

    /// <summary>The number rule of the class summary, for two values without variables.</summary>
    internal bool ConstantsEqual(MathExpression reference, MathExpression candidate)
    {
        var referenceDecimal = DecimalLiteral.TryRead(reference);
        var candidateDecimal = DecimalLiteral.TryRead(candidate);
        var empty = new Dictionary<string, Fraction>();
        var exactReference = reference.TryExact(empty);
        var exactCandidate = candidate.TryExact(empty);
        if (exactReference is { } er && exactCandidate is { } ec)
        {
            if (er.CompareTo(ec) == 0) return true;
            if (candidateDecimal is { } cd && referenceDecimal is null && !Terminates(er))
                return CandidateApproximates(er, cd);
            if (referenceDecimal is { } rd && candidateDecimal is null && !Terminates(ec))
                return Distance(ec, rd.Value).CompareTo(rd.Unit.Divide(new Fraction(2))) <= 0;
            return false;
        }
        var vr = reference.Evaluate(EmptyDoubles);
        var vc = candidate.Evaluate(EmptyDoubles);
        if (double.IsNaN(vr) || double.IsNaN(vc)) return false;
        if (double.IsInfinity(vr) || double.IsInfinity(vc))
            return vr == vc && reference.MentionsInfinity && candidate.MentionsInfinity;
        if (candidateDecimal is { } d1 && referenceDecimal is null)
            return d1.SignificantDigits >= MinimumSignificantDigits && WithinUnit(reference, vr, d1, half: false);
        if (referenceDecimal is { } d2 && candidateDecimal is null)
            return WithinUnit(candidate, vc, d2, half: true);
        if (!Close(vr, vc, 1e-12)) return false;
        // Equal in double precision: confirm with as many digits as the literals could hide a near miss in.
        var digits = 40 + 2 * (HighPrecision.LiteralDigits(reference) + HighPrecision.LiteralDigits(candidate));
        BigInteger? hr, hc;
        try
        {
            hr = HighPrecision.Evaluate(reference, digits + 10);
            hc = HighPrecision.Evaluate(candidate, digits + 10);
        }
        catch (HighPrecision.BoundExceededException)
        {
            return false; // too large to decide (1 + 10^{-10^{10}}): not equal, unless the texts are identical
        }
        if (hr is null || hc is null) return true; // trigonometric or logarithmic: double precision is the best we have
        var allowance = BigInteger.Max(BigInteger.Pow(10, 10), BigInteger.Max(BigInteger.Abs(hr.Value), BigInteger.Abs(hc.Value)) / BigInteger.Pow(10, digits));
        return BigInteger.Abs(hr.Value - hc.Value) <= allowance;
    }

    /// <summary>|value − decimal| within one unit (half a unit for a reference) of the decimal's last digit, in high precision where possible.</summary>
    private static bool WithinUnit(MathExpression exact, double value, DecimalLiteral d, bool half)
    {
        var digits = System.Math.Max(20, (int)System.Math.Ceiling(-BigInteger.Log10(d.Unit.Numerator) + BigInteger.Log10(d.Unit.Denominator)) + 20);
        BigInteger? high;
        try { high = digits <= 3000 ? HighPrecision.Evaluate(exact, digits) : null; }
        catch (HighPrecision.BoundExceededException) { return false; }
        if (high is { } hv)
        {
            var scaled = new Fraction(hv, BigInteger.Pow(10, digits));
            var limit = half ? d.Unit.Divide(new Fraction(2)) : d.Unit;
            var distance = Distance(scaled, d.Value);
            return half ? distance.CompareTo(limit) <= 0 : distance.CompareTo(limit) < 0;
        }
        var unit = d.Unit.ToDouble() * (half ? 0.5 : 1.0);
        return System.Math.Abs(value - d.Value.ToDouble()) <= unit + 4e-16 * System.Math.Abs(value);
    }

    private bool CandidateApproximates(Fraction exact, DecimalLiteral candidate) =>
        candidate.SignificantDigits >= MinimumSignificantDigits && Distance(exact, candidate.Value).CompareTo(candidate.Unit) < 0;

    private static Fraction Distance(Fraction a, Fraction b) => a.Subtract(b).Abs();

    /// <summary>A rational with a finite decimal expansion: its reduced denominator has no prime factor but 2 and 5.</summary>
    internal static bool Terminates(Fraction f)
    {
        var d = BigInteger.Abs(f.Reduce().Denominator);
        while (!d.IsZero && (d % 2).IsZero) d /= 2;
        while (!d.IsZero && (d % 5).IsZero) d /= 5;
        return d.IsOne;
    }

    private static readonly Dictionary<string, double> EmptyDoubles = new();

    /// <summary>
    /// Compares two expressions at the sample points (all variables of both bound): exactly where both are rational
    /// there, otherwise to 1e-9 relative. A point where both are undefined is skipped; one defined and the other not
    /// is a mismatch; at least two points must be defined.
    /// </summary>
    private static bool FunctionsAgree(MathExpression x, MathExpression y, List<string> variables)
    {
        var defined = 0;
        for (var k = 0; k < SamplePoints.Length; k++)
        {
            var exactBinding = new Dictionary<string, Fraction>();
            var binding = new Dictionary<string, double>();
            for (var v = 0; v < variables.Count; v++)
            {
                var point = SamplePoints[(k + 3 * v) % SamplePoints.Length];
                exactBinding[variables[v]] = point;
                binding[variables[v]] = point.ToDouble();
            }
            if (x.TryExact(exactBinding) is { } ex && y.TryExact(exactBinding) is { } ey)
            {
                if (ex.CompareTo(ey) != 0) return false;
                defined++;
                continue;
            }
            var p = x.Evaluate(binding);
            var q = y.Evaluate(binding);
            if (double.IsNaN(p) && double.IsNaN(q)) continue;
            if (double.IsNaN(p) || double.IsNaN(q) || !Close(p, q, 1e-9)) return false;
            defined++;
        }
        return defined >= 2;
    }

    /// <summary>
    /// Equations naming a value (<c>a_3 = 2</c>) compare by name and right side; others are equal when
    /// (lhs − rhs) of one is a non-zero constant multiple of the other's.
    /// </summary>
    private bool EquationsEqual(EquationAnswer a, EquationAnswer b, int depth)
    {
        if (a.NamesAValue && b.NamesAValue && Compact(a.Left) == Compact(b.Left)) return Equivalent(a.RightValue, b.RightValue, depth);
        if (b.Chained && a.NamesAValue && Compact(a.Left) == Compact(b.Left)) return Equivalent(a.RightValue, b.RightValue, depth);
        var fa = MathParser.TryParse($"({a.Left})-({a.Right})");
        var fb = MathParser.TryParse($"({b.Left})-({b.Right})");
        if (fa is null || fb is null) return false;
        var variables = fa.Variables.Union(fb.Variables).ToList();
        if (variables.Count == 0) return false;
        double? ratio = null;
        var defined = 0;
        for (var k = 0; k < SamplePoints.Length; k++)
        {
            var binding = new Dictionary<string, double>();
            for (var v = 0; v < variables.Count; v++) binding[variables[v]] = SamplePoints[(k + 3 * v) % SamplePoints.Length].ToDouble();
            var p = fa.Evaluate(binding);
            var q = fb.Evaluate(binding);
            if (double.IsNaN(p) && double.IsNaN(q)) continue;
            if (double.IsNaN(p) || double.IsNaN(q)) return false;
            if (System.Math.Abs(p) < 1e-12 || System.Math.Abs(q) < 1e-12)
            {
                if (!(System.Math.Abs(p) < 1e-9 && System.Math.Abs(q) < 1e-9)) return false;
                continue;
            }
            ratio ??= p / q;
            if (!Close(p / q, ratio.Value, 1e-9)) return false;
            defined++;
        }
        return defined >= 2;
    }

    private static bool Close(double p, double q, double relative)
    {
        if (double.IsInfinity(p) || double.IsInfinity(q)) return false;
        var scale = System.Math.Max(System.Math.Abs(p), System.Math.Abs(q));
        return System.Math.Abs(p - q) <= System.Math.Max(1e-15, relative * scale);
    }
}

/// <summary>A decimal literal as written: its exact value, one unit in its last digit, and its significant digits.</summary>
internal readonly record struct DecimalLiteral(Fraction Value, Fraction Unit, int SignificantDigits)
{
    /// <summary><c>0.333</c>, <c>-2.5e-3</c>, <c>6.02 \times 10^{23}</c>; null for integers and everything else.</summary>
    public static DecimalLiteral? TryRead(MathExpression e)
    {
        switch (e)
        {
            case NumberExpr { DecimalPlaces: { } places } n:
                return new DecimalLiteral(n.Value, PowerOfTen(-places), n.SignificantDigits);
            case UnaryExpr { Op: '-' } u when TryRead(u.Operand) is { } inner:
                return inner with { Value = inner.Value.Negate() };
            case BinaryExpr { Op: '*', Left: NumberExpr { DecimalPlaces: { } places } m, Right: BinaryExpr { Op: '^', Left: NumberExpr ten, Right: var exponent } }
                when ten.DecimalPlaces is null && ten.Value.CompareTo(new Fraction(10)) == 0
                     && exponent.TryExact(new Dictionary<string, Fraction>()) is { } k && k.Denominator.IsOne && BigInteger.Abs(k.Numerator) < 400:
                var shift = (int)k.Numerator;
                var scale = PowerOfTen(shift);
                return new DecimalLiteral(m.Value.Multiply(scale), PowerOfTen(shift - places), m.SignificantDigits);
            default:
                return null;
        }
    }

    private static Fraction PowerOfTen(int exponent) =>
        exponent >= 0 ? new Fraction(BigInteger.Pow(10, exponent)) : new Fraction(BigInteger.One, BigInteger.Pow(10, -exponent));
}
