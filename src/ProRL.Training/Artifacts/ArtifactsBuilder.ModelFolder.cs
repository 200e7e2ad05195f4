using ProRL.Onnx.Graph;
using ProRL.Onnx.IO;
using ProRL.Onnx.Models;
using ProRL.Onnx.Tensors;
using ProRL.Training.Lowering;
using ProRL.Training.Session;

namespace ProRL.Training.Artifacts;

public static partial class ArtifactsBuilder
{
    /// <summary>
    /// The folder's decoder lowered for full-sequence training (int4 exports are rejected there) and converted to
    /// float32: the model every training graph is derived from.
    /// </summary>
    public static OnnxModel LoadTrainableDecoder(ModelFolder folder, bool packedSequences = false) =>
        TrainableDecoder(folder, OnnxModelIO.Load(folder.ModelPath), packedSequences);

    /// <summary>
    /// Lowered, float32, and with padded vocabulary rows masked (<see cref="VocabularyMask"/>), as every policy version
    /// the trainer exports is, so that the trainer's log-probabilities are those of the model GenAI samples from.
    /// </summary>
    private static OnnxModel TrainableDecoder(ModelFolder folder, OnnxModel source, bool packedSequences)
    {
        var decoder = PrecisionConversion.ConvertToFloat32(DecoderLowering.ForTraining(source,
            new LoweringOptions { ModelName = folder.ModelPath, PackedSequences = packedSequences }));
        if (VocabularyMask.RealTokenCount(folder) is { } realTokens)
            VocabularyMask.Apply(decoder.Graph, DecoderLowering.Logits, folder.Config.Model.VocabSize, realTokens);
        return decoder;
    }

    /// <summary>Builds the artifacts of the GenAI model folder <paramref name="modelDirectory"/>.</summary>
    public static TrainingArtifacts Build(string modelDirectory, ArtifactsOptions? options = null)
    {
        var folder = ModelFolder.Open(modelDirectory);
        var source = OnnxModelIO.Load(folder.ModelPath);
        var sourceTypes = source.Graph.Initializers.ToDictionary(t => t.Name, t => t.DataType, StringComparer.Ordinal);
        var decoder = TrainableDecoder(folder, source, options?.Training.PackedSequences ?? false);
        return FromDecoder(decoder, options, modelDirectory, folder.ContentHash(), sourceTypes);
    }
}
