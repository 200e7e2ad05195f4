using ProRL.Onnx.IO;
using ProRL.Onnx.Models;

namespace ProRL.Rollout.ModelGeneration;

/// <summary>
/// Writes a complete GenAI model folder (model.onnx + model.onnx.data, genai_config.json, tokenizer files) for a
/// randomly initialised decoder. Same spec (seed included) → same bytes.
/// </summary>
public static class ModelGenerator
{
    public const string ModelFileName = "model.onnx";
    public const string DataFileName = "model.onnx.data";

    /// <summary>Generates the model described by <paramref name="spec"/> into <paramref name="directory"/> (created if needed).</summary>
    public static ModelFolder Write(DecoderSpec spec, string directory)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentException.ThrowIfNullOrWhiteSpace(directory);
        var model = DecoderGraphBuilder.Build(spec);
        var full = Path.GetFullPath(directory);
        Directory.CreateDirectory(full);
        // Weights in the side file; tiny tensors (the mask subgraph's constants) stay inline because ONNX Runtime's
        // shape inference reads constant inputs such as ReduceSum's axes only from inline data.
        OnnxModelIO.Save(model, Path.Combine(full, ModelFileName), ExternalDataOptions.SideFile(DataFileName));
        CreateConfig(spec).Save(Path.Combine(full, GenAiConfig.FileName));
        ByteLevelTokenizer.Write(full, spec.Context);
        return ModelFolder.Open(full);
    }

    /// <summary>The genai_config.json the builder would write for this decoder.</summary>
    public static GenAiConfig CreateConfig(DecoderSpec spec) => new()
    {
        Model = new GenAiModelSection
        {
            BosTokenId = ByteLevelTokenizer.EndOfTextId,
            ContextLength = spec.Context,
            EosTokenId = [ByteLevelTokenizer.ImEndId, ByteLevelTokenizer.EndOfTextId],
            PadTokenId = ByteLevelTokenizer.EndOfTextId,
            Type = spec.GenAiModelType,
            VocabSize = spec.VocabSize,
            Decoder = new GenAiDecoderSection
            {
                SessionOptions = System.Text.Json.JsonDocument.Parse("""{"log_id": "onnxruntime-genai", "provider_options": []}""").RootElement.Clone(),
                Filename = ModelFileName,
                HeadSize = spec.HeadSize,
                HiddenSize = spec.Hidden,
                NumAttentionHeads = spec.Heads,
                NumHiddenLayers = spec.Layers,
                NumKeyValueHeads = spec.KvHeads,
                Inputs = new GenAiDecoderInputs { PositionIds = spec.HasPositionIds ? "position_ids" : null },
                Outputs = new GenAiDecoderOutputs(),
            },
        },
        // GenAI shares past and present buffers only for GroupQueryAttention, as the builder writes it.
        Search = new GenAiSearchSection { MaxLength = spec.Context, PastPresentShareBuffer = spec.Attention != AttentionLayout.Mha, TopK = 50 },
    };
}
