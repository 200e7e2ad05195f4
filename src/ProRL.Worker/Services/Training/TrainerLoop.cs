using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;
using ProRL.Algorithms.Common;
using ProRL.Algorithms.KlControl;
using ProRL.Algorithms.Sampling;
using ProRL.Algorithms.Stability;
using ProRL.Rollout.Engine;
using ProRL.Tasks.Datasets;
using ProRL.Tasks.Mixture;
using ProRL.Training.Artifacts;
using ProRL.Training.Batching;
using ProRL.Training.Session;
using ProRL.Worker.Chunks;
using ProRL.Worker.Options;
using ProRL.Worker.Reporting;
using ProRL.Worker.RunDirectory;
using ProRL.Worker.Services.ReferenceReset;
using ProRL.Worker.Services.Tasks;
using ProRL.Worker.Trainer;

namespace ProRL.Worker.Services.Training;

/// <summary>The option sections the trainer reads.</summary>
public sealed record TrainerConfiguration(
    ModelOptions Model, RunOptions Run, RolloutOptions Rollout, AlgorithmOptions Algorithm, OptimizerOptions Optimizer,
    TasksOptions Tasks, SftOptions Sft, TrainingOptions? Training = null);

/// <summary>
/// The trainer's step loop (DESIGN §6–§7): order rollouts for the step, collect the scored groups (drawing more while
/// dynamic sampling keeps too few), run the KL-controlled update, and commit trainer state then policy. Everything a
/// step depends on — task-stream position, optimizer moments, reference version — is in the committed trainer
/// version, so a restart at any instant redoes the interrupted step identically and applies nothing twice.
/// </summary>
public sealed class TrainerLoop : IDisposable
{
    private readonly TrainerConfiguration _c;
    private readonly RunStore _store;
    private readonly TrainerExchange _exchange;
    private readonly ILogger _logger;
    private readonly string _modelHash;
    private readonly TrainingSession _session;
    private readonly PolicyUpdater _updater;
    /// <summary>The KL coefficient of the next step; its value is part of the committed trainer state.</summary>
    private KlController _kl;
    private readonly DiskSpaceGuard _disk;
    private TaskMixture _mixture;
    private readonly int _skippedDatasetRows;
    private long _step;
    private long _referenceVersion = -1;

    /// <summary>The metric counting malformed dataset rows that training skips.</summary>
    public const string MetricNameSkippedRows = "data/skipped_rows";

    /// <param name="freeBytes">Free bytes on the run directory's disk (tests fake a full disk); null reads the disk.</param>
    public TrainerLoop(TrainerConfiguration configuration, ILogger logger, Func<string, long>? freeBytes = null)
    {
        _c = configuration;
        _logger = logger;
        _store = RunStore.Open(_c.Run.Directory);
        _exchange = new TrainerExchange(_store);
        _modelHash = VersionManifest.Compute(_c.Model.Path, 0).ContentHash();
        var artifacts = ArtifactsCache.GetOrBuild(_c.Run.Directory, _c.Model.Path, _modelHash,
            new TrainingGraphOptions
            {
                Head = LossHeadKind.Policy, PolicyLoss = TrainerSettings.LossHead(_c.Algorithm, _c.Rollout),
                Recompute = _c.Training?.RecomputeMode ?? ProRL.Training.Autodiff.RecomputeMode.None,
            });
        WarnIfRecomputeNotApplied(artifacts);
        _session = TrainingSession.Open(artifacts, SessionOptions());
        long pad = ProRL.Onnx.Models.GenAiConfig.Load(Path.Combine(_c.Model.Path, "genai_config.json")).Model.PadTokenId;
        _updater = new PolicyUpdater(_session, TrainerSettings.Update(_c.Algorithm, _c.Rollout, _c.Optimizer, pad));
        _kl = TrainerSettings.KlControl(_c.Algorithm);
        _disk = new DiskSpaceGuard(_store.Root, _c.Run.DiskFullPolicy.Equals(RunOptions.DiskFullWait, StringComparison.OrdinalIgnoreCase),
            TimeSpan.FromSeconds(_c.Run.DiskFullRetrySeconds), logger, freeBytes);
        var datasets = new List<DatasetReport>();
        _mixture = TaskMixtureFactory.Create(_c.Tasks, Seed, onDataset: datasets.Add);
        _skippedDatasetRows = datasets.Sum(d => d.RowsSkipped);
        foreach (var report in datasets.Where(d => d.RowsSkipped > 0))
            _logger.LogWarning("Dataset {Summary} Skipped rows are counted as {Metric} in metrics.jsonl.", report.Summary(), MetricNameSkippedRows);

        var resume = _exchange.Resume();
        if (resume.State is { } state)
        {
            var saved = TrainerState.ReadFrom(state.FolderPath);
            _session.LoadCheckpoint(Path.Combine(state.FolderPath, TrainerState.CheckpointFolder));
            _mixture = TaskMixtureFactory.Create(_c.Tasks, Seed, saved.Position);
            _kl = TrainerSettings.KlControl(_c.Algorithm, saved.KlCoef);
            _step = saved.Step;
            if (resume.PolicyBehind)
                _exchange.CommitPolicy(_step, folder => _session.ExportModel(_c.Model.Path, folder), Properties(saved.Phase));
            // A kill after the warm-up's policy commit and before its reference commit: finish the warm-up's commit.
            if (saved.Phase == TrainerState.SftPhase && (_store.Reference.ReadLatestPointer() ?? -1) < saved.ReferenceVersion)
                CommitWarmUpReference();
            LoadReference(saved.ReferenceVersion, resetOptimizer: false);
            _logger.LogInformation("Trainer resumed after step {Step} ({Held} scored chunks held)", _step, resume.HeldChunks.Count);
        }
        else
        {
            _step = 0;
            _session.LoadParametersFromModel(_c.Model.Path);
        }
    }

    private int Seed => unchecked((int)_c.Run.Seed);
    public long Step => _step;

    private TrainingSessionOptions SessionOptions() => new()
    {
        IntraOpThreads = _c.Model.Threads,
#if PRORL_CUDA
        Provider = _c.Model.ExecutionProvider == ModelOptions.Cuda ? ExecutionProvider.Cuda : ExecutionProvider.Cpu,
#endif
    };

    /// <summary>
    /// The optional supervised warm-up, committed as step 1 (policy, reference and trainer v1), so that a crash during
    /// RL never repeats it. Does nothing when <c>Sft:Steps</c> is 0 or a step is already committed.
    /// </summary>
    public void WarmUpIfConfigured(CancellationToken cancellationToken)
    {
        if (_c.Sft.Steps <= 0 || _step > 0) return;
        var watch = Stopwatch.StartNew();
        var artifacts = ArtifactsCache.GetOrBuild(_c.Run.Directory, _c.Model.Path, _modelHash,
            new TrainingGraphOptions { Head = LossHeadKind.CrossEntropy, Recompute = _c.Training?.RecomputeMode ?? ProRL.Training.Autodiff.RecomputeMode.None });
        WarnIfRecomputeNotApplied(artifacts);
        using var ce = TrainingSession.Open(artifacts, SessionOptions());
        using var tokenizer = new RolloutEngine(new RolloutEngineOptions
        {
            ModelPath = _c.Model.Path, IntraOpThreads = _c.Model.Threads, ChatTemplate = _c.Model.ChatTemplate,
        });
        var phase = new SupervisedPhase(tokenizer, ce, new AdamWSettings { LearningRate = (float)_c.Sft.Lr, WeightDecay = 0, MaxGradNorm = (float)_c.Optimizer.GradClip });
        var sftMixture = TaskMixtureFactory.Create(_c.Tasks, unchecked(Seed + 7919)); // its own stream: RL's starts untouched
        var losses = SupervisedRun.Train(phase, sftMixture, _c.Sft.Steps, _c.Sft.BatchSize, (done, r) =>
        {
            if (done % 10 == 0 || done == _c.Sft.Steps)
                _logger.LogInformation("Supervised warm-up {Done}/{Steps}: loss {Loss:F3}", done, _c.Sft.Steps, r.Loss);
        }, cancellationToken);
        double first = losses[0], last = losses[^1];
        _session.SetParameters(ce.GetParameters(), "the supervised warm-up's parameters");
        _session.SetReferenceToPolicy();
        _step = 1;
        var state = new TrainerState(_step, TrainerState.SftPhase, _mixture.Position.ToJson(), _step);
        _disk.Retrying(() => _exchange.CommitStep(_step, [], folder => WriteState(folder, state), folder => _session.ExportModel(_c.Model.Path, folder),
            Properties(TrainerState.SftPhase)), NextCommitBytes(), $"step {_step}", cancellationToken);
        _disk.Retrying(CommitWarmUpReference, NextCommitBytes(), $"reference v{_step}", cancellationToken);
        _referenceVersion = _step;
        _store.Metrics.Append(_step, new Dictionary<string, double> { [MetricNames.Loss] = last, ["sft/first_loss"] = first, ["sft/steps"] = _c.Sft.Steps },
            TrainerState.SftPhase);
        _store.Events.Append(EventTypes.PolicyCommitted, _step,
            $"supervised warm-up: {_c.Sft.Steps} steps, loss {first:F3} → {last:F3} in {watch.Elapsed.TotalSeconds:F0} s");
        _logger.LogInformation("Supervised warm-up done: {Steps} steps, loss {First:F3} -> {Last:F3}", _c.Sft.Steps, first, last);
    }

    /// <summary>The warm-up's last commit: reference v<see cref="Step"/>, a copy of the warmed-up policy of that version.</summary>
    /// <summary>Training:Recompute=layers on a decoder whose layers cannot be found builds without it: say so once.</summary>
    private void WarnIfRecomputeNotApplied(string artifacts)
    {
        if (_c.Training?.RecomputeMode != ProRL.Training.Autodiff.RecomputeMode.Layers) return;
        var manifest = ArtifactsManifest.Load(Path.Combine(artifacts, ArtifactsManifest.FileName));
        if (manifest.RecomputeNote is { } note) _logger.LogWarning("Training:Recompute=layers: {Note}; training without recomputation", note);
    }

    private void CommitWarmUpReference()
    {
        var source = _store.Policy.TryOpen(_step, VerifyLevel.Checksums, out var problem) ?? throw new RunDirectoryException($"policy v{_step}: {problem}");
        _store.Reference.Commit(_step, folder => RunStore.CopyFolder(source.FolderPath, folder), new Dictionary<string, string>
        {
            [ManifestProperties.SourcePolicyVersion] = _step.ToString(CultureInfo.InvariantCulture),
            [ReferenceResetStage.RuleProperty] = "SupervisedWarmup",
            [ReferenceResetStage.ResetOptimizerProperty] = "false",
        });
    }

    /// <summary>One RL step, from ordering rollouts to the commit. Returns the committed step number.</summary>
    public async Task<long> StepAsync(CancellationToken cancellationToken)
    {
        long step = _step + 1;
        var watch = Stopwatch.StartNew();
        SyncReference();
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
        PolicyUpdateResult? update = samples.Count > 0 ? _updater.Update(samples, step, cancellationToken, klCoef) : null;

        cancellationToken.ThrowIfCancellationRequested(); // past this point the step is committed whole or not at all
        // The next step's coefficient follows from this step's measured KL, and is committed with the state, so that a
        // resumed run uses exactly the coefficient an uninterrupted one would.
        var next = TrainerSettings.KlControl(_c.Algorithm, klCoef);
        if (update is not null) next.Update(update.Kl, update.Samples);
        var state = new TrainerState(step, TrainerState.RlPhase, _mixture.Position.ToJson(), _referenceVersion, next.Coefficient);
        // Cancellation no longer applies here: a wait for disk space ends with the commit, or with the process.
        _disk.Retrying(() => _exchange.CommitStep(step, consumed, folder => WriteState(folder, state), folder => _session.ExportModel(_c.Model.Path, folder),
            Properties(TrainerState.RlPhase)), NextCommitBytes(), $"step {step} (trainer state and policy)", CancellationToken.None);
        _step = step;
        _kl = next;
        var metrics = Metrics(all, update, sampler.Counters, watch.Elapsed);
        metrics["kl_coef"] = klCoef;
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

    /// <summary>
    /// Bytes the next commit writes: a policy version (as large as the last one) and a trainer version (as large as the
    /// last one; before the first, parameters plus two Adam moments, about three policies).
    /// </summary>
    private long NextCommitBytes()
    {
        long policy = DiskSpaceGuard.SizeOf(_store.Policy.ReadLatestPointer() is { } p ? _store.Policy.PathOf(p) : _c.Model.Path);
        long trainer = _store.Trainer.ReadLatestPointer() is { } t ? DiskSpaceGuard.SizeOf(_store.Trainer.PathOf(t)) : 3 * policy;
        return policy + trainer;
    }

    private void WriteState(string folder, TrainerState state)
    {
        _session.SaveCheckpoint(Path.Combine(folder, TrainerState.CheckpointFolder));
        state.WriteTo(folder);
    }

    private Dictionary<string, string> Properties(string phase) => new()
    {
        [ManifestProperties.ModelHash] = _modelHash,
        ["phase"] = phase,
    };

    /// <summary>Picks up a reference reset: new reference parameters, and fresh optimizer moments when the reset asks.</summary>
    private void SyncReference()
    {
        var reference = _store.Reference.ReadLatest() ?? throw new RunDirectoryException("No committed reference version.");
        if (reference.Version == _referenceVersion) return;
        bool reset = reference.Property(ReferenceResetStage.ResetOptimizerProperty) == "true" && _referenceVersion >= 0;
        LoadReference(reference.Version, reset);
    }

    private void LoadReference(long version, bool resetOptimizer)
    {
        // The trainer state names the reference its steps were computed against; another one would change the KL term
        // (and the weights) silently, so a version that cannot be opened is an error naming it.
        var reference = _store.Reference.TryOpen(version, VerifyLevel.Checksums, out var problem)
                        ?? throw new RunDirectoryException(
                            $"reference v{version} in '{_store.Reference.PathOf(version)}' cannot be opened ({problem}); the trainer state depends on it. " +
                            "Restore that version from a backup, or start a new run directory.");
        _session.LoadReferenceFromModel(reference.FolderPath);
        _referenceVersion = reference.Version;
        if (!resetOptimizer) return;
        _session.ResetOptimizerState();
        _store.Events.Append(EventTypes.OptimizerReset, _step, $"optimizer state re-initialised with reference v{reference.Version}");
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

    public void Dispose() => _session.Dispose();
}
