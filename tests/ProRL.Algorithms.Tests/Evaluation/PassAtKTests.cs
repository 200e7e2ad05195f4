using ProRL.Algorithms.Evaluation;

namespace ProRL.Algorithms.Tests.Evaluation;

public class PassAtKTests
{
    /// <summary>Oracle: the fraction of all k-subsets of n samples (the first c correct) that hold a correct one.</summary>
    private static double BruteForce(int n, int c, int k)
    {
        int subsets = 0, hits = 0;
        for (int bits = 0; bits < 1 << n; bits++)
        {
            if (System.Numerics.BitOperations.PopCount((uint)bits) != k) continue;
            subsets++;
            if ((bits & ((1 << c) - 1)) != 0) hits++;
        }
        return (double)hits / subsets;
    }

    [Fact]
    public void Matches_brute_force_enumeration_for_small_n()
    {
        for (int n = 1; n <= 10; n++)
            for (int c = 0; c <= n; c++)
                for (int k = 1; k <= n; k++)
                    Assert.Equal(BruteForce(n, c, k), PassAtK.Estimate(n, c, k), 12);
    }

    [Theory]
    // 1 − C(3,2)/C(4,2) = 1 − 3/6 = 0.5.
    [InlineData(4, 1, 2, 0.5)]
    // pass@1 = c/n.
    [InlineData(10, 3, 1, 0.3)]
    // n = 1.
    [InlineData(1, 0, 1, 0.0)]
    [InlineData(1, 1, 1, 1.0)]
    // n − c < k: every draw holds a correct sample.
    [InlineData(5, 3, 3, 1.0)]
    // 1 − C(5,2)/C(6,2) = 1 − 10/15 = 1/3.
    [InlineData(6, 1, 2, 1.0 / 3)]
    public void Hand_computed_values(int n, int c, int k, double expected)
    {
        Assert.Equal(expected, PassAtK.Estimate(n, c, k), 12);
    }

    [Theory]
    [InlineData(1024, 1, 1)]
    [InlineData(1024, 10, 100)]
    [InlineData(1024, 3, 512)]
    [InlineData(1024, 500, 64)]
    [InlineData(1000, 7, 333)]
    public void Stays_accurate_for_n_up_to_1024(int n, int c, int k)
    {
        // Oracle in log space: ln C(a, b) = Σ_{i=1..b} ln((a − b + i)/i).
        static double LogChoose(int a, int b)
        {
            double sum = 0;
            for (int i = 1; i <= b; i++) sum += Math.Log((double)(a - b + i) / i);
            return sum;
        }
        double expected = n - c < k ? 1 : 1 - Math.Exp(LogChoose(n - c, k) - LogChoose(n, k));
        double actual = PassAtK.Estimate(n, c, k);
        Assert.True(Math.Abs(expected - actual) < 1e-10, $"expected {expected}, got {actual}");
        Assert.InRange(actual, 0, 1);
    }

    [Fact]
    public void Large_n_values_are_finite_and_monotone_in_k()
    {
        double previous = 0;
        for (int k = 1; k <= 1024; k++)
        {
            double value = PassAtK.Estimate(1024, 2, k);
            Assert.True(double.IsFinite(value) && value >= previous);
            previous = value;
        }
        // pass@1 with 1 correct of 1024 is exactly 1/1024.
        Assert.Equal(1.0 / 1024, PassAtK.Estimate(1024, 1, 1), 15);
    }

    [Fact]
    public void Per_problem_and_mean()
    {
        ProblemSamples[] problems = [new(4, 1), new(4, 0), new(4, 4)];
        // [0.5, 0, 1] → mean 0.5.
        Assert.Equal([0.5, 0, 1], PassAtK.PerProblem(problems, 2));
        Assert.Equal(0.5, PassAtK.Mean(problems, 2), 12);
    }

    [Fact]
    public void Problem_samples_count_rewards_at_or_above_the_threshold()
    {
        Assert.Equal(new ProblemSamples(4, 2), ProblemSamples.FromRewards([1, 0, 0.5, 1]));
        Assert.Equal(new ProblemSamples(4, 3), ProblemSamples.FromRewards([1, 0, 0.5, 1], correctThreshold: 0.5));
        Assert.Throws<ArgumentException>(() => ProblemSamples.FromRewards([]));
    }

    [Fact]
    public void Bad_input_throws()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => PassAtK.Estimate(4, 1, 5));
        Assert.Throws<ArgumentOutOfRangeException>(() => PassAtK.Estimate(4, 5, 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => PassAtK.Estimate(0, 0, 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => PassAtK.Estimate(4, 1, 0));
        Assert.Throws<ArgumentException>(() => PassAtK.Mean([], 1));
        var error = Assert.Throws<ArgumentException>(() => PassAtK.PerProblem([new(4, 1), new(2, 1)], 3));
        Assert.Contains("Problem 1", error.Message);
    }
}
