using System.Numerics.Tensors;
using Microsoft.ML.OnnxRuntime;
using ProRL.Onnx.Tensors;
using Tensor = ProRL.Onnx.Tensors.Tensor;
using ProRL.Training.Artifacts;
using ProRL.Training.Heads;
using ProRL.Training.Optimizer;

namespace ProRL.Training.Session;

/// <summary>
/// Runs the eval and training graphs of an artifacts folder on ONNX Runtime and applies AdamW in place. Memory
/// (DESIGN §5): one float32 buffer each for the parameters, the accumulated gradients, the two AdamW moments and, once
/// set, the reference parameters — 20 bytes per parameter — all resident OrtValues bound with IOBinding; the graphs hold
/// no weights. The training graph adds each micro-batch's gradient into the gradient buffer in place (its
/// <c>p.grad.in</c> input and <c>p.grad</c> output are bound to the same buffer; the sum is element-wise), and
/// <see cref="OptimizerStep"/> updates parameters and moments in place and zeroes the gradients in the same pass
/// (<see cref="AdamWInPlace"/>). The eval graph runs with the policy or the reference parameters: only the bound
/// buffers differ.
/// <para>Departure from DESIGN §5: <c>optimizer_model.onnx</c> is still built (it is the oracle the in-place update is
/// tested against) but the session does not run it: run out of place it needs a second copy of parameters and
/// moments. The buffers are host memory in the CUDA flavour too, so the same in-place update serves both.</para>
/// <para>Not thread-safe: one step at a time.</para>
/// </summary>
public sealed class TrainingSession : IDisposable
{
    private readonly ArtifactsManifest _manifest;
    private readonly IReadOnlyList<ParameterSpec> _specs;
    private readonly InferenceSession _eval, _training;
    private readonly OrtIoBinding _evalBinding, _trainingBinding;
    private readonly RunOptions _runOptions = new();
    private readonly ScalarSlots _scalars = new();
    private readonly HashSet<string> _trainingInputs;
    private readonly string[] _metricOutputs;
    private readonly int _optimizerThreads;
    private readonly TensorBuffers _parameters, _gradients, _firstMoments, _secondMoments;
    private readonly AdamWBuffers _adamW;
    private TensorBuffers? _reference;
    private int _microBatches;
    /// <summary>Why the next optimizer step must be skipped (a non-finite loss, or a micro-batch that failed part-way).</summary>
    private string? _skipReason;
    private bool _disposed;

    /// <summary>Opens <paramref name="artifactsDirectory"/> (manifest, eval and training graphs, checkpoint/).</summary>
    public static TrainingSession Open(string artifactsDirectory, TrainingSessionOptions? options = null)
    {
        var dir = Path.GetFullPath(artifactsDirectory);
        var manifest = ArtifactsManifest.Load(Path.Combine(dir, ArtifactsManifest.FileName));
        var session = new TrainingSession(manifest, ReadGraph(dir, manifest.EvalModel.File), ReadGraph(dir, manifest.TrainingModel.File), options);
        try
        {
            session.LoadCheckpoint(Path.Combine(dir, manifest.CheckpointDirectory));
            return session;
        }
        catch
        {
            session.Dispose();
            throw;
        }
    }

    private static byte[] ReadGraph(string dir, string file)
    {
        var path = Path.Combine(dir, file);
        if (!File.Exists(path)) throw new FileNotFoundException($"Artifacts folder '{dir}' has no {file}; rebuild it with `prorl artifacts build`.", path);
        return File.ReadAllBytes(path);
    }

    /// <summary>A session over graphs held in memory (serialised ONNX) and a checkpoint.</summary>
    public TrainingSession(ArtifactsManifest manifest, byte[] evalModel, byte[] trainingModel,
        Checkpoint checkpoint, TrainingSessionOptions? options = null)
        : this(manifest, evalModel, trainingModel, options)
    {
        try
        {
            LoadCheckpoint(checkpoint);
        }
        catch
        {
            Dispose(); // native buffers and sessions are not left to the finalizer
            throw;
        }
    }

    /// <summary>Sessions and buffers; the caller loads a checkpoint next.</summary>
    private TrainingSession(ArtifactsManifest manifest, byte[] evalModel, byte[] trainingModel, TrainingSessionOptions? options)
    {
        options ??= new TrainingSessionOptions();
        options.Validate();
        _manifest = manifest;
        _specs = [.. manifest.Parameters.Select(p => new ParameterSpec(p.Name, p.Shape))];
        _optimizerThreads = options.IntraOpThreads;
        using var sessionOptions = CreateSessionOptions(options);
        _eval = new InferenceSession(evalModel, sessionOptions);
        _training = new InferenceSession(trainingModel, sessionOptions);
        _evalBinding = _eval.CreateIoBinding();
        _trainingBinding = _training.CreateIoBinding();
        _trainingInputs = [.. _training.InputNames];
        _metricOutputs = [.. _training.OutputNames.Where(n => !n.EndsWith(".grad", StringComparison.Ordinal))];
        if (!_metricOutputs.Contains(PolicyLossHead.Loss)) throw new ArgumentException("The training graph has no 'loss' output.", nameof(trainingModel));

        _parameters = new TensorBuffers(_specs);
        _gradients = new TensorBuffers(_specs);
        _firstMoments = new TensorBuffers(_specs);
        _secondMoments = new TensorBuffers(_specs);
        var notDecayed = manifest.NotDecayed.ToHashSet(StringComparer.Ordinal);
        _adamW = new AdamWBuffers([.. _specs.Select(p => p.ElementCount)], [.. _specs.Select(p => !notDecayed.Contains(p.Name))],
            _parameters.Span, _gradients.Span, _firstMoments.Span, _secondMoments.Span);
    }

    private static SessionOptions CreateSessionOptions(TrainingSessionOptions options)
    {
        var so = new SessionOptions { GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL, EnableCpuMemArena = false };
        if (options.IntraOpThreads > 0) so.IntraOpNumThreads = options.IntraOpThreads;
        if (options.Arena == MemoryArena.Shared)
        {
            SharedCpuArena.EnsureRegistered();
            so.AddSessionConfigEntry("session.use_env_allocators", "1");
            // No memory pattern: it would ask the arena for one block of the run's whole peak after the first run had
            // already grown it tensor by tensor, holding both.
            so.EnableMemoryPattern = false;
        }
        if (options.ProfilePrefix is { } prefix)
        {
            so.ProfileOutputPathPrefix = prefix; // read when profiling is switched on, so first
            so.EnableProfiling = true;
        }
#if PRORL_CUDA
        if (options.Provider == ExecutionProvider.Cuda) so.AppendExecutionProvider_CUDA(options.DeviceId);
#endif
        return so;
    }

    public ArtifactsManifest Manifest => _manifest;
    public IReadOnlyList<ParameterSpec> Parameters => _specs;
    /// <summary>Optimizer updates applied so far (the bias-correction step of the next update is this + 1).</summary>
    public long OptimizerStepCount { get; private set; }
    /// <summary>Micro-batches accumulated since the last optimizer step or <see cref="ResetGrad"/>.</summary>
    public int AccumulatedMicroBatches => _microBatches;
    public bool HasReference => _reference is not null;
    /// <summary>Elements over all trainable parameters.</summary>
    public long ParameterCount => _specs.Sum(p => p.ElementCount);
    /// <summary>Bytes of the resident float32 buffers this session holds (parameters, gradients, moments, reference).</summary>
    public long StateBytes => sizeof(float) * ParameterCount * (4 + (_reference is null ? 0 : 1));

    // ---------- eval ----------

    /// <summary>Per-token log-probabilities and entropies of <paramref name="batch"/> at <paramref name="temperature"/>.</summary>
    public EvalResult EvalStep(TokenBatch batch, float temperature, ParameterSet parameters = ParameterSet.Policy)
    {
        batch.Validate();
        var result = new EvalResult(new float[batch.TargetCount], new float[batch.TargetCount]);
        EvalStep(batch, temperature, result.Logprobs, result.Entropy, parameters);
        return result;
    }

    /// <summary>Like <see cref="EvalStep(TokenBatch, float, ParameterSet)"/>, writing into caller-owned [B, T−1] arrays (no allocation).</summary>
    public void EvalStep(TokenBatch batch, float temperature, float[] logprobs, float[] entropy, ParameterSet parameters = ParameterSet.Policy)
    {
        ThrowIfDisposed();
        batch.Validate();
        batch.CheckTargets(logprobs, nameof(logprobs));
        batch.CheckTargets(entropy, nameof(entropy));
        if (!(float.IsFinite(temperature) && temperature > 0)) throw new ArgumentOutOfRangeException(nameof(temperature), temperature, "Temperature must be > 0.");
        var weights = parameters == ParameterSet.Policy ? _parameters
            : _reference ?? throw new InvalidOperationException("No reference parameters: call SetReferenceToPolicy or LoadReference first.");

        using var lp = OrtValue.CreateTensorValueFromMemory(logprobs, batch.TargetShape);
        using var en = OrtValue.CreateTensorValueFromMemory(entropy, batch.TargetShape);
        var b = Rebind(_evalBinding);
        var batchValues = new List<OrtValue>();
        using var releaseBatch = new DisposeAll(batchValues);
        BindBatch(b, batch, batchValues);
        BindParameters(b, weights);
        b.BindInput(EvalHead.Temperature, _scalars.Set(EvalHead.Temperature, temperature));
        b.BindOutput(EvalHead.Logprobs, lp);
        b.BindOutput(EvalHead.Entropy, en);
        _eval.RunWithBinding(_runOptions, b);
    }

    // ---------- training ----------

    /// <summary>
    /// Forward and backward of one micro-batch of the policy-loss graph; its gradient is added to the accumulated
    /// gradients. A non-finite loss is reported here and makes the next <see cref="OptimizerStep"/> skip.
    /// </summary>
    public TrainStepResult TrainStep(TokenBatch batch, PolicyLossInputs inputs, PolicyLossSettings settings)
    {
        RequireHead(LossHeadKind.Policy);
        var perToken = new Dictionary<string, float[]>(StringComparer.Ordinal)
        {
            [PolicyLossHead.ResponseMask] = inputs.ResponseMask,
            [PolicyLossHead.OldLogprobs] = inputs.OldLogprobs,
            [PolicyLossHead.RefLogprobs] = inputs.RefLogprobs,
            [PolicyLossHead.Advantages] = inputs.Advantages,
        };
        var scalars = new Dictionary<string, float>(StringComparer.Ordinal)
        {
            [EvalHead.Temperature] = settings.Temperature,
            [PolicyLossHead.ClipLow] = settings.ClipLow,
            [PolicyLossHead.ClipHigh] = settings.ClipHigh,
            [PolicyLossHead.DualClipBound] = settings.DualClip,
            [PolicyLossHead.KlCoef] = settings.KlCoef,
            [PolicyLossHead.EntropyCoef] = settings.EntropyCoef,
            [PolicyLossHead.LossScale] = settings.LossScale,
        };
        return TrainStep(batch, perToken, scalars);
    }

    /// <summary>One micro-batch of the cross-entropy graph (mean NLL of the tokens where <paramref name="targetMask"/> is 1, at temperature 1).</summary>
    public TrainStepResult TrainStepCrossEntropy(TokenBatch batch, float[] targetMask, float lossScale = 1f)
    {
        RequireHead(LossHeadKind.CrossEntropy);
        return TrainStep(batch,
            new Dictionary<string, float[]>(StringComparer.Ordinal) { [CrossEntropyHead.TargetMask] = targetMask },
            new Dictionary<string, float>(StringComparer.Ordinal) { [EvalHead.Temperature] = 1f, [CrossEntropyHead.LossScale] = lossScale });
    }

    /// <summary>
    /// The general form: per-token [B, T−1] inputs and scalar inputs by graph input name (scalars the graph does not
    /// have are ignored; every per-token and scalar input the graph has must be given).
    /// </summary>
    public TrainStepResult TrainStep(TokenBatch batch, IReadOnlyDictionary<string, float[]> perTokenInputs, IReadOnlyDictionary<string, float> scalarInputs)
    {
        ThrowIfDisposed();
        batch.Validate();
        var disposables = new List<OrtValue>();
        TensorBuffers? transient = null;
        try
        {
            var b = Rebind(_trainingBinding);
            BindBatch(b, batch, disposables);
            BindParameters(b, _parameters);
            foreach (var (name, values) in perTokenInputs)
            {
                if (!_trainingInputs.Contains(name)) throw new ArgumentException($"The training graph has no input '{name}'.", nameof(perTokenInputs));
                batch.CheckTargets(values, name);
                b.BindInput(name, Track(disposables, OrtValue.CreateTensorValueFromMemory(values, batch.TargetShape)));
            }
            foreach (var (name, value) in scalarInputs)
                if (_trainingInputs.Contains(name)) b.BindInput(name, _scalars.Set(name, value));
            CheckAllInputsGiven(perTokenInputs, scalarInputs);

            foreach (var name in _metricOutputs) b.BindOutput(name, _scalars.Ort("out:" + name));
            // Accumulating graphs add in place (input and output bound to one buffer); the others write the first
            // micro-batch's gradient straight into the buffer, and later ones into a transient set that is added in.
            var target = _manifest.AccumulateGradients || _microBatches == 0 ? _gradients : transient = new TensorBuffers(_specs);
            for (int i = 0; i < _specs.Count; i++)
            {
                if (_manifest.AccumulateGradients) b.BindInput(TrainingGraphBuilder.GradInputName(_specs[i].Name), _gradients[i]);
                b.BindOutput(AdamWGraph.GradName(_specs[i].Name), target[i]);
            }
            try
            {
                _training.RunWithBinding(_runOptions, b);
            }
            catch (Exception e) when (e is OnnxRuntimeException or OutOfMemoryException)
            {
                // The gradient buffers may hold part of this micro-batch: the update they would feed is skipped.
                _microBatches++;
                _skipReason ??= $"micro-batch {_microBatches} failed: {e.Message}";
                throw;
            }

            if (transient is not null)
                for (int i = 0; i < _specs.Count; i++)
                    TensorPrimitives.Add(_gradients.Span(i), transient.Span(i), _gradients.Span(i));
            _microBatches++;

            var metrics = _metricOutputs.ToDictionary(n => n, n => _scalars.Read("out:" + n), StringComparer.Ordinal);
            var result = new TrainStepResult(metrics[PolicyLossHead.Loss], metrics);
            if (!result.IsFinite) _skipReason ??= $"non-finite loss: micro-batch {_microBatches} had loss {result.Loss}";
            return result;
        }
        finally
        {
            foreach (var d in disposables) d.Dispose();
            transient?.Dispose();
        }
    }

    /// <summary>
    /// One AdamW update with the accumulated gradients, then <see cref="ResetGrad"/>. Skipped, with parameters and moments
    /// untouched, when a micro-batch's loss or the global gradient norm is not finite; the result says why.
    /// </summary>
    public OptimizerStepResult OptimizerStep(AdamWSettings settings)
    {
        ThrowIfDisposed();
        settings.Validate();
        if (_microBatches == 0) throw new InvalidOperationException("OptimizerStep needs gradients: run TrainStep on at least one micro-batch first.");
        int microBatches = _microBatches;
        try
        {
            if (_skipReason is { } reason)
                return new OptimizerStepResult(false, double.NaN, OptimizerStepCount, microBatches, reason);

            double norm = AdamWInPlace.GradientNorm(_adamW, _optimizerThreads);
            if (!double.IsFinite(norm))
                return new OptimizerStepResult(false, norm, OptimizerStepCount, microBatches, $"non-finite gradient norm {norm}");
            var coefficients = AdamWCoefficients.For(settings.LearningRate, settings.Beta1, settings.Beta2, settings.Epsilon,
                settings.WeightDecay, settings.MaxGradNorm, OptimizerStepCount + 1, (float)norm);
            AdamWInPlace.Update(_adamW, coefficients, _optimizerThreads); // zeroes the gradients as it goes
            _microBatches = 0;
            OptimizerStepCount++;
            return new OptimizerStepResult(true, norm, OptimizerStepCount, microBatches, null);
        }
        finally
        {
            if (_microBatches != 0) ResetGrad(); // a skipped (or failed) update; an applied one has zeroed them already
        }
    }

    /// <summary>Zeroes the accumulated gradients and forgets non-finite losses seen since the last step.</summary>
    public void ResetGrad()
    {
        ThrowIfDisposed();
        _gradients.Clear();
        _microBatches = 0;
        _skipReason = null;
    }

    /// <summary>Zeroes the AdamW moments and the step counter (a ProRL v1 reference reset).</summary>
    public void ResetOptimizerState()
    {
        ThrowIfDisposed();
        _firstMoments.Clear();
        _secondMoments.Clear();
        OptimizerStepCount = 0;
    }

    // ---------- reference and parameters ----------

    /// <summary>Reference := current policy (a hard reset's first half).</summary>
    public void SetReferenceToPolicy()
    {
        ThrowIfDisposed();
        _reference ??= new TensorBuffers(_specs);
        _reference.CopyFrom(_parameters);
    }

    /// <summary>Loads reference parameters (e.g. from a committed reference version), by parameter name.</summary>
    public void LoadReference(IReadOnlyDictionary<string, Tensor> parameters, string source = "reference parameters")
    {
        ThrowIfDisposed();
        _reference ??= new TensorBuffers(_specs);
        _reference.Load(parameters, p => p.Name, source);
    }

    /// <summary>Loads reference parameters from a GenAI model folder (e.g. a committed reference version).</summary>
    public void LoadReferenceFromModel(string modelDirectory) =>
        ThenReleaseManagedCopies(() => LoadReference(ModelExport.ReadWeights(modelDirectory, _specs.Select(p => p.Name)), modelDirectory));

    /// <summary>Replaces the policy parameters with those of a GenAI model folder (e.g. a committed policy version).</summary>
    public void LoadParametersFromModel(string modelDirectory) =>
        ThenReleaseManagedCopies(() => SetParameters(ModelExport.ReadWeights(modelDirectory, _specs.Select(p => p.Name)), modelDirectory));

    /// <summary>A float32 copy of the current policy parameters.</summary>
    public Dictionary<string, Tensor> GetParameters() => _parameters.Snapshot(p => p.Name);

    /// <summary>Replaces the policy parameters (float32/16/bf16 tensors by name).</summary>
    public void SetParameters(IReadOnlyDictionary<string, Tensor> parameters, string source = "parameters") =>
        _parameters.Load(parameters, p => p.Name, source);

    // ---------- checkpoints and export ----------

    public Checkpoint CaptureCheckpoint()
    {
        ThrowIfDisposed();
        var moments = _firstMoments.Snapshot(p => AdamWGraph.FirstMomentName(p.Name));
        foreach (var (k, v) in _secondMoments.Snapshot(p => AdamWGraph.SecondMomentName(p.Name))) moments[k] = v;
        return new Checkpoint(GetParameters(), moments, OptimizerStepCount);
    }

    /// <summary>
    /// Writes parameters, moments and the step counter to <paramref name="directory"/> (see <see cref="Checkpoint"/>),
    /// streamed from the session's buffers with no managed copy.
    /// </summary>
    public void SaveCheckpoint(string directory)
    {
        ThrowIfDisposed();
        Checkpoint.Save(directory, _parameters.Sources(p => p.Name),
            _firstMoments.Sources(p => AdamWGraph.FirstMomentName(p.Name)).Concat(_secondMoments.Sources(p => AdamWGraph.SecondMomentName(p.Name))),
            OptimizerStepCount);
    }

    /// <summary>
    /// Restores parameters, moments and step counter from a checkpoint folder, streamed from the files into the session's
    /// buffers with no managed copy; accumulated gradients are reset.
    /// </summary>
    public void LoadCheckpoint(string directory)
    {
        ThrowIfDisposed();
        long step = Checkpoint.ReadOptimizerStep(directory);
        _parameters.LoadSafetensors(Path.Combine(directory, Checkpoint.ParametersFile), p => p.Name);
        var optimizer = Path.Combine(directory, Checkpoint.OptimizerFile);
        _firstMoments.LoadSafetensors(optimizer, p => AdamWGraph.FirstMomentName(p.Name));
        _secondMoments.LoadSafetensors(optimizer, p => AdamWGraph.SecondMomentName(p.Name));
        OptimizerStepCount = step;
        ResetGrad();
    }

    /// <summary>Restores parameters, moments and step counter; accumulated gradients are reset.</summary>
    public void LoadCheckpoint(Checkpoint checkpoint)
    {
        ThrowIfDisposed();
        _parameters.Load(checkpoint.Parameters, p => p.Name, "checkpoint parameters");
        _firstMoments.Load(checkpoint.Moments, p => AdamWGraph.FirstMomentName(p.Name), "checkpoint moments");
        _secondMoments.Load(checkpoint.Moments, p => AdamWGraph.SecondMomentName(p.Name), "checkpoint moments");
        OptimizerStepCount = checkpoint.OptimizerStep;
        ResetGrad();
    }

    /// <summary>
    /// Writes a GenAI model folder at <paramref name="destinationDirectory"/>: a copy of <paramref name="sourceModelDirectory"/>
    /// (the export the artifacts were built from) whose trainable initializers hold the current policy parameters in the
    /// export's own element type; the graph is not changed. Values are written from the session's buffers (converted one
    /// tensor at a time for fp16/bf16 exports), with no copy of all weights.
    /// </summary>
    public void ExportModel(string sourceModelDirectory, string destinationDirectory)
    {
        ThrowIfDisposed();
        var index = Enumerable.Range(0, _specs.Count).ToDictionary(i => _specs[i].Name, StringComparer.Ordinal);
        ThenReleaseManagedCopies(() => ModelExport.WriteWeights(sourceModelDirectory, destinationDirectory, _specs, name => _parameters.Span(index[name])));
    }

    /// <summary>
    /// Runs a load or export, then collects the model-sized managed arrays it dropped. The session's state is native
    /// memory, which the garbage collector does not see, so without this a dead copy of the weights (4 bytes per
    /// parameter or more) can stay resident until some later allocation happens to trigger a full collection. The work
    /// runs in its own frame so that no stack slot of this one still refers to those arrays when the collection runs.
    /// </summary>
    private static void ThenReleaseManagedCopies(Action work)
    {
        work();
        ReleaseManagedMemory();
    }

    /// <summary>
    /// A full, compacting collection that also returns the freed memory to the operating system (a forced collection
    /// alone keeps the emptied regions committed, and resident).
    /// </summary>
    public static void ReleaseManagedMemory()
    {
        System.Runtime.GCSettings.LargeObjectHeapCompactionMode = System.Runtime.GCLargeObjectHeapCompactionMode.CompactOnce;
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
    }

    // ---------- binding helpers ----------

    private static OrtIoBinding Rebind(OrtIoBinding binding)
    {
        binding.ClearBoundInputs();
        binding.ClearBoundOutputs();
        return binding;
    }

    /// <summary>
    /// input_ids and attention_mask; or, for artifacts built for packed sequences, input_ids, segment_ids and position_ids
    /// (a batch of one sequence per row gets its attention mask as segments and 0..T−1 as positions).
    /// </summary>
    private void BindBatch(OrtIoBinding b, TokenBatch batch, List<OrtValue> disposables)
    {
        b.BindInput(TrainingGraphBuilder.InputIds, Track(disposables, OrtValue.CreateTensorValueFromMemory(batch.InputIds, batch.Shape)));
        if (_manifest.PackedSequences)
        {
            b.BindInput(TrainingGraphBuilder.SegmentIds, Track(disposables, OrtValue.CreateTensorValueFromMemory(batch.SegmentIdsOrRows(), batch.Shape)));
            b.BindInput(TrainingGraphBuilder.PositionIds, Track(disposables, OrtValue.CreateTensorValueFromMemory(batch.PositionIdsOrRange(), batch.Shape)));
            return;
        }
        if (batch.HasSeveralSequencesPerRow)
            throw new ArgumentException("The batch packs several sequences per row, and these artifacts were built for one sequence per row; " +
                "build them for packed sequences (artifacts build --pack-sequences, or Training:PackSequences=true).", nameof(batch));
        b.BindInput(TrainingGraphBuilder.AttentionMask, Track(disposables, OrtValue.CreateTensorValueFromMemory(batch.AttentionMask, batch.Shape)));
    }

    private sealed class DisposeAll(List<OrtValue> values) : IDisposable
    {
        public void Dispose()
        {
            foreach (var v in values) v.Dispose();
        }
    }

    private void BindParameters(OrtIoBinding b, TensorBuffers weights)
    {
        for (int i = 0; i < _specs.Count; i++) b.BindInput(_specs[i].Name, weights[i]);
    }

    private void CheckAllInputsGiven(IReadOnlyDictionary<string, float[]> perToken, IReadOnlyDictionary<string, float> scalars)
    {
        var parameterNames = _specs.Select(p => p.Name).ToHashSet(StringComparer.Ordinal);
        foreach (var name in _trainingInputs)
        {
            if (name is TrainingGraphBuilder.InputIds or TrainingGraphBuilder.AttentionMask or TrainingGraphBuilder.SegmentIds or TrainingGraphBuilder.PositionIds
                || parameterNames.Contains(name)) continue;
            if (name.EndsWith(".grad.in", StringComparison.Ordinal)) continue;
            if (!perToken.ContainsKey(name) && !scalars.ContainsKey(name))
                throw new ArgumentException($"The training graph needs input '{name}', which was not given.");
        }
    }

    private void RequireHead(LossHeadKind head)
    {
        if (_manifest.Head != head)
            throw new InvalidOperationException($"These artifacts were built with the {_manifest.Head} head, not {head}.");
    }

    private static OrtValue Track(List<OrtValue> list, OrtValue value)
    {
        list.Add(value);
        return value;
    }

    private void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(_disposed, this);

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        foreach (var d in new IDisposable?[]
        {
            _evalBinding, _trainingBinding, _eval, _training, _runOptions, _scalars,
            _parameters, _gradients, _firstMoments, _secondMoments, _reference,
        })
            d?.Dispose();
    }
}
