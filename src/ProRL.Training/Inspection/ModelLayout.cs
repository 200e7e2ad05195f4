using ProRL.Onnx.Graph;
using ProRL.Onnx.IO;
using ProRL.Onnx.Models;
using ProRL.Onnx.Tensors;
using ProRL.Training.Artifacts;
using ProRL.Training.Lowering;

namespace ProRL.Training.Inspection;

/// <summary>
/// What a GenAI export is, read from its graph and files: the decoder layout the builder chose (attention form,
/// rotary, q/k/v packing, norms, MLP), its precision and opset, its vocabulary and tokenizer, and whether this project
/// can train it (with the reason when not). <c>prorl model inspect</c> prints it; start-up checks use <see cref="Trainability"/>.
/// </summary>
public sealed record ModelLayout
{
    public required string Directory { get; init; }
    public required string ModelType { get; init; }
    public required long IrVersion { get; init; }
    public required long Opset { get; init; }
    /// <summary>Element type of the weights (the most common among floating-point initializers).</summary>
    public required TensorDataType WeightType { get; init; }
    public required TensorDataType LogitsType { get; init; }
    public required string Attention { get; init; }
    public required IReadOnlyList<string> Features { get; init; }
    public required int Layers { get; init; }
    public required long Parameters { get; init; }
    public required int ConfigVocabSize { get; init; }
    public required long EmbeddingRows { get; init; }
    public required TokenizerInfo? Tokenizer { get; init; }
    public required IReadOnlyList<string> Warnings { get; init; }
    /// <summary>Null when trainable; otherwise why not and what to export instead.</summary>
    public required string? NotTrainableReason { get; init; }

    public bool Trainable => NotTrainableReason is null;

    public static ModelLayout Inspect(string modelDirectory)
    {
        var folder = ModelFolder.Open(modelDirectory);
        var model = OnnxModelIO.Load(folder.ModelPath);
        var graph = model.Graph;
        var ops = graph.Nodes.Select(n => n.OpType).ToHashSet(StringComparer.Ordinal);
        Node? First(string op) => graph.Nodes.FirstOrDefault(n => n.OpType == op);

        var features = new List<string>();
        string attention;
        var gqa = First("GroupQueryAttention");
        if (gqa is not null)
        {
            attention = gqa.GetInt("do_rotary", 0) != 0 ? "GroupQueryAttention, fused rotary" : ops.Contains("RotaryEmbedding")
                ? "GroupQueryAttention after RotaryEmbedding nodes" : "GroupQueryAttention, no rotary";
            features.Add(gqa.Input(1) is null ? "packed q/k/v" : "separate q/k/v");
            if (gqa.GetInt("local_window_size", -1) > 0) features.Add($"sliding window {gqa.GetInt("local_window_size", -1)}");
            if (gqa.GetFloat("softcap", 0f) > 0f) features.Add($"attention softcap {gqa.GetFloat("softcap", 0f)}");
            if (gqa.GetInt("rotary_interleaved", 0) != 0) features.Add("interleaved rotary");
            features.Add($"{gqa.GetInt("num_heads", 0)} query / {gqa.GetInt("kv_num_heads", 0)} KV heads");
        }
        else if (First("MultiHeadAttention") is { } mha)
        {
            attention = ops.Contains("RotaryEmbedding") ? "MultiHeadAttention after RotaryEmbedding nodes" : "MultiHeadAttention";
            features.Add(mha.Input(1) is null ? "packed q/k/v" : "separate q/k/v");
            features.Add($"{mha.GetInt("num_heads", 0)} heads");
        }
        else attention = ops.Contains("Softmax") ? "standard ops (MatMul/Softmax)" : "none found";
        if (First("RotaryEmbedding") is { } rotary && rotary.GetInt("interleaved", 0) != 0) features.Add("interleaved rotary");
        var cos = graph.Initializers.FirstOrDefault(t => t.Name.Contains("cos_cache", StringComparison.Ordinal));
        if (cos is { Dims.Length: 2 } && cos.Dims[1] * 2 < folder.Decoder.HeadSize)
            features.Add($"partial rotary ({cos.Dims[1] * 2} of {folder.Decoder.HeadSize} dims)");
        if (graph.FindInput("position_ids") is not null) features.Add("position_ids input");
        if (graph.Nodes.Any(n => n.Name.Contains("q_norm", StringComparison.Ordinal) || n.Name.Contains("k_norm", StringComparison.Ordinal)))
            features.Add("per-head q/k RMSNorm");
        if (graph.Initializers.Any(t => t.Name.Contains("qkv_proj", StringComparison.Ordinal) && t.Name.EndsWith("bias", StringComparison.Ordinal)
                || t.Name.Contains("q_proj", StringComparison.Ordinal) && t.Name.EndsWith("bias", StringComparison.Ordinal)))
            features.Add("q/k/v bias");
        // Tied: one initializer feeds both the embedding Gather and the LM-head MatMul, one of them through a Transpose.
        var producers = graph.ProducerIndex();
        string Source(string value) => producers.TryGetValue(value, out var p) && p.OpType == "Transpose" ? p.Inputs[0] : value;
        var gathered = graph.Nodes.Where(n => n.OpType == "Gather" && n.Input(1) == folder.Decoder.Inputs.InputIds).Select(n => Source(n.Inputs[0]));
        var multiplied = graph.Nodes.Where(n => n.OpType == "MatMul").Select(n => Source(n.Inputs[1])).ToHashSet(StringComparer.Ordinal);
        bool tied = gathered.Any(w => graph.Initializer(w) is not null && multiplied.Contains(w));
        if (tied) features.Add("tied embeddings");
        if (ops.Contains("FastGelu") || graph.Nodes.Any(n => n.OpType == "Gelu" && n.GetString("approximate", "none") == "tanh")) features.Add("GELU-tanh MLP");
        else if (ops.Contains("Gelu")) features.Add("GELU MLP");
        else if (ops.Contains("Sigmoid")) features.Add("SiLU-gated MLP");
        if (graph.Nodes.Any(n => n.OpType == "Mul" && n.Name.Contains("embed_tokens", StringComparison.Ordinal))) features.Add("embedding scaling");
        if (ops.Contains("SimplifiedLayerNormalization") || ops.Contains("SkipSimplifiedLayerNormalization")) features.Add("RMSNorm");
        else if (ops.Contains("LayerNormalization") || ops.Contains("SkipLayerNormalization")) features.Add("LayerNorm");

        var weights = graph.Initializers.Where(t => t.DataType.IsFloatingPoint() && t.Dims.Length >= 2).ToList();
        var weightType = weights.Count == 0 ? TensorDataType.Float
            : weights.GroupBy(t => t.DataType).OrderByDescending(g => g.Sum(t => t.ElementCount())).First().Key;
        var embedding = graph.Initializers.FirstOrDefault(t => t.Name.Contains("embed_tokens", StringComparison.Ordinal) && t.Dims.Length == 2);

        var warnings = new List<string>();
        TokenizerInfo? tokenizer = null;
        try
        {
            tokenizer = TokenizerInfo.Read(folder.Directory);
            warnings.AddRange(tokenizer.SpecialTokenWarnings(folder.Config.Model));
            if (tokenizer.Size < folder.Config.Model.VocabSize)
                warnings.Add($"vocab_size {folder.Config.Model.VocabSize} exceeds the tokenizer's {tokenizer.Size} ids: " +
                             $"{folder.Config.Model.VocabSize - tokenizer.Size} padded embedding rows.");
            if (!tokenizer.HasChatTemplate)
                warnings.Add("tokenizer_config.json has no chat_template: prompts are used as raw text unless Model:ChatTemplate names one.");
        }
        catch (InvalidDataException e)
        {
            warnings.Add(e.Message);
        }

        return new ModelLayout
        {
            Directory = folder.Directory,
            ModelType = folder.Config.Model.Type,
            IrVersion = model.IrVersion,
            Opset = model.OpsetVersion(),
            WeightType = weightType,
            LogitsType = graph.FindOutput(folder.Decoder.Outputs.Logits)?.ElementType ?? TensorDataType.Undefined,
            Attention = attention,
            Features = features,
            Layers = folder.Decoder.NumHiddenLayers,
            Parameters = weights.Concat(graph.Initializers.Where(t => t.DataType.IsFloatingPoint() && t.Dims.Length == 1)).Where(t => TrainingGraphBuilder.IsDefaultTrainable(t)).Sum(t => t.ElementCount()),
            ConfigVocabSize = folder.Config.Model.VocabSize,
            EmbeddingRows = embedding?.Dims[0] ?? 0,
            Tokenizer = tokenizer,
            Warnings = warnings,
            NotTrainableReason = Trainability(model, folder.ModelPath),
        };
    }

    /// <summary>
    /// Null when the export lowers to a trainable full-sequence decoder; otherwise the lowering's refusal, which names
    /// the node, its op and the export to make instead.
    /// </summary>
    public static string? Trainability(OnnxModel export, string modelName)
    {
        try
        {
            DecoderLowering.ForTraining(export, new LoweringOptions { ModelName = modelName });
            return null;
        }
        catch (LoweringException e)
        {
            return e.Message;
        }
    }
}
