using ProRL.Onnx.Graph;
using ProRL.Onnx.IO;
using ProRL.Onnx.Tensors;
using ProRL.Training.Autodiff;
using ProRL.Training.Heads;
using ProRL.Training.Optimizer;

namespace ProRL.Training.Artifacts;

/// <summary>Build-time choices of the artifacts.</summary>
public sealed record ArtifactsOptions
{
    public TrainingGraphOptions Training { get; init; } = new();

    /// <summary>Which initializers are trained; null: <see cref="TrainingGraphBuilder.IsDefaultTrainable"/>.</summary>
    public Func<Tensor, bool>? IsTrainable { get; init; }

    /// <summary>Parameters AdamW does not decay; null: none (every parameter decays, as in ProRL's recipe).</summary>
    public Func<ParameterSpec, bool>? ExcludeFromWeightDecay { get; init; }
}

/// <summary>The three graphs, the initial checkpoint and the manifest, in memory.</summary>
public sealed record TrainingArtifacts(
    ArtifactsManifest Manifest, OnnxModel EvalModel, OnnxModel TrainingModel, OnnxModel OptimizerModel, Checkpoint Checkpoint)
{
    /// <summary>Writes eval_model.onnx, training_model.onnx, optimizer_model.onnx, checkpoint/ and (last) manifest.json.</summary>
    public void Write(string directory)
    {
        Directory.CreateDirectory(directory);
        // The graphs hold no parameters (those are inputs), so they stay small and are written inline.
        OnnxModelIO.Save(EvalModel, Path.Combine(directory, Manifest.EvalModel.File));
        OnnxModelIO.Save(TrainingModel, Path.Combine(directory, Manifest.TrainingModel.File));
        OnnxModelIO.Save(OptimizerModel, Path.Combine(directory, Manifest.OptimizerModel.File));
        Checkpoint.Save(Path.Combine(directory, Manifest.CheckpointDirectory));
        Manifest.Save(Path.Combine(directory, ArtifactsManifest.FileName));
    }

    public byte[] EvalBytes() => OnnxModelIO.ToBytes(EvalModel);
    public byte[] TrainingBytes() => OnnxModelIO.ToBytes(TrainingModel);
}

/// <summary>
/// Builds training artifacts (DESIGN §5) from a GenAI model folder: the decoder is lowered to standard ops for full
/// sequences and float32, its trainable initializers become the parameters, and the eval, training (loss head +
/// gradients) and AdamW graphs are derived from it.
/// </summary>
public static partial class ArtifactsBuilder
{
    /// <summary>
    /// Builds artifacts from a float32 full-sequence decoder (inputs input_ids, attention_mask; output logits).
    /// <paramref name="sourceTypes"/> gives each parameter's element type in the export (default float32).
    /// </summary>
    public static TrainingArtifacts FromDecoder(OnnxModel decoder, ArtifactsOptions? options = null, string sourceModel = "",
        string sourceModelHash = "", IReadOnlyDictionary<string, TensorDataType>? sourceTypes = null)
    {
        options ??= new ArtifactsOptions();
        options.Training.PolicyLoss.Validate();
        var parameters = TrainingGraphBuilder.TrainableParameters(decoder, options.IsTrainable);
        if (parameters.Count == 0) throw new ArgumentException("The decoder has no trainable floating-point initializers.");
        foreach (var p in parameters)
        {
            var type = decoder.Graph.Initializer(p.Name)!.DataType;
            if (type != TensorDataType.Float)
                throw new ArgumentException($"Parameter '{p.Name}' is {type}; convert the decoder to float32 first (DecoderLowering.ConvertToFloat32).");
        }
        if (options.Training.PackedSequences != TrainingGraphBuilder.IsPacked(decoder))
            throw new ArgumentException(options.Training.PackedSequences
                ? "Packed sequences were asked for, but the decoder was lowered for one sequence per row; lower it with LoweringOptions.PackedSequences."
                : "The decoder was lowered for packed sequences; set TrainingGraphOptions.PackedSequences.");
        var notDecayed = parameters.Where(p => options.ExcludeFromWeightDecay?.Invoke(p) == true).Select(p => p.Name).ToHashSet(StringComparer.Ordinal);

        var eval = TrainingGraphBuilder.BuildEval(decoder, parameters, options.Training.HeadChunks);
        var training = TrainingGraphBuilder.BuildTraining(decoder, parameters, options.Training, out var recomputation);
        var optimizer = AdamWGraph.Build(parameters, notDecayed);
        var checkpoint = Checkpoint.Initial(parameters.Select(p => decoder.Graph.Initializer(p.Name)!));
        var manifest = new ArtifactsManifest
        {
            SourceModel = sourceModel.Length == 0 ? "" : Path.GetFullPath(sourceModel),
            SourceModelHash = sourceModelHash,
            Head = options.Training.Head,
            PolicyLoss = options.Training.PolicyLoss,
            AccumulateGradients = options.Training.AccumulateGradients,
            Recompute = recomputation is { Applied: true } ? RecomputeMode.Layers : RecomputeMode.None,
            RecomputeNote = recomputation is { Applied: false } r ? $"layer recomputation not applied: {r.NotApplied}" : null,
            HeadChunks = TrainingGraphBuilder.HeadChunksApplied(decoder, options.Training.HeadChunks),
            PackedSequences = options.Training.PackedSequences,
            Parameters = [.. parameters.Select(p => new ManifestParameter(p.Name, p.Shape,
                (sourceTypes?.GetValueOrDefault(p.Name, TensorDataType.Float) ?? TensorDataType.Float).ToString()))],
            NotDecayed = [.. notDecayed.Order(StringComparer.Ordinal)],
            EvalModel = ManifestGraph.From("eval_model.onnx", eval),
            TrainingModel = ManifestGraph.From("training_model.onnx", training),
            OptimizerModel = ManifestGraph.From("optimizer_model.onnx", optimizer),
        };
        return new TrainingArtifacts(manifest, eval, training, optimizer, checkpoint);
    }
}
