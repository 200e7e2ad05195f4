using ProRL.Onnx.Graph;
using ProRL.Onnx.IO;
using ProRL.Onnx.Models;
using ProRL.Onnx.Tensors;
using ProRL.Training.Lowering;

namespace ProRL.Training.Artifacts;

public static partial class ArtifactsBuilder
{
    /// <summary>
    /// The folder's decoder lowered for full-sequence training (int4 exports are rejected there) and converted to
    /// float32: the model every training graph is derived from.
    /// </summary>
    public static OnnxModel LoadTrainableDecoder(ModelFolder folder) =>
        PrecisionConversion.ConvertToFloat32(DecoderLowering.ForTraining(OnnxModelIO.Load(folder.ModelPath),
            new LoweringOptions { ModelName = folder.ModelPath }));

    /// <summary>Builds the artifacts of the GenAI model folder <paramref name="modelDirectory"/>.</summary>
    public static TrainingArtifacts Build(string modelDirectory, ArtifactsOptions? options = null)
    {
        var folder = ModelFolder.Open(modelDirectory);
        var source = OnnxModelIO.Load(folder.ModelPath);
        var sourceTypes = source.Graph.Initializers.ToDictionary(t => t.Name, t => t.DataType, StringComparer.Ordinal);
        var decoder = PrecisionConversion.ConvertToFloat32(DecoderLowering.ForTraining(source, new LoweringOptions { ModelName = folder.ModelPath }));
        return FromDecoder(decoder, options, modelDirectory, folder.ContentHash(), sourceTypes);
    }
}
