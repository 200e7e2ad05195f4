using ProRL.Evaluation.TaskSelection;
using ProRL.Tasks.Model;
using ProRL.Tasks.Verification;

namespace ProRL.Evaluation.Reports;

/// <summary>
/// The control a trained policy must beat: the single answer that, given to every problem, scores best. Its pass rate is
/// the same at every k (the answer never changes), so it is one number next to a pass@k curve.
/// </summary>
/// <param name="Answer">The constant answer (null when no problem has a stated reference answer).</param>
/// <param name="Problems">Problems that have a reference answer, the ones the baseline is measured on.</param>
/// <param name="MeanReward">Mean verifier reward of the constant answer, partial credit included.</param>
/// <param name="PassRate">Share of problems whose reward reaches the report's correctness threshold.</param>
/// <param name="Candidates">How many distinct answers were tried.</param>
public sealed record ConstantAnswerBaseline(string? Answer, int Problems, double MeanReward, double PassRate, int Candidates)
{
    /// <summary>
    /// Tries every distinct reference answer of <paramref name="problems"/> as the answer to all of them, each written the
    /// way its domain's verifier reads answers (<see cref="ReferenceResponse"/>), and keeps the one with the highest pass
    /// rate (ties: higher mean reward, then the ordinal-first answer). The best exact-match constant is always one of the
    /// reference answers, so this is the strongest constant baseline by pass rate, chosen with hindsight on the very
    /// problems it is measured on. Problems whose domain states no answer (code, IFEval) are left out.
    /// </summary>
    public static async Task<ConstantAnswerBaseline> FindAsync(IReadOnlyList<EvaluationProblem> problems, RewardScorer scorer,
        double correctThreshold = 1.0, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(problems);
        ArgumentNullException.ThrowIfNull(scorer);
        var answerable = problems.Select(p => p.Task).Where(t => ReferenceResponse.For(t) is not null).ToList();
        var candidates = answerable.Select(t => t.Answer!).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
        var best = new ConstantAnswerBaseline(null, answerable.Count, 0, 0, candidates.Count);
        foreach (var answer in candidates)
        {
            double rewardSum = 0;
            int passed = 0;
            foreach (var task in answerable)
            {
                var response = ReferenceResponse.For(task with { Answer = answer })!;
                var reward = (await scorer.ScoreAsync(task, response, cancellationToken).ConfigureAwait(false)).Reward;
                rewardSum += reward;
                if (reward >= correctThreshold) passed++;
            }
            var candidate = best with { Answer = answer, MeanReward = rewardSum / answerable.Count, PassRate = (double)passed / answerable.Count };
            if (best.Answer is null || candidate.PassRate > best.PassRate ||
                (candidate.PassRate == best.PassRate && candidate.MeanReward > best.MeanReward))
                best = candidate;
        }
        return best;
    }

    /// <summary>The best constant answer of each source (<see cref="EvaluationProblem.Source"/>), keyed by source.</summary>
    public static async Task<SortedDictionary<string, ConstantAnswerBaseline>> FindPerSourceAsync(IReadOnlyList<EvaluationProblem> problems,
        RewardScorer scorer, double correctThreshold = 1.0, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(problems);
        var bySource = new SortedDictionary<string, ConstantAnswerBaseline>(StringComparer.Ordinal);
        foreach (var group in problems.GroupBy(p => p.Source))
            bySource[group.Key] = await FindAsync(group.ToList(), scorer, correctThreshold, cancellationToken).ConfigureAwait(false);
        return bySource;
    }

    /// <summary>
    /// Pass rate over all answerable problems when each source gets its own best constant answer: what a policy that
    /// recognises the family and nothing else can reach.
    /// </summary>
    public static double PerSourcePassRate(IReadOnlyDictionary<string, ConstantAnswerBaseline> bySource)
    {
        ArgumentNullException.ThrowIfNull(bySource);
        int problems = bySource.Values.Sum(b => b.Problems);
        return problems == 0 ? 0 : bySource.Values.Sum(b => b.PassRate * b.Problems) / problems;
    }
}
