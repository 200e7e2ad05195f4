namespace ProRL.Algorithms.Evaluation;

/// <summary>A point estimate with a confidence interval.</summary>
public readonly record struct ConfidenceInterval(double Estimate, double Lower, double Upper, double Level);

/// <summary>Percentile bootstrap over problems, seeded so a report is reproducible.</summary>
public static class BootstrapInterval
{
    /// <summary>
    /// Percentile bootstrap CI of the mean of <paramref name="values"/>: draw <paramref name="resamples"/> samples of the same
    /// size with replacement (System.Random seeded with <paramref name="seed"/>), take each mean, and return the
    /// (1 − level)/2 and (1 + level)/2 quantiles (linear interpolation between order statistics). The estimate is the
    /// plain mean.
    /// </summary>
    public static ConfidenceInterval OfMean(IReadOnlyList<double> values, int resamples = 1000, double level = 0.95, int seed = 0)
    {
        ArgumentNullException.ThrowIfNull(values);
        if (values.Count == 0) throw new ArgumentException("No values to bootstrap.", nameof(values));
        if (resamples < 1) throw new ArgumentOutOfRangeException(nameof(resamples), resamples, "At least one resample.");
        if (!(level is > 0 and < 1)) throw new ArgumentOutOfRangeException(nameof(level), level, "The level lies in (0, 1).");
        if (values.Any(v => !double.IsFinite(v))) throw new ArgumentException("Every value must be finite.", nameof(values));

        var random = new Random(seed);
        var means = new double[resamples];
        for (int r = 0; r < resamples; r++)
        {
            double sum = 0;
            for (int i = 0; i < values.Count; i++) sum += values[random.Next(values.Count)];
            means[r] = sum / values.Count;
        }
        Array.Sort(means);
        return new ConfidenceInterval(values.Average(), Quantile(means, (1 - level) / 2), Quantile(means, (1 + level) / 2), level);
    }

    /// <summary>Bootstrap CI of mean pass@k over problems (problems are the resampled unit).</summary>
    public static ConfidenceInterval OfPassAtK(
        IReadOnlyList<ProblemSamples> problems, int k, int resamples = 1000, double level = 0.95, int seed = 0) =>
        OfMean(PassAtK.PerProblem(problems, k), resamples, level, seed);

    /// <summary>Quantile q of sorted values, interpolating linearly between neighbours (numpy's default).</summary>
    public static double Quantile(IReadOnlyList<double> sorted, double q)
    {
        ArgumentNullException.ThrowIfNull(sorted);
        if (sorted.Count == 0) throw new ArgumentException("No values.", nameof(sorted));
        if (!(q is >= 0 and <= 1)) throw new ArgumentOutOfRangeException(nameof(q), q, "A quantile lies in [0, 1].");
        double position = q * (sorted.Count - 1);
        int below = (int)Math.Floor(position);
        int above = Math.Min(below + 1, sorted.Count - 1);
        return sorted[below] + (position - below) * (sorted[above] - sorted[below]);
    }
}
