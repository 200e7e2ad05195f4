using ProRL.Onnx.Graph;

namespace ProRL.Training.Autodiff;

/// <summary>
/// Products of sizes, such as 3 × sequence_length for the query rows that grouped-query attention folds together.
/// A product is named by a canonical string ("3*sequence_length"), so two values of the same size share one symbol
/// and <see cref="ShapeInference.SameDim"/> still compares names. Only names made here are read back as products;
/// any other symbol (the export's own, "past_sequence_length + 1" included) is one opaque factor.
/// </summary>
internal sealed class SymbolicDims
{
    private readonly Dictionary<string, Monomial> _products = new(StringComparer.Ordinal);

    /// <summary>coefficient × the product of <paramref name="Symbols"/> (sorted, with repeats).</summary>
    internal sealed record Monomial(long Coefficient, string[] Symbols)
    {
        public static readonly Monomial One = new(1, []);

        public Monomial Times(Monomial other) =>
            new(checked(Coefficient * other.Coefficient), [.. Symbols.Concat(other.Symbols).Order(StringComparer.Ordinal)]);

        /// <summary>This over <paramref name="divisor"/> when the division is exact, else null.</summary>
        public Monomial? Over(Monomial divisor)
        {
            if (divisor.Coefficient == 0 || Coefficient % divisor.Coefficient != 0) return null;
            var left = Symbols.ToList();
            foreach (var s in divisor.Symbols)
                if (!left.Remove(s)) return null;
            return new(Coefficient / divisor.Coefficient, [.. left]);
        }
    }

    /// <summary>The dim as a product, or null for a size that is not known even as a symbol.</summary>
    public Monomial? Read(Dim d)
    {
        if (d.Value is { } v) return new(v, []);
        if (d.Param is not { } p) return null;
        return _products.TryGetValue(p, out var m) ? m : new(1, [p]);
    }

    public Dim Write(Monomial m)
    {
        if (m.Symbols.Length == 0) return m.Coefficient;
        if (m.Coefficient == 1 && m.Symbols.Length == 1) return new Dim(null, m.Symbols[0]);
        if (m.Coefficient == 0) return 0;
        var name = string.Join("*", m.Coefficient == 1 ? m.Symbols : [m.Coefficient.ToString(System.Globalization.CultureInfo.InvariantCulture), .. m.Symbols]);
        _products.TryAdd(name, m);
        return new Dim(null, name);
    }

    /// <summary>The product of <paramref name="dims"/>, or null when one of them is unknown.</summary>
    public Monomial? Product(IEnumerable<Dim> dims)
    {
        var acc = Monomial.One;
        foreach (var d in dims)
        {
            if (Read(d) is not { } m) return null;
            acc = acc.Times(m);
        }
        return acc;
    }
}
