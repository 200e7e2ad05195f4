using System.Globalization;
using System.Text.Json.Nodes;
using ProRL.Algorithms.Reset;
using ProRL.Worker.Options;
using ProRL.Worker.Reporting;
using ProRL.Worker.RunDirectory;
using ProRL.Worker.Services.Validation;

namespace ProRL.Worker.Services.ReferenceReset;

/// <summary>
/// Decides, at each newly committed policy version, whether to hard-reset the reference (ProRL): from the validation
/// results, the KL share of the loss in <c>metrics.jsonl</c> and the step. A reset commits reference vN as a copy of
/// policy vN; its manifest tells the trainer the rule and whether to re-initialise the optimizer state
/// (<see cref="ResetOptimizerProperty"/>), and <c>events.jsonl</c> records it.
/// </summary>
public sealed class ReferenceResetStage(RunStore store, ReferenceResetOptions options)
{
    public const string ResetOptimizerProperty = "resetOptimizer";
    public const string RuleProperty = "resetRule";

    private long _lastEvaluated = -1;

    public static ResetPolicyOptions PolicyOptions(ReferenceResetOptions o) => new()
    {
        StallEvaluations = o.StallEvaluations,
        MinImprovement = o.MinImprovement,
        DropThreshold = o.DropDelta,
        KlShareThreshold = o.KlShareThreshold,
        PeriodSteps = o.EveryNSteps,
        MinimumGapSteps = o.MinGapSteps,
        ResetOptimizerState = o.ResetOptimizer,
    };

    /// <summary>Evaluates the newest committed policy version once; null when there is nothing new to decide on.</summary>
    public ResetDecision? EvaluateLatest()
    {
        if (store.Policy.ReadLatestPointer() is not { } step || step <= _lastEvaluated) return null;
        var reference = store.Reference.ReadLatest(VerifyLevel.Sizes);
        long? lastReset = reference is { Version: > 0 } ? reference.Version : null;
        if (lastReset >= step)
        {
            _lastEvaluated = step;
            return null;
        }
        var validation = ValidationResult.ReadAll(store).Select(r => new ValidationPoint(r.Step, r.Score)).Where(p => p.Step <= step).ToList();
        var decision = ReferenceResetPolicy.Decide(new ResetPolicyInput(step, lastReset, validation, KlShareAt(step)), PolicyOptions(options));
        if (decision.ShouldReset) Reset(step, decision);
        _lastEvaluated = step;
        return decision;
    }

    private double? KlShareAt(long step)
    {
        var records = store.Metrics.File.ReadAll().Records;
        var atStep = records.LastOrDefault(r => MetricSeries.TryNumber(r[MetricNames.Step], out var s) && s == step);
        return atStep is not null && MetricSeries.TryNumber(atStep[MetricNames.KlShare], out var share) ? share : null;
    }

    private void Reset(long step, ResetDecision decision)
    {
        var policy = store.Policy.TryOpen(step, VerifyLevel.Checksums, out var problem)
                     ?? throw new RunDirectoryException($"Cannot reset the reference to policy v{step}: {problem}");
        store.Reference.Commit(step, folder => RunStore.CopyFolder(policy.FolderPath, folder), new Dictionary<string, string>
        {
            [ManifestProperties.SourcePolicyVersion] = step.ToString(CultureInfo.InvariantCulture),
            [RuleProperty] = decision.Rule.ToString(),
            [ResetOptimizerProperty] = options.ResetOptimizer ? "true" : "false",
        });
        store.Events.Append(EventTypes.ReferenceReset, step, decision.Reason, new JsonObject
        {
            ["rule"] = decision.Rule.ToString(),
            ["resetOptimizer"] = options.ResetOptimizer,
        });
    }
}
