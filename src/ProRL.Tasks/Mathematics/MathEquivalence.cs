namespace ProRL.Tasks.Mathematics;

/// <summary>How tuples and intervals with different brackets compare.</summary>
public enum BracketStrictness
{
    /// <summary><c>(1,2)</c> ≠ <c>[1,2]</c>: brackets carry meaning (open vs closed intervals).</summary>
    Strict,
    /// <summary><c>(1,2)</c> = <c>[1,2]</c>: only the elements and their order matter.</summary>
    Lenient,
}

/// <summary>Decides whether two answers are mathematically the same.</summary>
public sealed class MathEquivalence(BracketStrictness brackets = BracketStrictness.Strict, double relativeTolerance = 1e-6)
{
    // Fixed, irregular sample points: equality at all of them is overwhelmingly unlikely by chance.
    private static readonly double[] SamplePoints = [0.5772, 1.3183, 2.7061, -0.8347, 3.1416 / 7, 1.9021, -2.2361, 0.3090];

    public BracketStrictness Brackets { get; } = brackets;
    public double RelativeTolerance { get; } = relativeTolerance;

    public bool AreEquivalent(string reference, string candidate) =>
        Equivalent(MathAnswer.Parse(reference), MathAnswer.Parse(candidate));

    public bool Equivalent(MathAnswer a, MathAnswer b) => (a, b) switch
    {
        (ScalarAnswer x, ScalarAnswer y) => ScalarsEqual(x.Text, y.Text),
        (BracketedAnswer x, BracketedAnswer y) =>
            (Brackets == BracketStrictness.Lenient || (x.Open == y.Open && x.Close == y.Close)) && SequenceEqual(x.Items, y.Items),
        (SetAnswer x, SetAnswer y) => SameMultiset(x.Items, y.Items),
        (UnionAnswer x, UnionAnswer y) => SameMultiset(x.Parts, y.Parts),
        (MatrixAnswer x, MatrixAnswer y) => x.Rows.Count == y.Rows.Count && x.Rows.Zip(y.Rows).All(r => SequenceEqual(r.First, r.Second)),
        (EquationAnswer x, EquationAnswer y) => EquationsEqual(x, y),
        (EquationAnswer { NamesAValue: true } x, _) => Equivalent(MathAnswer.FromNormalized(x.Right), b),
        (_, EquationAnswer { NamesAValue: true } y) => Equivalent(a, MathAnswer.FromNormalized(y.Right)),
        _ => false,
    };

    private bool SequenceEqual(IReadOnlyList<MathAnswer> a, IReadOnlyList<MathAnswer> b) =>
        a.Count == b.Count && a.Zip(b).All(p => Equivalent(p.First, p.Second));

    /// <summary>Order-insensitive matching (greedy is exact here because equivalence is transitive).</summary>
    private bool SameMultiset(IReadOnlyList<MathAnswer> a, IReadOnlyList<MathAnswer> b)
    {
        if (a.Count != b.Count) return false;
        var unused = b.ToList();
        foreach (var item in a)
        {
            var match = unused.FindIndex(u => Equivalent(item, u));
            if (match < 0) return false;
            unused.RemoveAt(match);
        }
        return true;
    }

    private bool ScalarsEqual(string a, string b)
    {
        if (string.Equals(a.Replace(" ", ""), b.Replace(" ", ""), StringComparison.Ordinal)) return true;
        var x = LooksLikeWords(a) ? null : MathParser.TryParse(a);
        var y = LooksLikeWords(b) ? null : MathParser.TryParse(b);
        if (x is null || y is null)
            return x is null && y is null && LatexNormalizer.NormalizeText(a) == LatexNormalizer.NormalizeText(b);
        return FunctionsAgree(x, y, (p, q) => Close(p, q));
    }

    /// <summary>A run of three or more letters that is not a function or constant name means words ("yes", "Monday"), not a product of variables.</summary>
    private static bool LooksLikeWords(string s) =>
        System.Text.RegularExpressions.Regex.Matches(s, "[a-zA-Z]{3,}").Any(m => !FunctionExpr.Known.Contains(m.Value) && m.Value is not ("inf" or "pi"));

    /// <summary>Equations are equal when (lhs − rhs) of one is a non-zero constant multiple of the other's.</summary>
    private bool EquationsEqual(EquationAnswer a, EquationAnswer b)
    {
        var fa = MathParser.TryParse($"({a.Left})-({a.Right})");
        var fb = MathParser.TryParse($"({b.Left})-({b.Right})");
        if (fa is null || fb is null) return false;
        double? ratio = null;
        return FunctionsAgree(fa, fb, (p, q) =>
        {
            if (System.Math.Abs(p) < 1e-12 || System.Math.Abs(q) < 1e-12) return System.Math.Abs(p) < 1e-9 && System.Math.Abs(q) < 1e-9;
            ratio ??= p / q;
            return Close(p / q, ratio.Value);
        });
    }

    /// <summary>
    /// Compares two expressions at the sample points (all variables of both bound). A point where both are undefined
    /// is skipped; one defined and the other not is a mismatch; at least two points must be defined.
    /// </summary>
    private static bool FunctionsAgree(MathExpression x, MathExpression y, Func<double, double, bool> agree)
    {
        var variables = x.Variables.Union(y.Variables).ToList();
        var points = variables.Count == 0 ? 1 : SamplePoints.Length;
        var defined = 0;
        for (var k = 0; k < points; k++)
        {
            var binding = new Dictionary<string, double>();
            for (var v = 0; v < variables.Count; v++) binding[variables[v]] = SamplePoints[(k + 3 * v) % SamplePoints.Length];
            var p = x.Evaluate(binding);
            var q = y.Evaluate(binding);
            if (double.IsNaN(p) && double.IsNaN(q)) continue;
            if (double.IsNaN(p) || double.IsNaN(q) || !agree(p, q)) return false;
            defined++;
        }
        return defined >= System.Math.Min(points, 2);
    }

    private bool Close(double p, double q)
    {
        if (double.IsInfinity(p) || double.IsInfinity(q)) return p == q;
        var scale = System.Math.Max(System.Math.Abs(p), System.Math.Abs(q));
        return System.Math.Abs(p - q) <= System.Math.Max(1e-9, RelativeTolerance * scale);
    }
}
