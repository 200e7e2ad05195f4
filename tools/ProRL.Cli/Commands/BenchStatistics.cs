namespace ProRL.Cli.Commands;

/// <summary>The summary statistic every `prorl bench` command reports.</summary>
public static class BenchStatistics
{
    /// <summary>The median (the mean of the two middle values for an even count).</summary>
    public static double Median(IReadOnlyCollection<double> values)
    {
        if (values.Count == 0) throw new ArgumentException("No values to take the median of.", nameof(values));
        var sorted = values.Order().ToList();
        return sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[sorted.Count / 2 - 1] + sorted[sorted.Count / 2]) / 2;
    }
}
