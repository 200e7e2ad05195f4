using Microsoft.Extensions.Logging;
using ProRL.Algorithms.KlControl;
using ProRL.Tasks.Datasets;
using ProRL.Tasks.Mixture;
using ProRL.Training.Artifacts;
using ProRL.Training.Heads;
using ProRL.Training.Session;
using ProRL.Worker.Options;
using ProRL.Worker.RunDirectory;
using ProRL.Worker.Services.Tasks;
using ProRL.Worker.Trainer;

namespace ProRL.Worker.Services.Training;

/// <summary>The option sections the trainer reads.</summary>
public sealed record TrainerConfiguration(
    ModelOptions Model, RunOptions Run, RolloutOptions Rollout, AlgorithmOptions Algorithm, OptimizerOptions Optimizer,
    TasksOptions Tasks, SftOptions Sft, ValidationOptions Validation, ReferenceResetOptions Reset, bool ValidatesHere = true,
    TrainingOptions? Training = null);

/// <summary>
/// The trainer's step loop (DESIGN §6–§7): decide a reference reset from the committed state (<see cref="ReferenceKeeper"/>),
/// order rollouts for the step, collect the scored groups (drawing more while dynamic sampling keeps too few), run the
/// KL-controlled update, and commit trainer state then policy. Everything a step depends on — task-stream position,
/// optimizer moments, reference version, the inputs of the next reset decision — is in the committed trainer version,
/// so a restart at any instant redoes the interrupted step identically and applies nothing twice.
/// <para>
/// This file holds the trainer's state, its construction and resume, and the commit helpers; the supervised warm-up is
/// in TrainerWarmup.cs, the RL step in TrainerStep.cs, the reference and its resets in <see cref="ReferenceKeeper"/>.
/// </para>
/// </summary>
public sealed partial class TrainerLoop : IDisposable
{
    private readonly TrainerConfiguration _c;
    private readonly RunStore _store;
    private readonly TrainerExchange _exchange;
    private readonly ILogger _logger;
    private readonly string _modelHash;
    /// <summary>Replaced once, by the supervised warm-up (which must not run beside it: see <see cref="WarmUpIfConfigured"/>).</summary>
    private TrainingSession _session;
    private PolicyUpdater _updater;
    private readonly string _policyArtifacts;
    private readonly long _padTokenId;
    /// <summary>The KL coefficient of the next step; its value is part of the committed trainer state.</summary>
    private KlController _kl;
    private readonly DiskSpaceGuard _disk;
    private TaskMixture _mixture;
    private readonly int _skippedDatasetRows;
    private long _step;
    private readonly ReferenceKeeper _reference;
    /// <summary>The KL share of the last committed step (from its trainer state): the next reset decision reads it.</summary>
    private double? _klShare;

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
        var artifacts = BuildPolicyArtifacts(new TrainingGraphOptions
        {
            Head = LossHeadKind.Policy, PolicyLoss = TrainerSettings.LossHead(_c.Algorithm, _c.Rollout),
            Recompute = _c.Training?.RecomputeMode ?? ProRL.Training.Autodiff.RecomputeMode.None,
            HeadChunks = _c.Training?.HeadChunks ?? EvalHead.DefaultChunks,
            PackedSequences = (_c.Training ?? new TrainingOptions()).WantsPackedSequences(_c.Algorithm),
        });
        TrainingSession.ReleaseManagedMemory(); // a first build leaves the lowered model (4+ bytes per parameter) as garbage
        WarnIfRecomputeNotApplied(artifacts);
        _policyArtifacts = artifacts;
        _padTokenId = ProRL.Onnx.Models.GenAiConfig.Load(Path.Combine(_c.Model.Path, "genai_config.json")).Model.PadTokenId;
        (_session, _updater) = OpenPolicySession();
        _kl = TrainerSettings.KlControl(_c.Algorithm);
        _reference = new ReferenceKeeper(_store, () => _session, _c.Reset, _c.Validation, _c.ValidatesHere,
            TimeSpan.FromMilliseconds(_c.Run.PollIntervalMilliseconds), logger);
        _disk = new DiskSpaceGuard(_store.Root, _c.Run.DiskFullPolicy.Equals(RunOptions.DiskFullWait, StringComparison.OrdinalIgnoreCase),
            TimeSpan.FromSeconds(_c.Run.DiskFullRetrySeconds), logger, freeBytes);
        var datasets = new List<DatasetReport>();
        _mixture = TaskMixtureFactory.Create(_c.Tasks, Seed, onDataset: datasets.Add, split: _c.Validation.Split());
        _skippedDatasetRows = datasets.Sum(d => d.RowsSkipped);
        foreach (var report in datasets.Where(d => d.RowsSkipped > 0))
            _logger.LogWarning("Dataset {Summary} Skipped rows are counted as {Metric} in metrics.jsonl.", report.Summary(), MetricNameSkippedRows);

        var resume = _exchange.Resume();
        if (resume.State is { } state)
        {
            var saved = TrainerState.ReadFrom(state.FolderPath);
            _session.LoadCheckpoint(Path.Combine(state.FolderPath, TrainerState.CheckpointFolder));
            _mixture = TaskMixtureFactory.Create(_c.Tasks, Seed, saved.Position, split: _c.Validation.Split());
            _kl = TrainerSettings.KlControl(_c.Algorithm, saved.KlCoef);
            _step = saved.Step;
            _klShare = saved.KlShare;
            if (resume.PolicyBehind)
                _exchange.CommitPolicy(_step, folder => _session.ExportModel(_c.Model.Path, folder), Properties(saved.Phase));
            // A kill after the warm-up's policy commit and before its reference commit: finish the warm-up's commit.
            if (saved.Phase == TrainerState.SftPhase && (_store.Reference.ReadLatestPointer() ?? -1) < saved.ReferenceVersion)
                _reference.CommitWarmUp(_step);
            _reference.Restore(saved);
            _logger.LogInformation("Trainer resumed after step {Step} ({Held} scored chunks held)", _step, resume.HeldChunks.Count);
        }
        else
        {
            _step = 0;
            _session.LoadParametersFromModel(_c.Model.Path);
            _reference.Load(_store.Reference.ReadLatestPointer() ?? throw new RunDirectoryException("No committed reference version."));
        }
    }

    private int Seed => unchecked((int)_c.Run.Seed);
    public long Step => _step;

    private (TrainingSession Session, PolicyUpdater Updater) OpenPolicySession()
    {
        var session = TrainingSession.Open(_policyArtifacts, SessionOptions());
        return (session, new PolicyUpdater(session, TrainerSettings.Update(_c.Algorithm, _c.Rollout, _c.Optimizer, _padTokenId)));
    }

    private TrainingSessionOptions SessionOptions() => new()
    {
        IntraOpThreads = _c.Model.Threads,
        Arena = _c.Training?.Arena ?? MemoryArena.Shared,
#if PRORL_CUDA
        Provider = _c.Model.ExecutionProvider == ModelOptions.Cuda ? ExecutionProvider.Cuda : ExecutionProvider.Cpu,
#endif
    };

    /// <summary>The policy artifacts, from the cache or built; with Training:PackSequences unset, padded ones for a model that cannot pack.</summary>
    private string BuildPolicyArtifacts(TrainingGraphOptions options) =>
        ArtifactsCache.GetOrBuild(_c.Run.Directory, _c.Model.Path, _modelHash, options, packingOptional: _c.Training?.PackSequences is null,
            reason => _logger.LogWarning("Training:PackSequences (unset): the model's responses cannot be packed ({Reason}); training with one response per row", reason));

    /// <summary>
    /// Training:Recompute=layers on a decoder whose layers cannot be found, or Training:HeadChunks on logits that are not a
    /// plain projection, builds without it: say so once.
    /// </summary>
    private void WarnIfRecomputeNotApplied(string artifacts)
    {
        var manifest = ArtifactsManifest.Load(Path.Combine(artifacts, ArtifactsManifest.FileName));
        if (_c.Training?.RecomputeMode == ProRL.Training.Autodiff.RecomputeMode.Layers && manifest.RecomputeNote is { } note)
            _logger.LogWarning("Training:Recompute=layers: {Note}; training without recomputation", note);
        if ((_c.Training?.HeadChunks ?? EvalHead.DefaultChunks) > 0 && manifest.HeadChunks == 0)
            _logger.LogWarning("Training:HeadChunks: the model's logits are not a plain projection (x·W + b), so the head reads whole [batch, length, vocabulary] logits");
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

    public void Dispose() => _session.Dispose();
}
