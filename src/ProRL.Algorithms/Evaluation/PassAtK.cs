namespace ProRL.Algorithms.Evaluation;

/// <summary>One problem's evaluation: <paramref name="Samples"/> responses drawn, <paramref name="Correct"/> of them correct.</summary>
public readonly record struct ProblemSamples(int Samples, int Correct)
{
    /// <summary>
    /// From the rewards of one problem's samples: a sample is correct when its reward is at least
    /// <paramref name="correctThreshold"/> (1 for binary rewards; partial-credit rewards below it count as wrong).
    /// </summary>
    public static ProblemSamples FromRewards(IReadOnlyList<double> rewards, double correctThreshold = 1.0)
    {
        ArgumentNullException.ThrowIfNull(rewards);
        if (rewards.Count == 0) throw new ArgumentException("A problem needs at least one sample.", nameof(rewards));
        return new ProblemSamples(rewards.Count, rewards.Count(r => r >= correctThreshold));
    }
}

/// <summary>
/// The unbiased pass@k estimator (Chen et al., 2021): the probability that at least one of k responses drawn without
/// replacement from the n sampled is correct, 1 − C(n − c, k)/C(n, k).
/// </summary>
public static class PassAtK
{
    /// <summary>
    /// pass@k for one problem with n samples of which c are correct. Computed without binomials as
    /// 1 − Π_{i = n−c+1..n} (1 − k/i), which equals 1 − C(n−c, k)/C(n, k) and stays accurate for n in the thousands;
    /// exactly 1 when n − c &lt; k (every draw of k contains a correct one) and exactly 0 when c = 0.
    /// </summary>
    public static double Estimate(int samples, int correct, int k)
    {
        if (samples < 1) throw new ArgumentOutOfRangeException(nameof(samples), samples, "A problem needs at least one sample.");
        if (correct < 0 || correct > samples)
            throw new ArgumentOutOfRangeException(nameof(correct), correct, $"Correct samples must be between 0 and n = {samples}.");
        if (k < 1 || k > samples)
            throw new ArgumentOutOfRangeException(nameof(k), k, $"k must be between 1 and n = {samples}.");
        if (samples - correct < k) return 1;
        double allWrong = 1;
        for (int i = samples - correct + 1; i <= samples; i++) allWrong *= 1 - (double)k / i;
        return 1 - allWrong;
    }

    /// <summary>pass@k of each problem, in order.</summary>
    public static double[] PerProblem(IReadOnlyList<ProblemSamples> problems, int k)
    {
        ArgumentNullException.ThrowIfNull(problems);
        return problems.Select((p, i) => EstimateFor(p, k, i)).ToArray();
    }

    /// <summary>Mean pass@k over the problems (each problem weighs the same); throws on an empty set.</summary>
    public static double Mean(IReadOnlyList<ProblemSamples> problems, int k)
    {
        ArgumentNullException.ThrowIfNull(problems);
        if (problems.Count == 0) throw new ArgumentException("No problems to average pass@k over.", nameof(problems));
        return PerProblem(problems, k).Average();
    }

    private static double EstimateFor(ProblemSamples problem, int k, int index)
    {
        try
        {
            return Estimate(problem.Samples, problem.Correct, k);
        }
        catch (ArgumentOutOfRangeException e)
        {
            throw new ArgumentException($"Problem {index} (n = {problem.Samples}, c = {problem.Correct}, k = {k}): {e.Message}", e);
        }
    }
}
