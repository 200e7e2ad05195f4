using ProRL.Algorithms.Loss;
using ProRL.Training.Artifacts;
using ProRL.Training.Autodiff;
using ProRL.Training.Heads;

namespace ProRL.Worker.Services.Training;

/// <summary>
/// Training artifacts built on first use from the model folder and kept under the run directory, keyed by the model's
/// content hash, the loss-head options, the recomputation mode, the head's slicing and packing, so a restart (or a second run on the same model) reuses them.
/// </summary>
public static class ArtifactsCache
{
    /// <summary>Dr. GRPO's normaliser is a constant of the graph, so artifacts built for another one are not reused.</summary>
    private static string Normalizer(TrainingGraphOptions options) =>
        options.PolicyLoss.Aggregation == LossAggregation.SeqMeanTokenSumNorm ? $"-n{options.PolicyLoss.NormalizationLength}" : "";

    /// <summary>
    /// As <see cref="GetOrBuild(string, string, string, TrainingGraphOptions)"/>; when packed sequences were asked for but
    /// are optional (Training:PackSequences unset), a model whose attention cannot be packed gets artifacts for one
    /// sequence per row instead, and <paramref name="onFallback"/> hears why. Asked for explicitly, the refusal stands.
    /// </summary>
    public static string GetOrBuild(string runDirectory, string modelPath, string modelHash, TrainingGraphOptions options,
        bool packingOptional, Action<string> onFallback)
    {
        try
        {
            return GetOrBuild(runDirectory, modelPath, modelHash, options);
        }
        catch (ProRL.Training.Lowering.LoweringException e) when (options.PackedSequences && packingOptional)
        {
            onFallback(e.Message);
            return GetOrBuild(runDirectory, modelPath, modelHash, options with { PackedSequences = false });
        }
    }

    public static string GetOrBuild(string runDirectory, string modelPath, string modelHash, TrainingGraphOptions options)
    {
        var key = (options.Head == LossHeadKind.CrossEntropy
            ? "cross-entropy"
            : $"policy-{options.PolicyLoss.KlEstimator}-{options.PolicyLoss.Aggregation}-{(options.PolicyLoss.EntropyInLoss ? "ent" : "noent")}{Normalizer(options)}".ToLowerInvariant())
            + (options.Recompute == RecomputeMode.Layers ? "-recompute-layers" : "")
            + $"-head{options.HeadChunks}"
            + (options.PackedSequences ? "-packed" : "");
        var folder = Path.Combine(runDirectory, "artifacts", $"{modelHash[..Math.Min(16, modelHash.Length)]}-{key}");
        if (File.Exists(Path.Combine(folder, ArtifactsManifest.FileName))) return folder;
        // Built in a temporary folder and renamed into place: a crash mid-build leaves nothing that looks complete.
        var temp = folder + ".tmp-" + Guid.NewGuid().ToString("N");
        ArtifactsBuilder.Build(modelPath, new ArtifactsOptions { Training = options }).Write(temp);
        try
        {
            Directory.Move(temp, folder);
        }
        catch (IOException) when (File.Exists(Path.Combine(folder, ArtifactsManifest.FileName)))
        {
            Directory.Delete(temp, recursive: true); // another process finished the same build first
        }
        return folder;
    }
}
