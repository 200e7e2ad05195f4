using ProRL.Evaluation.Reports;
using ProRL.Evaluation.TaskSelection;
using ProRL.Rollout.Engine;
using ProRL.Tasks.Mixture;
using ProRL.Tasks.Verification;

namespace ProRL.Evaluation.Running;

/// <summary>Where an evaluation stands: problems fully sampled and scored so far, and samples scored.</summary>
public readonly record struct EvaluationProgress(int ProblemsDone, int ProblemsTotal, long SamplesDone);

/// <summary>
/// Runs a model on a list of problems: n samples per problem from the rollout engine, each scored by the domain's
/// verifier, then aggregated into an <see cref="EvaluationReport"/>. Used by <c>prorl eval</c> and the worker's
/// validation service alike.
/// </summary>
public sealed class EvaluationRunner(RolloutEngine engine, RewardScorer scorer)
{
    public async Task<EvaluationReport> RunAsync(IReadOnlyList<EvaluationProblem> problems, EvaluationSettings settings,
        Action<EvaluationProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(problems);
        ArgumentNullException.ThrowIfNull(settings);
        settings.Validate();
        if (problems.Count == 0) throw new ArgumentException("There are no problems to evaluate.", nameof(problems));

        var outcomes = new List<ProblemOutcome>(problems.Count);
        long samplesDone = 0;
        progress?.Invoke(new EvaluationProgress(0, problems.Count, 0));
        int perCall = Math.Max(1, settings.RowsPerCall / settings.SamplesPerProblem);
        for (int start = 0, call = 0; start < problems.Count; start += perCall, call++)
        {
            var chunk = problems.Skip(start).Take(perCall).ToList();
            var samples = engine.Generate(chunk.Select(p => Prompt(p, settings)).ToList(), settings.ToSampling(CallSeed(settings.Seed, call)),
                cancellationToken);
            foreach (var (problem, index) in chunk.Select((p, i) => (p, i)))
            {
                var own = samples.Where(s => s.PromptIndex == index).ToList();
                outcomes.Add(await ScoreAsync(problem, own, cancellationToken).ConfigureAwait(false));
                samplesDone += own.Count;
            }
            progress?.Invoke(new EvaluationProgress(outcomes.Count, problems.Count, samplesDone));
        }
        var model = new ReportModelInfo(engine.Folder.Directory, settings.HashModel ? engine.Folder.ContentHash() : "");
        return ReportBuilder.Build(outcomes, settings.EffectiveK(), model, settings.ToReportSettings(), DateTimeOffset.UtcNow);
    }

    /// <summary>Scores one problem's samples concurrently (code tasks wait on the sandbox; the others are instant).</summary>
    private async Task<ProblemOutcome> ScoreAsync(EvaluationProblem problem, IReadOnlyList<RolloutSample> samples, CancellationToken cancellationToken)
    {
        var results = await Task.WhenAll(samples.Select(s => scorer.ScoreAsync(problem.Task, s.Text, cancellationToken).AsTask())).ConfigureAwait(false);
        var scores = samples.Zip(results, (s, r) =>
            new SampleScore(r.Reward, r.Reason, s.FinishReason == FinishReason.Length, s.CompletionTokenIds.Length)).ToList();
        return new ProblemOutcome(problem.Task.Id, problem.Task.Domain, problem.Source, scores);
    }

    private static RolloutPrompt Prompt(EvaluationProblem problem, EvaluationSettings settings) =>
        settings.SystemPrompt is { } system
            ? RolloutPrompt.Chat([new ChatMessage("system", system), new ChatMessage("user", problem.Task.Prompt)])
            : RolloutPrompt.User(problem.Task.Prompt);

    /// <summary>Each engine call gets its own seed, so chunks do not replay the same random stream.</summary>
    internal static ulong CallSeed(ulong seed, int call) => SeedMix.Combine(seed, (ulong)call);
}
