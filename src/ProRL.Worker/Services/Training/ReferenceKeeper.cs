using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;
using ProRL.Algorithms.Reset;
using ProRL.Training.Session;
using ProRL.Worker.Options;
using ProRL.Worker.RunDirectory;
using ProRL.Worker.Services.Validation;

namespace ProRL.Worker.Services.Training;

/// <summary>
/// The trainer's reference: which committed reference version the session holds, and the hard resets (ProRL). The
/// trainer is the reference's only writer. Between two steps it asks <see cref="ReferenceResetPolicy"/> whether to
/// reset, from committed state only: the KL share of the last committed step (kept in its trainer state, not read back
/// from metrics.jsonl, which is appended after the commit), the validation results of committed versions, and the last
/// reset (the reference version the trainer state names). A reset commits reference vN as a copy of policy vN and, in
/// ProRL v1 (<c>ReferenceReset:ResetOptimizer</c>), re-initialises the optimizer state; the next step's trainer state
/// records both. A run killed at any instant and resumed therefore takes exactly the same decisions.
/// </summary>
/// <remarks>
/// Validation runs asynchronously (its own service, possibly on another host), so a decision that reads validation waits
/// for the result of the version it decides at: with the stall or drop rule on, the decision after step s with s a
/// multiple of <c>Validation:EveryNSteps</c> waits until validation/v(s).json exists. Deciding on "whatever results exist
/// now" would depend on how fast validation ran, and a resumed run could decide otherwise. The wait costs one
/// validation's time every K steps; the rules without validation (period, KL share) never wait.
/// </remarks>
internal sealed class ReferenceKeeper
{
    private readonly RunStore _store;
    private readonly Func<TrainingSession> _session; // the trainer's current session (the warm-up replaces it once)
    private readonly ReferenceResetOptions _reset;
    private readonly ResetPolicyOptions _policy;
    private readonly TimeSpan _poll;
    private readonly ILogger _logger;

    public ReferenceKeeper(RunStore store, Func<TrainingSession> session, ReferenceResetOptions reset, ValidationOptions validation, bool validatesHere,
        TimeSpan poll, ILogger logger)
    {
        _store = store;
        _session = session;
        _reset = reset;
        _poll = poll;
        _logger = logger;
        _policy = PolicyOptions(reset, validation);
        if (reset.Enabled && _policy.UsesValidation && _policy.ValidationPeriodSteps is null)
            logger.LogWarning("ReferenceReset:StallEvaluations and ReferenceReset:DropDelta cannot fire: Validation:EveryNSteps is 0 (no validation).");
        if (reset.Enabled && _policy.UsesValidation && _policy.ValidationPeriodSteps is { } k && !validatesHere)
            logger.LogWarning("Services:Validation is off on this host: every {K} steps the trainer waits for the validation result that " +
                              "another host must write (ReferenceReset:StallEvaluations/DropDelta read it).", k);
    }

    /// <summary>The reference version the session holds; -1 before any is loaded.</summary>
    public long Version { get; private set; } = -1;

    /// <summary>Validation results since the last reset read by the decisions so far (committed with each trainer state).</summary>
    public IReadOnlyList<ValidationPoint> Validation { get; private set; } = [];

    /// <summary>The decision rules as the options configure them; validation cadence included.</summary>
    public static ResetPolicyOptions PolicyOptions(ReferenceResetOptions o, ValidationOptions validation) => new()
    {
        StallEvaluations = o.StallEvaluations,
        MinImprovement = o.MinImprovement,
        DropThreshold = o.DropDelta,
        KlShareThreshold = o.KlShareThreshold,
        PeriodSteps = o.EveryNSteps,
        MinimumGapSteps = o.MinGapSteps,
        ResetOptimizerState = o.ResetOptimizer,
        ValidationPeriodSteps = validation.EveryNSteps > 0 ? validation.EveryNSteps : null,
    };

    /// <summary>Resumes from a committed trainer state: its reference version and the validation results it had read.</summary>
    public void Restore(TrainerState saved)
    {
        Load(saved.ReferenceVersion);
        Validation = saved.Validation ?? [];
    }

    /// <summary>Loads reference v<paramref name="version"/> into the session. A version that cannot be opened is an error
    /// naming it: the trainer state depends on it, and another reference would change the KL term (and the weights) silently.</summary>
    public void Load(long version)
    {
        var reference = _store.Reference.TryOpen(version, VerifyLevel.Checksums, out var problem)
                        ?? throw new RunDirectoryException(
                            $"reference v{version} in '{_store.Reference.PathOf(version)}' cannot be opened ({problem}); the trainer state depends on it. " +
                            "Restore that version from a backup, or start a new run directory.");
        _session().LoadReferenceFromModel(reference.FolderPath);
        Version = reference.Version;
    }

    /// <summary>The supervised warm-up's reference: v<paramref name="step"/>, a copy of the warmed-up policy (a kill between the
    /// two commits is completed on restart). It counts as the last reset.</summary>
    public void CommitWarmUp(long step)
    {
        CommitCopyOfPolicy(step, "SupervisedWarmup", resetOptimizer: false);
        Version = step;
        Validation = [];
    }

    /// <summary>
    /// The decision between committed step <paramref name="step"/> and the next: waits for the validation result it needs
    /// (if any), decides, and carries out a reset. <paramref name="klShare"/> is the committed KL share of step
    /// <paramref name="step"/>.
    /// </summary>
    public async Task<ResetDecision?> DecideAsync(long step, double? klShare, CancellationToken cancellationToken)
    {
        if (!_reset.Enabled) return null;
        long? lastReset = Version > 0 ? Version : null; // reference v0 is the base model, not a reset
        if (ReferenceResetPolicy.ValidationNeeded(step, lastReset, _policy) is { } version && Validation.All(p => p.Step != version))
        {
            var result = await WaitForValidationAsync(version, cancellationToken);
            Validation = [.. Validation, new ValidationPoint(version, result.Score)];
        }
        var decision = ReferenceResetPolicy.Decide(new ResetPolicyInput(step, lastReset, Validation, klShare), _policy);
        if (decision.ShouldReset) Reset(step, decision);
        return decision;
    }

    private async Task<ValidationResult> WaitForValidationAsync(long version, CancellationToken cancellationToken)
    {
        var waited = Stopwatch.StartNew();
        var nextReport = TimeSpan.FromSeconds(30);
        while (true)
        {
            if (ValidationResult.TryRead(_store, version) is { } result) return result;
            if (waited.Elapsed >= nextReport)
            {
                _logger.LogInformation("Waiting {Seconds:F0} s for the validation of v{Version}: the reset decision after step {Version} reads it",
                    waited.Elapsed.TotalSeconds, version, version);
                nextReport += TimeSpan.FromSeconds(60);
            }
            await Task.Delay(_poll, cancellationToken);
        }
    }

    private void Reset(long step, ResetDecision decision)
    {
        CommitCopyOfPolicy(step, decision.Rule.ToString(), decision.ResetOptimizer);
        AppendOnce(EventTypes.ReferenceReset, step, decision.Reason, new JsonObject
        {
            ["rule"] = decision.Rule.ToString(),
            ["resetOptimizer"] = decision.ResetOptimizer,
        });
        Load(step);
        Validation = [];
        _logger.LogInformation("Reference reset at step {Step} ({Rule}): {Reason}", step, decision.Rule, decision.Reason);
        if (!decision.ResetOptimizer) return;
        _session().ResetOptimizerState();
        AppendOnce(EventTypes.OptimizerReset, step, $"optimizer state re-initialised with reference v{step}");
    }

    /// <summary>Commits reference v<paramref name="step"/> as a copy of policy v<paramref name="step"/>, unless a run killed after
    /// this commit (and before the next trainer state) already did.</summary>
    private void CommitCopyOfPolicy(long step, string rule, bool resetOptimizer)
    {
        if ((_store.Reference.ReadLatestPointer() ?? -1) >= step) return;
        var policy = _store.Policy.TryOpen(step, VerifyLevel.Checksums, out var problem)
                     ?? throw new RunDirectoryException($"Cannot make reference v{step} from policy v{step}: {problem}");
        _store.Reference.Commit(step, folder => RunStore.CopyFolder(policy.FolderPath, folder), new Dictionary<string, string>
        {
            [ManifestProperties.SourcePolicyVersion] = step.ToString(CultureInfo.InvariantCulture),
            [ManifestProperties.ResetRule] = rule,
            [ManifestProperties.ResetOptimizer] = resetOptimizer ? "true" : "false",
        });
    }

    /// <summary>A decision redone after a kill finds its event already written: events.jsonl holds each reset once.</summary>
    private void AppendOnce(string type, long step, string message, JsonObject? data = null)
    {
        bool written = _store.Events.File.ReadAll().Records.Any(e =>
            (string?)e["type"] == type && e["step"] is JsonValue v && v.TryGetValue<long>(out var s) && s == step);
        if (!written) _store.Events.Append(type, step, message, data);
    }
}
