namespace ProRL.Algorithms.Common;

/// <summary>Mean and standard deviation of small samples, accumulated in double.</summary>
public static class Statistics
{
    /// <summary>Arithmetic mean; throws on an empty sample.</summary>
    public static double Mean(ReadOnlySpan<double> values)
    {
        if (values.IsEmpty) throw new ArgumentException("Cannot take the mean of an empty sample.", nameof(values));
        double sum = 0;
        foreach (var v in values) sum += v;
        return sum / values.Length;
    }

    /// <summary>
    /// Standard deviation about <paramref name="mean"/>. With <paramref name="unbiased"/> the sum of squares is divided
    /// by n − 1 (Bessel, as torch.std does by default), otherwise by n. A single value has deviation 0 either way.
    /// </summary>
    public static double StandardDeviation(ReadOnlySpan<double> values, double mean, bool unbiased)
    {
        if (values.IsEmpty) throw new ArgumentException("Cannot take the deviation of an empty sample.", nameof(values));
        if (values.Length == 1) return 0;
        double squares = 0;
        foreach (var v in values) squares += (v - mean) * (v - mean);
        return Math.Sqrt(squares / (unbiased ? values.Length - 1 : values.Length));
    }

    /// <summary>True when all values are exactly equal (the robust form of "std == 0": no rounding in a mean).</summary>
    public static bool AllEqual(ReadOnlySpan<double> values)
    {
        for (int i = 1; i < values.Length; i++)
            if (values[i] != values[0]) return false;
        return true;
    }
}
