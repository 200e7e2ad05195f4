using ProRL.Cli.Commands;

namespace ProRL.EndToEnd.Tests.Cli;

/// <summary>The median every bench command reports.</summary>
public sealed class BenchStatisticsTests
{
    [Fact]
    public void The_median_is_the_middle_value_or_the_mean_of_the_two_middle_values()
    {
        Assert.Equal(3.0, BenchStatistics.Median([5.0, 1.0, 3.0]));
        Assert.Equal(2.5, BenchStatistics.Median([4.0, 1.0, 2.0, 3.0]));
        Assert.Throws<ArgumentException>(() => BenchStatistics.Median([]));
    }
}
