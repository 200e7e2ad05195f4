using System.Diagnostics;
using Microsoft.Extensions.Logging;
using ProRL.Algorithms.Sampling;
using ProRL.Algorithms.Stability;
using ProRL.Rollout.Engine;
using ProRL.Tasks.Datasets;
using ProRL.Training.Batching;
using ProRL.Training.Session;
using ProRL.Worker.Chunks;
using ProRL.Worker.Options;
using ProRL.Worker.Reporting;
using ProRL.Worker.RunDirectory;
using ProRL.Worker.Trainer;

namespace ProRL.Worker.Services.Training;

/// <summary>One RL step of the trainer: the reset decision, rollouts, the update, the commit, the step's metrics.</summary>
public sealed partial class TrainerLoop
{
    // Where a step's wall time goes (seconds; metrics.jsonl). Rollouts and scoring run in their own services: the trainer
    // sees them as its wait for scored chunks.
    /// <summary>Phases of a step (metrics <c>time/PHASE</c> in seconds and <c>peak_rss_gib/PHASE</c>), besides the update's own (<see cref="PolicyUpdateResult"/>).</summary>
    public const string PhaseResetDecision = "reset_decision", PhaseRolloutWait = "rollout_and_scoring_wait", PhaseExport = "export",
        PhaseCommit = "commit";
    public const string MetricPrefixTime = "time/", MetricPrefixPeakRss = "peak_rss_gib/", MetricNamePeakRss = "peak_rss_gib";

    /// <summary>One RL step, from the reset decision and ordering rollouts to the commit. Returns the committed step number.</summary>
    public async Task<long> StepAsync(CancellationToken cancellationToken)
    {
        long step = _step + 1;
        var watch = Stopwatch.StartNew();
        // Between steps: the reset decision from the last commit (its KL share, validation of committed versions).
        var phases = new PhaseMeter();
        await _reference.DecideAsync(_step, _klShare, cancellationToken);
        phases.Lap(PhaseResetDecision);
        long policyVersion = _store.Policy.ReadLatestPointer() ?? throw new RunDirectoryException("No committed policy version.");
        var sampling = new SamplingSpec(_c.Rollout.SamplesPerPrompt, _c.Rollout.Temperature, _c.Rollout.TopP, _c.Rollout.TopK,
            _c.Rollout.MaxNewTokens, unchecked((ulong)_c.Run.Seed));

        var sampler = new DynamicSampler(_c.Rollout.PromptsPerStep, TrainerSettings.DynamicSampling(_c.Algorithm));
        var kept = new List<(RolloutGroup Group, IReadOnlyList<SampleScore> Scores)>();
        var all = new List<(RolloutGroup Group, IReadOnlyList<SampleScore> Scores)>();
        var consumed = new List<ChunkId>();
        for (int round = 0; ; round++)
        {
            var decision = sampler.Next();
            if (decision.Status != SamplingStatus.DrawMore) break;
            var tasks = _mixture.Take(decision.PromptsToDraw).Select(TaskJson.ToJson).ToList();
            var ids = _exchange.PublishRequests(step, round, policyVersion, tasks, sampling, _c.Rollout.PromptsPerChunk);
            var chunks = await WaitForChunksAsync(step, ids, cancellationToken);
            phases.Lap(PhaseRolloutWait);
            int keptBefore = kept.Count;
            foreach (var chunk in chunks)
            {
                consumed.Add(chunk.Id);
                var scored = chunk.Scored;
                for (int g = 0; g < scored.Rollout.Groups.Count; g++)
                {
                    var entry = (scored.Rollout.Groups[g], scored.Scores[g]);
                    all.Add(entry);
                    var rewards = scored.Scores[g].Select(s => s.Reward).ToArray();
                    bool informative = rewards.Length > 1 && GroupFilter.Select(rewards, rewards.Length).Kept.Count == 1;
                    if (informative || !_c.Algorithm.DynamicSampling) kept.Add(entry);
                }
            }
            sampler.Record(tasks.Count, kept.Count - keptBefore);
        }

        var batch = kept.Take(_c.Rollout.PromptsPerStep).ToList();
        var samples = batch.SelectMany((entry, groupId) => entry.Group.Samples.Select((s, i) => new TrainingSample(
            groupId, entry.Group.PromptTokenIds, s.TokenIds, s.LogProbs, entry.Scores[i].Reward, s.FinishReason == GeneratedSample.Eos))).ToList();
        double klCoef = _kl.Coefficient;
        phases.Lap(PhaseRolloutWait); // the batch's assembly counts with the wait it follows
        PolicyUpdateResult? update = samples.Count > 0 ? _updater.Update(samples, step, cancellationToken, klCoef) : null;
        phases.Lap(null);

        cancellationToken.ThrowIfCancellationRequested(); // past this point the step is committed whole or not at all
        // The next step's coefficient follows from this step's measured KL, and is committed with the state, so that a
        // resumed run uses exactly the coefficient an uninterrupted one would.
        var next = TrainerSettings.KlControl(_c.Algorithm, klCoef);
        if (update is not null) next.Update(update.Kl, update.Samples);
        var state = new TrainerState(step, TrainerState.RlPhase, _mixture.Position.ToJson(), _reference.Version, next.Coefficient,
            update?.KlShare, _reference.Validation);
        // Cancellation no longer applies here: a wait for disk space ends with the commit, or with the process.
        double exportSeconds = 0;
        _disk.Retrying(() => _exchange.CommitStep(step, consumed, folder => WriteState(folder, state), folder =>
            {
                var export = Stopwatch.StartNew();
                _session.ExportModel(_c.Model.Path, folder);
                exportSeconds += export.Elapsed.TotalSeconds;
            },
            Properties(TrainerState.RlPhase)), NextCommitBytes(), $"step {step} (trainer state and policy)", CancellationToken.None);
        ProcessMemory.TrimNativeHeap(); // the step's freed intermediates, before the next step's peak builds on them
        phases.Lap(PhaseCommit);
        _step = step;
        _kl = next;
        _klShare = state.KlShare;
        var metrics = Metrics(all, update, sampler.Counters, watch.Elapsed);
        metrics["kl_coef"] = klCoef;
        phases.Move(PhaseCommit, PhaseExport, exportSeconds); // the commit's own time: trainer state, checksums, renames
        if (update?.Phases is { } updatePhases) phases.Add(updatePhases);
        foreach (var (phase, seconds) in phases.Seconds) metrics[MetricPrefixTime + phase] = seconds;
        foreach (var (phase, bytes) in phases.PeakBytes) metrics[MetricPrefixPeakRss + phase] = ProcessMemory.Gib(bytes);
        if (phases.PeakBytes.Count > 0) metrics[MetricNamePeakRss] = ProcessMemory.Gib(phases.PeakBytes.Values.Max());
        if (_c.Tasks.Datasets.Count > 0) metrics[MetricNameSkippedRows] = _skippedDatasetRows;
        _store.Metrics.Append(step, metrics, TrainerState.RlPhase);
        ReportEntropyCollapse(step);
        _store.Prune(new RetentionSettings(_c.Run.KeepPolicyVersions, _c.Run.KeepReferenceVersions, _c.Run.KeepTrainerVersions));
        if (update is { UpdatesSkipped: > 0 })
            _logger.LogWarning("Step {Step}: {Skipped} optimizer update(s) skipped: {Reasons}", step, update.UpdatesSkipped, string.Join("; ", update.SkipReasons));
        return step;
    }

    /// <summary>
    /// An <c>entropy_collapse</c> event at the step where the entropy has stayed under Algorithm:EntropyFloor for
    /// Algorithm:EntropyCollapseSteps steps, decided from metrics.jsonl alone (so a resumed run reports it once too).
    /// </summary>
    private void ReportEntropyCollapse(long step)
    {
        if (_c.Algorithm.EntropyFloor <= 0) return;
        int steps = _c.Algorithm.EntropyCollapseSteps;
        var history = _store.Metrics.File.ReadAll().Records
            .Where(r => MetricSeries.TryNumber(r[MetricNames.Step], out var s) && s <= step && r[MetricNames.Entropy] is not null)
            .GroupBy(r => MetricSeries.TryNumber(r[MetricNames.Step], out var s) ? s : -1).OrderBy(g => g.Key)
            .Select(g => MetricSeries.TryNumber(g.Last()[MetricNames.Entropy], out var h) ? h : double.NaN)
            .TakeLast(steps + 1).ToList();
        if (!EntropyCollapse.StartsNow(history, _c.Algorithm.EntropyFloor, steps)) return;
        string reason = $"policy entropy under {_c.Algorithm.EntropyFloor} for {steps} steps (now {history[^1]:G3}): raise Rollout:Temperature, " +
                        "Algorithm:ClipHigh or Algorithm:EntropyCoef, or reset the reference";
        _store.Events.Append(EventTypes.EntropyCollapse, step, reason);
        _logger.LogWarning("Step {Step}: {Reason}", step, reason);
    }

    private async Task<IReadOnlyList<HeldChunk>> WaitForChunksAsync(long step, IReadOnlyList<ChunkId> ids, CancellationToken cancellationToken)
    {
        var wanted = ids.ToHashSet();
        var poll = TimeSpan.FromMilliseconds(_c.Run.PollIntervalMilliseconds);
        while (true)
        {
            var held = _exchange.Collect(step).Where(h => wanted.Contains(h.Id)).ToList();
            if (held.Count == wanted.Count) return held;
            await Task.Delay(poll, cancellationToken);
        }
    }

    private static Dictionary<string, double> Metrics(
        List<(RolloutGroup Group, IReadOnlyList<SampleScore> Scores)> all, PolicyUpdateResult? update, DynamicSamplingCounters counters, TimeSpan elapsed)
    {
        var scores = all.SelectMany(e => e.Scores).ToList();
        var m = new Dictionary<string, double>
        {
            [MetricNames.RewardMean] = scores.Count > 0 ? scores.Average(s => s.Reward) : 0,
            [MetricNames.PassRate] = scores.Count > 0 ? scores.Count(s => s.Reward >= 1) / (double)scores.Count : 0,
            [MetricNames.ResponseLengthMean] = all.Count > 0 ? all.SelectMany(e => e.Group.Samples).Average(s => s.TokenIds.Length) : 0,
            [MetricNames.KeptGroupFraction] = counters.PromptsDrawn > 0 ? (double)counters.GroupsKept / counters.PromptsDrawn : 0,
            [MetricNames.StepSeconds] = elapsed.TotalSeconds,
            [MetricNames.TokensPerSecond] = all.SelectMany(e => e.Group.Samples).Sum(s => s.TokenIds.Length) / Math.Max(1e-9, elapsed.TotalSeconds),
            ["sampling_rounds"] = counters.Rounds,
        };
        foreach (var domain in all.GroupBy(e => e.Group.Domain))
            m[MetricNames.RewardDomainPrefix + domain.Key] = domain.SelectMany(e => e.Scores).Average(s => s.Reward);
        if (update is not null)
        {
            m[MetricNames.Loss] = update.Loss;
            m[MetricNames.Kl] = update.Kl;
            m[MetricNames.KlShare] = update.KlShare;
            m[MetricNames.Entropy] = update.Entropy;
            m[MetricNames.ClipFractionLow] = update.ClipFractionLow;
            m[MetricNames.ClipFractionHigh] = update.ClipFractionHigh;
            m["grad_norm"] = update.GradNorm;
            m["samples"] = update.Samples;
            m["trainer_rollout_logprob_gap"] = update.RolloutTrainerLogprobGap;
        }
        return m;
    }
}
