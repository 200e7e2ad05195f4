using System.Numerics.Tensors;
using Microsoft.ML.OnnxRuntime;
using ProRL.Onnx.Tensors;
using Tensor = ProRL.Onnx.Tensors.Tensor;
using ProRL.Training.Artifacts;
using ProRL.Training.Heads;
using ProRL.Training.Optimizer;

namespace ProRL.Training.Session;

/// <summary>
/// Runs the eval, training and optimizer graphs of an artifacts folder on ONNX Runtime. Parameters, accumulated
/// gradients and AdamW moments are resident OrtValues bound with IOBinding; a step writes its results into the spare
/// buffer of each pair and the pair is swapped, so values never leave their OrtValues between steps and a skipped
/// optimizer step leaves the current buffers untouched. The eval graph runs with the policy or the reference
/// parameters: only the bound buffers differ.
/// <para>Not thread-safe: one step at a time.</para>
/// </summary>
public sealed class TrainingSession : IDisposable
{
    private readonly ArtifactsManifest _manifest;
    private readonly IReadOnlyList<ParameterSpec> _specs;
    private readonly InferenceSession _eval, _training, _optimizer;
    private readonly OrtIoBinding _evalBinding, _trainingBinding, _optimizerBinding;
    private readonly RunOptions _runOptions = new();
    private readonly ScalarSlots _scalars = new();
    private readonly HashSet<string> _trainingInputs;
    private readonly string[] _metricOutputs;
    private TensorBuffers _parameters, _spareParameters, _gradients, _spareGradients;
    private TensorBuffers _firstMoments, _spareFirstMoments, _secondMoments, _spareSecondMoments;
    private TensorBuffers? _reference;
    private int _microBatches;
    private string? _nonFiniteLoss;
    private bool _disposed;

    /// <summary>Opens <paramref name="artifactsDirectory"/> (manifest, three graphs, checkpoint/).</summary>
    public static TrainingSession Open(string artifactsDirectory, TrainingSessionOptions? options = null)
    {
        var dir = Path.GetFullPath(artifactsDirectory);
        var manifest = ArtifactsManifest.Load(Path.Combine(dir, ArtifactsManifest.FileName));
        var checkpoint = Checkpoint.Load(Path.Combine(dir, manifest.CheckpointDirectory));
        return new TrainingSession(manifest,
            ReadGraph(dir, manifest.EvalModel.File), ReadGraph(dir, manifest.TrainingModel.File), ReadGraph(dir, manifest.OptimizerModel.File),
            checkpoint, options);
    }

    private static byte[] ReadGraph(string dir, string file)
    {
        var path = Path.Combine(dir, file);
        if (!File.Exists(path)) throw new FileNotFoundException($"Artifacts folder '{dir}' has no {file}; rebuild it with `prorl artifacts build`.", path);
        return File.ReadAllBytes(path);
    }

    /// <summary>A session over graphs held in memory (serialised ONNX) and a checkpoint.</summary>
    public TrainingSession(ArtifactsManifest manifest, byte[] evalModel, byte[] trainingModel, byte[] optimizerModel,
        Checkpoint checkpoint, TrainingSessionOptions? options = null)
    {
        options ??= new TrainingSessionOptions();
        options.Validate();
        _manifest = manifest;
        _specs = [.. manifest.Parameters.Select(p => new ParameterSpec(p.Name, p.Shape))];
        using var sessionOptions = CreateSessionOptions(options);
        _eval = new InferenceSession(evalModel, sessionOptions);
        _training = new InferenceSession(trainingModel, sessionOptions);
        _optimizer = new InferenceSession(optimizerModel, sessionOptions);
        _evalBinding = _eval.CreateIoBinding();
        _trainingBinding = _training.CreateIoBinding();
        _optimizerBinding = _optimizer.CreateIoBinding();
        _trainingInputs = [.. _training.InputNames];
        _metricOutputs = [.. _training.OutputNames.Where(n => !n.EndsWith(".grad", StringComparison.Ordinal))];
        if (!_metricOutputs.Contains(PolicyLossHead.Loss)) throw new ArgumentException("The training graph has no 'loss' output.", nameof(trainingModel));

        _parameters = new TensorBuffers(_specs);
        _spareParameters = new TensorBuffers(_specs);
        _gradients = new TensorBuffers(_specs);
        _spareGradients = new TensorBuffers(_specs);
        _firstMoments = new TensorBuffers(_specs);
        _spareFirstMoments = new TensorBuffers(_specs);
        _secondMoments = new TensorBuffers(_specs);
        _spareSecondMoments = new TensorBuffers(_specs);
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

    private static SessionOptions CreateSessionOptions(TrainingSessionOptions options)
    {
        var so = new SessionOptions { GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL };
        if (options.IntraOpThreads > 0) so.IntraOpNumThreads = options.IntraOpThreads;
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

        using var ids = OrtValue.CreateTensorValueFromMemory(batch.InputIds, batch.Shape);
        using var mask = OrtValue.CreateTensorValueFromMemory(batch.AttentionMask, batch.Shape);
        using var lp = OrtValue.CreateTensorValueFromMemory(logprobs, batch.TargetShape);
        using var en = OrtValue.CreateTensorValueFromMemory(entropy, batch.TargetShape);
        var b = Rebind(_evalBinding);
        BindBatch(b, ids, mask);
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
        try
        {
            var b = Rebind(_trainingBinding);
            var ids = Track(disposables, OrtValue.CreateTensorValueFromMemory(batch.InputIds, batch.Shape));
            var mask = Track(disposables, OrtValue.CreateTensorValueFromMemory(batch.AttentionMask, batch.Shape));
            BindBatch(b, ids, mask);
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
            for (int i = 0; i < _specs.Count; i++)
            {
                if (_manifest.AccumulateGradients) b.BindInput(TrainingGraphBuilder.GradInputName(_specs[i].Name), _gradients[i]);
                b.BindOutput(AdamWGraph.GradName(_specs[i].Name), _spareGradients[i]);
            }
            _training.RunWithBinding(_runOptions, b);

            if (_manifest.AccumulateGradients) (_gradients, _spareGradients) = (_spareGradients, _gradients);
            else
                for (int i = 0; i < _specs.Count; i++)
                    TensorPrimitives.Add(_gradients.Span(i), _spareGradients.Span(i), _gradients.Span(i));
            _microBatches++;

            var metrics = _metricOutputs.ToDictionary(n => n, n => _scalars.Read("out:" + n), StringComparer.Ordinal);
            var result = new TrainStepResult(metrics[PolicyLossHead.Loss], metrics);
            if (!result.IsFinite) _nonFiniteLoss ??= $"micro-batch {_microBatches} had loss {result.Loss}";
            return result;
        }
        finally
        {
            foreach (var d in disposables) d.Dispose();
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
            if (_nonFiniteLoss is { } reason)
                return new OptimizerStepResult(false, double.NaN, OptimizerStepCount, microBatches, "non-finite loss: " + reason);

            var b = Rebind(_optimizerBinding);
            b.BindInput(AdamWGraph.LearningRate, _scalars.Set(AdamWGraph.LearningRate, settings.LearningRate));
            b.BindInput(AdamWGraph.Beta1, _scalars.Set(AdamWGraph.Beta1, settings.Beta1));
            b.BindInput(AdamWGraph.Beta2, _scalars.Set(AdamWGraph.Beta2, settings.Beta2));
            b.BindInput(AdamWGraph.Epsilon, _scalars.Set(AdamWGraph.Epsilon, settings.Epsilon));
            b.BindInput(AdamWGraph.WeightDecay, _scalars.Set(AdamWGraph.WeightDecay, settings.WeightDecay));
            b.BindInput(AdamWGraph.MaxGradNorm, _scalars.Set(AdamWGraph.MaxGradNorm, settings.MaxGradNorm));
            b.BindInput(AdamWGraph.Step, _scalars.Set(AdamWGraph.Step, OptimizerStepCount + 1));
            for (int i = 0; i < _specs.Count; i++)
            {
                var name = _specs[i].Name;
                b.BindInput(name, _parameters[i]);
                b.BindInput(AdamWGraph.GradName(name), _gradients[i]);
                b.BindInput(AdamWGraph.FirstMomentName(name), _firstMoments[i]);
                b.BindInput(AdamWGraph.SecondMomentName(name), _secondMoments[i]);
                b.BindOutput(AdamWGraph.UpdatedName(name), _spareParameters[i]);
                b.BindOutput(AdamWGraph.UpdatedName(AdamWGraph.FirstMomentName(name)), _spareFirstMoments[i]);
                b.BindOutput(AdamWGraph.UpdatedName(AdamWGraph.SecondMomentName(name)), _spareSecondMoments[i]);
            }
            b.BindOutput(AdamWGraph.GradNorm, _scalars.Ort("out:" + AdamWGraph.GradNorm));
            _optimizer.RunWithBinding(_runOptions, b);

            double norm = _scalars.Read("out:" + AdamWGraph.GradNorm);
            if (!double.IsFinite(norm))
                return new OptimizerStepResult(false, norm, OptimizerStepCount, microBatches, $"non-finite gradient norm {norm}");
            (_parameters, _spareParameters) = (_spareParameters, _parameters);
            (_firstMoments, _spareFirstMoments) = (_spareFirstMoments, _firstMoments);
            (_secondMoments, _spareSecondMoments) = (_spareSecondMoments, _secondMoments);
            OptimizerStepCount++;
            return new OptimizerStepResult(true, norm, OptimizerStepCount, microBatches, null);
        }
        finally
        {
            ResetGrad();
        }
    }

    /// <summary>Zeroes the accumulated gradients and forgets non-finite losses seen since the last step.</summary>
    public void ResetGrad()
    {
        ThrowIfDisposed();
        _gradients.Clear();
        _microBatches = 0;
        _nonFiniteLoss = null;
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
        LoadReference(ModelExport.ReadWeights(modelDirectory, _specs.Select(p => p.Name)), modelDirectory);

    /// <summary>Replaces the policy parameters with those of a GenAI model folder (e.g. a committed policy version).</summary>
    public void LoadParametersFromModel(string modelDirectory) =>
        SetParameters(ModelExport.ReadWeights(modelDirectory, _specs.Select(p => p.Name)), modelDirectory);

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

    /// <summary>Writes parameters, moments and the step counter to <paramref name="directory"/> (see <see cref="Checkpoint"/>).</summary>
    public void SaveCheckpoint(string directory) => CaptureCheckpoint().Save(directory);

    public void LoadCheckpoint(string directory) => LoadCheckpoint(Checkpoint.Load(directory));

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
    /// export's own element type; the graph is not changed.
    /// </summary>
    public void ExportModel(string sourceModelDirectory, string destinationDirectory) =>
        ModelExport.WriteWeights(sourceModelDirectory, destinationDirectory, GetParameters());

    // ---------- binding helpers ----------

    private static OrtIoBinding Rebind(OrtIoBinding binding)
    {
        binding.ClearBoundInputs();
        binding.ClearBoundOutputs();
        return binding;
    }

    private static void BindBatch(OrtIoBinding b, OrtValue ids, OrtValue mask)
    {
        b.BindInput(TrainingGraphBuilder.InputIds, ids);
        b.BindInput(TrainingGraphBuilder.AttentionMask, mask);
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
            if (name is TrainingGraphBuilder.InputIds or TrainingGraphBuilder.AttentionMask || parameterNames.Contains(name)) continue;
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
            _evalBinding, _trainingBinding, _optimizerBinding, _eval, _training, _optimizer, _runOptions, _scalars,
            _parameters, _spareParameters, _gradients, _spareGradients, _firstMoments, _spareFirstMoments,
            _secondMoments, _spareSecondMoments, _reference,
        })
            d?.Dispose();
    }
}
