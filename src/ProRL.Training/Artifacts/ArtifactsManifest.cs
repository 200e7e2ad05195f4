using System.Text.Json;
using System.Text.Json.Serialization;
using ProRL.Onnx.Graph;
using ProRL.Onnx.IO;
using ProRL.Training.Autodiff;
using ProRL.Training.Heads;

namespace ProRL.Training.Artifacts;

/// <summary>A trainable parameter as the manifest records it: shape and the element type of the source export.</summary>
public sealed record ManifestParameter(string Name, long[] Shape, string SourceDataType);

/// <summary>A graph input or output: name, element type and dims (numbers, or symbolic names).</summary>
public sealed record ManifestValue(string Name, string ElementType, string[] Shape)
{
    public static ManifestValue From(ValueInfo v) =>
        new(v.Name, v.ElementType.ToString(), v.Shape?.Select(d => d.ToString()).ToArray() ?? []);
}

/// <summary>One graph file and its I/O.</summary>
public sealed record ManifestGraph(string File, ManifestValue[] Inputs, ManifestValue[] Outputs)
{
    public static ManifestGraph From(string file, OnnxModel model) =>
        new(file, [.. model.Graph.Inputs.Select(ManifestValue.From)], [.. model.Graph.Outputs.Select(ManifestValue.From)]);
}

/// <summary>
/// <c>manifest.json</c> of an artifacts folder (DESIGN §5): what was built from which model, and how.
/// </summary>
public sealed record ArtifactsManifest
{
    public const string FileName = "manifest.json";
    public const int CurrentFormat = 1;

    public int Format { get; init; } = CurrentFormat;
    /// <summary>The model folder the artifacts were built from, as given.</summary>
    public string SourceModel { get; init; } = "";
    /// <summary><see cref="ProRL.Onnx.Models.ModelFolder.ContentHash"/> of that folder.</summary>
    public string SourceModelHash { get; init; } = "";
    public LossHeadKind Head { get; init; }
    public PolicyLossHeadOptions PolicyLoss { get; init; } = new();
    public bool AccumulateGradients { get; init; }
    /// <summary>The recomputation the training graph does (none when layers were asked for but not found).</summary>
    public RecomputeMode Recompute { get; init; }
    /// <summary>Why layer recomputation was asked for and not applied; null otherwise.</summary>
    public string? RecomputeNote { get; init; }
    /// <summary>
    /// The token slices of the head (<see cref="TrainingGraphOptions.HeadChunks"/>); 0 when the head reads whole logits,
    /// because none were asked for or the logits are not a plain projection (<see cref="Heads.LogitsProjection"/>).
    /// </summary>
    public int HeadChunks { get; init; }
    /// <summary>
    /// The graphs read segment_ids and position_ids instead of attention_mask: several sequences per row
    /// (<see cref="Batching.PackedBatch.PackSequences"/>); one-per-row batches work too.
    /// </summary>
    public bool PackedSequences { get; init; }
    public ManifestParameter[] Parameters { get; init; } = [];
    /// <summary>Parameters the AdamW graph does not decay.</summary>
    public string[] NotDecayed { get; init; } = [];
    public ManifestGraph EvalModel { get; init; } = new("eval_model.onnx", [], []);
    public ManifestGraph TrainingModel { get; init; } = new("training_model.onnx", [], []);
    public ManifestGraph OptimizerModel { get; init; } = new("optimizer_model.onnx", [], []);
    public string CheckpointDirectory { get; init; } = "checkpoint";

    private static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower) },
    };

    public string ToJson() => JsonSerializer.Serialize(this, Json) + "\n";

    public void Save(string path) => AtomicFile.WriteAllText(path, ToJson());

    public static ArtifactsManifest Load(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"Artifacts manifest '{path}' does not exist; run `prorl artifacts build`.", path);
        ArtifactsManifest? manifest;
        try { manifest = JsonSerializer.Deserialize<ArtifactsManifest>(File.ReadAllText(path), Json); }
        catch (JsonException e) { throw new InvalidDataException($"'{path}' is not a valid artifacts manifest: {e.Message}", e); }
        if (manifest is null) throw new InvalidDataException($"'{path}' is empty.");
        if (manifest.Format != CurrentFormat)
            throw new InvalidDataException($"'{path}' has format {manifest.Format}; this build reads format {CurrentFormat}. Rebuild the artifacts.");
        if (manifest.Parameters.Length == 0) throw new InvalidDataException($"'{path}' lists no parameters.");
        return manifest;
    }
}
