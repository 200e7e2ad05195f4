using ProRL.Algorithms.Evaluation;

namespace ProRL.Evaluation.Reports;

/// <summary>One scored sample, as the runner saw it.</summary>
public sealed record SampleScore(double Reward, string Reason, bool Truncated, int CompletionTokens);

/// <summary>Every scored sample of one problem.</summary>
public sealed record ProblemOutcome(string Id, string Domain, string Source, IReadOnlyList<SampleScore> Samples);

/// <summary>
/// Aggregates scored samples into an <see cref="EvaluationReport"/>: per problem the unbiased pass@k estimate, per group
/// (all problems, each domain, each source) its mean over problems with a percentile-bootstrap interval.
/// </summary>
public static class ReportBuilder
{
    /// <summary>1, 2, 4, … up to n, plus n itself when n is not a power of two.</summary>
    public static IReadOnlyList<int> DefaultK(int samples)
    {
        if (samples < 1) throw new ArgumentOutOfRangeException(nameof(samples), samples, "At least one sample per problem.");
        var k = new List<int>();
        for (int v = 1; v <= samples; v *= 2) k.Add(v);
        if (k[^1] != samples) k.Add(samples);
        return k;
    }

    /// <summary>The k values sorted and de-duplicated; each must lie in [1, <paramref name="samples"/>].</summary>
    public static IReadOnlyList<int> NormalizeK(IReadOnlyList<int> k, int samples)
    {
        ArgumentNullException.ThrowIfNull(k);
        if (k.Count == 0) throw new ArgumentException("At least one k is needed for pass@k.", nameof(k));
        foreach (var v in k)
        {
            if (v < 1) throw new ArgumentException($"k = {v} is not valid: pass@k needs k ≥ 1.");
            if (v > samples)
                throw new ArgumentException($"k = {v} is larger than the number of samples per problem ({samples}); pass@k needs k ≤ n.");
        }
        return k.Distinct().Order().ToList();
    }

    public static EvaluationReport Build(IReadOnlyList<ProblemOutcome> outcomes, IReadOnlyList<int> k, ReportModelInfo model,
        ReportSettings settings, DateTimeOffset createdUtc)
    {
        ArgumentNullException.ThrowIfNull(outcomes);
        ArgumentNullException.ThrowIfNull(settings);
        if (outcomes.Count == 0) throw new ArgumentException("No problems were evaluated; a report needs at least one.", nameof(outcomes));
        int fewest = outcomes.Min(o => o.Samples.Count);
        if (fewest == 0) throw new ArgumentException($"Problem '{outcomes.First(o => o.Samples.Count == 0).Id}' has no samples.", nameof(outcomes));
        var ks = NormalizeK(k, fewest);
        var problems = outcomes.Select(o => Problem(o, ks, settings.CorrectThreshold)).ToList();
        return new EvaluationReport
        {
            Model = model,
            Settings = settings,
            CreatedUtc = createdUtc,
            K = ks,
            Overall = Summarize(problems, ks, settings),
            Domains = Group(problems, p => p.Domain, ks, settings),
            Sources = Group(problems, p => p.Source, ks, settings),
            Problems = problems,
        };
    }

    private static ProblemResult Problem(ProblemOutcome outcome, IReadOnlyList<int> ks, double correctThreshold)
    {
        var counts = ProblemSamples.FromRewards(outcome.Samples.Select(s => s.Reward).ToList(), correctThreshold);
        return new ProblemResult
        {
            Id = outcome.Id,
            Domain = outcome.Domain,
            Source = outcome.Source,
            Samples = counts.Samples,
            Correct = counts.Correct,
            MeanReward = outcome.Samples.Average(s => s.Reward),
            PassAtK = ks.Select(k => PassAtK.Estimate(counts.Samples, counts.Correct, k)).ToList(),
            Truncated = outcome.Samples.Count(s => s.Truncated),
            MeanCompletionTokens = outcome.Samples.Average(s => (double)s.CompletionTokens),
            TopReason = outcome.Samples.GroupBy(s => s.Reason).OrderByDescending(g => g.Count()).ThenBy(g => g.Key, StringComparer.Ordinal).First().Key,
        };
    }

    private static SortedDictionary<string, PassAtKSummary> Group(IReadOnlyList<ProblemResult> problems, Func<ProblemResult, string> key,
        IReadOnlyList<int> ks, ReportSettings settings) =>
        new(problems.GroupBy(key).ToDictionary(g => g.Key, g => Summarize(g.ToList(), ks, settings)), StringComparer.Ordinal);

    /// <summary>Mean pass@k over the problems (each weighs the same) with a bootstrap interval that resamples problems.</summary>
    internal static PassAtKSummary Summarize(IReadOnlyList<ProblemResult> problems, IReadOnlyList<int> ks, ReportSettings settings)
    {
        var points = ks.Select((k, i) =>
        {
            var interval = BootstrapInterval.OfMean(problems.Select(p => p.PassAtK[i]).ToList(),
                settings.BootstrapResamples, settings.ConfidenceLevel, BootstrapSeed(settings.Seed));
            return new PassAtKPoint(k, interval.Estimate, interval.Lower, interval.Upper);
        }).ToList();
        return new PassAtKSummary(problems.Count, problems.Average(p => p.MeanReward), points);
    }

    private static int BootstrapSeed(ulong seed) => (int)(seed & int.MaxValue);
}
