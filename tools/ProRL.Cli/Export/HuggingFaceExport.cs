using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using ProRL.Onnx.Graph;
using ProRL.Onnx.IO;
using ProRL.Onnx.Models;
using ProRL.Onnx.Tensors;

namespace ProRL.Cli.Export;

/// <summary>What <see cref="HuggingFaceExport.Write"/> produced.</summary>
public sealed record HuggingFaceExportResult(string Architecture, string ModelType, IReadOnlyList<string> TensorNames, IReadOnlyList<string> Notes);

/// <summary>
/// Converts a GenAI model folder (a committed policy version) back to a Hugging Face folder: <c>model.safetensors</c>
/// under transformers' parameter names, <c>config.json</c> for the matching architecture, <c>generation_config.json</c>
/// and the tokenizer files. The ONNX builder stores every projection as a MatMul weight <c>[in, out]</c> (transformers:
/// <c>[out, in]</c>), may pack q/k/v into one MatMul and one bias, and stores a tied embedding only as the LM head;
/// this undoes each of those. Weights keep the export's dtype, byte for byte.
/// </summary>
public static class HuggingFaceExport
{
    public const string Format = "safetensors-hf";

    /// <summary>GenAI <c>model.type</c> → transformers architecture and <c>model_type</c>, for the layouts mapped here.</summary>
    public static readonly IReadOnlyDictionary<string, (string Architecture, string ModelType)> Families =
        new Dictionary<string, (string, string)>(StringComparer.OrdinalIgnoreCase)
        {
            ["qwen2"] = ("Qwen2ForCausalLM", "qwen2"),
            ["llama"] = ("LlamaForCausalLM", "llama"),
            ["mistral"] = ("MistralForCausalLM", "mistral"),
            ["qwen3"] = ("Qwen3ForCausalLM", "qwen3"),
        };

    private static readonly string[] TokenizerFiles =
        ["tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "vocab.json", "merges.txt", "tokenizer.model", "added_tokens.json", "chat_template.jinja"];

    public static HuggingFaceExportResult Write(string modelFolder, string outFolder)
    {
        var config = GenAiConfig.Load(Path.Combine(modelFolder, GenAiConfig.FileName));
        var decoder = config.Model.Decoder;
        if (!Families.TryGetValue(config.Model.Type, out var family))
            throw new NotSupportedException(
                $"model.type '{config.Model.Type}' has no safetensors-hf mapping; supported: {string.Join(", ", Families.Keys)} " +
                "(Gemma's (1 + w) norms and embedding scale, and Phi-3's packed qkv_proj/gate_up_proj, are not mapped).");
        var graph = OnnxModelIO.Load(Path.Combine(modelFolder, decoder.Filename)).Graph;
        var notes = new List<string>();

        int layers = decoder.NumHiddenLayers, heads = decoder.NumAttentionHeads, kvHeads = decoder.NumKeyValueHeads, headSize = decoder.HeadSize;
        int hidden = decoder.HiddenSize, qDim = heads * headSize, kvDim = kvHeads * headSize;
        RefuseUnmappedLayouts(graph, headSize);

        var tensors = new List<Tensor>();
        Tensor Need(string name) => graph.Initializer(name) ?? throw new NotSupportedException($"{decoder.Filename}: no initializer '{name}'.");

        // Embeddings and LM head: [vocab, hidden] in transformers; the builder's LM head is [hidden, vocab].
        var lmHead = Transpose(Need("lm_head.MatMul.weight"), "lm_head.weight");
        bool tied = graph.Initializer("model.embed_tokens.weight") is null;
        tensors.Add(tied ? lmHead.WithName("model.embed_tokens.weight") : Need("model.embed_tokens.weight"));
        if (!tied) tensors.Add(lmHead);
        long vocab = lmHead.Dims[0];

        bool anyBias = false;
        int intermediate = 0;
        for (int i = 0; i < layers; i++)
        {
            string onnx = $"model.layers.{i}.", hf = $"model.layers.{i}.";
            tensors.Add(Need(onnx + "input_layernorm.weight").WithName(hf + "input_layernorm.weight"));
            tensors.Add(Need(onnx + "post_attention_layernorm.weight").WithName(hf + "post_attention_layernorm.weight"));
            var qkv = new (string Name, int Rows)[] { ("q_proj", qDim), ("k_proj", kvDim), ("v_proj", kvDim) };
            if (graph.Initializer(onnx + "attn.qkv_proj.MatMul.weight") is { } packed)
            {
                // Packed [hidden, q + k + v]: the transpose's rows are q, then k, then v.
                var t = Transpose(packed, "");
                var bias = graph.Initializer(onnx + "attn.qkv_proj.Add.bias");
                int offset = 0;
                foreach (var (name, rows) in qkv)
                {
                    tensors.Add(Rows(t, offset, rows, $"{hf}self_attn.{name}.weight"));
                    if (bias is not null) tensors.Add(Rows(bias, offset, rows, $"{hf}self_attn.{name}.bias"));
                    offset += rows;
                }
                anyBias |= bias is not null;
            }
            else
            {
                foreach (var (name, _) in qkv)
                {
                    tensors.Add(Transpose(Need($"{onnx}attn.{name}.MatMul.weight"), $"{hf}self_attn.{name}.weight"));
                    if (graph.Initializer($"{onnx}attn.{name}.Add.bias") is { } b)
                    {
                        tensors.Add(b.WithName($"{hf}self_attn.{name}.bias"));
                        anyBias = true;
                    }
                }
            }
            tensors.Add(Transpose(Need(onnx + "attn.o_proj.MatMul.weight"), hf + "self_attn.o_proj.weight"));
            foreach (var which in new[] { "q", "k" })
                if (graph.Initializer($"{onnx}attn.{which}_norm.layernorm.weight") is { } norm)
                    tensors.Add(norm.WithName($"{hf}self_attn.{which}_norm.weight"));
            foreach (var proj in new[] { "gate_proj", "up_proj", "down_proj" })
                tensors.Add(Transpose(Need($"{onnx}mlp.{proj}.MatMul.weight"), $"{hf}mlp.{proj}.weight"));
            intermediate = (int)Need(onnx + "mlp.gate_proj.MatMul.weight").Dims[1];
        }
        tensors.Add(Need($"model.layers.{layers}.final_norm_layernorm.weight").WithName("model.norm.weight"));

        // Biases the architecture's config implies but the export lacks are written as zeros, so that transformers
        // does not initialise them at random: Qwen2 always has q/k/v biases; Llama/Qwen3's attention_bias covers o_proj too.
        var dtype = lmHead.DataType;
        bool qkvBiasImplied = family.ModelType == "qwen2" || anyBias;
        bool oBiasImplied = anyBias && family.ModelType is "llama" or "qwen3";
        if (anyBias && family.ModelType == "mistral")
            throw new NotSupportedException("A mistral export with q/k/v biases has no transformers equivalent (MistralConfig has no attention_bias).");
        for (int i = 0; i < layers; i++)
        {
            if (qkvBiasImplied && !anyBias)
                foreach (var (name, rows) in new[] { ("q_proj", qDim), ("k_proj", kvDim), ("v_proj", kvDim) })
                    tensors.Add(Zeros($"model.layers.{i}.self_attn.{name}.bias", dtype, rows));
            if (oBiasImplied) tensors.Add(Zeros($"model.layers.{i}.self_attn.o_proj.bias", dtype, hidden));
        }
        if (qkvBiasImplied && !anyBias) notes.Add("the export has no q/k/v biases; zeros were written (Qwen2 always has them)");
        if (oBiasImplied) notes.Add("attention_bias also adds o_proj.bias in transformers; zeros were written");

        var theta = RopeTheta(Need("cos_cache"), Need("sin_cache"), headSize);
        float eps = graph.Nodes.FirstOrDefault(n => n.OpType is "SimplifiedLayerNormalization" or "SkipSimplifiedLayerNormalization")?.GetFloat("epsilon", 1e-6f) ?? 1e-6f;
        long window = graph.Nodes.FirstOrDefault(n => n.OpType == "GroupQueryAttention")?.GetInt("local_window_size", -1) ?? -1;
        if (window > 0 && family.ModelType != "mistral" && family.ModelType != "qwen2")
            throw new NotSupportedException($"local_window_size {window}: a sliding window is mapped only for mistral and qwen2.");
        if (vocab > config.Model.VocabSize && config.Model.VocabSize > 0)
            notes.Add($"embedding has {vocab} rows for vocab_size {config.Model.VocabSize}: padded rows are not masked in transformers");

        Directory.CreateDirectory(outFolder);
        Safetensors.Save(Path.Combine(outFolder, "model.safetensors"), tensors, new Dictionary<string, string> { ["format"] = "pt" });
        var hfConfig = Config(family, config, hidden, intermediate, layers, heads, kvHeads, headSize, vocab, tied, eps, theta, window, anyBias, dtype);
        File.WriteAllText(Path.Combine(outFolder, "config.json"), hfConfig.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n");
        var generation = new JsonObject { ["bos_token_id"] = config.Model.BosTokenId, ["eos_token_id"] = EosNode(config), ["pad_token_id"] = config.Model.PadTokenId };
        File.WriteAllText(Path.Combine(outFolder, "generation_config.json"), generation.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n");
        foreach (var file in TokenizerFiles)
            if (File.Exists(Path.Combine(modelFolder, file))) File.Copy(Path.Combine(modelFolder, file), Path.Combine(outFolder, file), overwrite: true);
        return new HuggingFaceExportResult(family.Architecture, family.ModelType, tensors.Select(t => t.Name).ToList(), notes);
    }

    /// <summary>Layouts whose weights would need more than renaming, transposing and splitting.</summary>
    private static void RefuseUnmappedLayouts(OnnxGraph graph, int headSize)
    {
        foreach (var n in graph.Nodes)
        {
            if (n.OpType == "GroupQueryAttention" && n.GetInt("rotary_interleaved", 0) != 0 || n.OpType == "RotaryEmbedding" && n.GetInt("interleaved", 0) != 0)
                throw new NotSupportedException($"node '{n.Name}': interleaved rotary has no transformers equivalent among the mapped families (they rotate halves).");
            if (n.OpType == "GroupQueryAttention" && n.GetFloat("softcap", 0f) != 0f)
                throw new NotSupportedException($"node '{n.Name}': attention softcap (Gemma 2) is not mapped.");
            if (n.OpType is "MatMulNBits" or "GatherBlockQuantized" or "DequantizeLinear")
                throw new NotSupportedException($"node '{n.Name}' ({n.OpType}): quantized weights are not exported.");
            if (n.OpType == "Mul" && n.Name.StartsWith("/model/embed_tokens/", StringComparison.Ordinal))
                throw new NotSupportedException("embedding scaling (Gemma) is not mapped.");
        }
        if (graph.Initializer("cos_cache") is { } cos && cos.Dims[^1] * 2 != headSize)
            throw new NotSupportedException($"partial rotary ({cos.Dims[^1] * 2} of {headSize} channels, Phi-3) is not mapped.");
    }

    /// <summary>
    /// rope_theta, read back from the rotary caches (genai_config.json does not record it): the angle of the slowest
    /// pair at position 1 is theta^(-(d-2)/d). The whole cache is then checked against plain RoPE with that theta, so
    /// that scaled RoPE (Llama 3, YaRN), which this mapping does not describe, is refused instead of exported wrongly.
    /// </summary>
    public static double RopeTheta(Tensor cosCache, Tensor sinCache, int headSize)
    {
        float[] cos = cosCache.ToFloats(), sin = sinCache.ToFloats();
        int half = (int)cosCache.Dims[^1], rows = (int)cosCache.Dims[0];
        if (rows < 2) throw new NotSupportedException("cos_cache has fewer than 2 positions.");
        double angle = Math.Atan2(sin[half + half - 1], cos[half + half - 1]);
        double exact = Math.Pow(angle, -(double)headSize / (2 * (half - 1)));
        // Published values are round (1e4, 5e5, 1e6): snap to 4 significant digits, which float32 caches resolve.
        double theta = double.Parse(exact.ToString("G4", CultureInfo.InvariantCulture), CultureInfo.InvariantCulture);
        int positions = Math.Min(rows, 4096);
        double tolerance = cosCache.DataType == TensorDataType.Float ? 2e-3 : 2e-2;
        for (int p = 0; p < positions; p += Math.Max(1, positions / 64))
            for (int i = 0; i < half; i++)
            {
                double a = p * Math.Pow(theta, -2.0 * i / headSize);
                if (Math.Abs(Math.Cos(a) - cos[p * half + i]) > tolerance || Math.Abs(Math.Sin(a) - sin[p * half + i]) > tolerance)
                    throw new NotSupportedException($"the rotary cache is not plain RoPE with theta {theta} (position {p}, pair {i}): scaled RoPE is not mapped.");
            }
        return theta;
    }

    private static JsonObject Config(
        (string Architecture, string ModelType) family, GenAiConfig genai, int hidden, int intermediate, int layers, int heads,
        int kvHeads, int headSize, long vocab, bool tied, float eps, double theta, long window, bool bias, TensorDataType dtype)
    {
        var c = new JsonObject
        {
            ["architectures"] = new JsonArray(family.Architecture),
            ["model_type"] = family.ModelType,
            ["hidden_size"] = hidden,
            ["intermediate_size"] = intermediate,
            ["num_hidden_layers"] = layers,
            ["num_attention_heads"] = heads,
            ["num_key_value_heads"] = kvHeads,
            ["head_dim"] = headSize,
            ["hidden_act"] = "silu",
            ["max_position_embeddings"] = genai.Model.ContextLength,
            ["rms_norm_eps"] = (double)(decimal)eps,
            ["rope_theta"] = theta,
            ["vocab_size"] = vocab,
            ["tie_word_embeddings"] = tied,
            ["bos_token_id"] = genai.Model.BosTokenId,
            ["eos_token_id"] = EosNode(genai),
            ["torch_dtype"] = dtype switch { TensorDataType.Float16 => "float16", TensorDataType.BFloat16 => "bfloat16", _ => "float32" },
            ["attention_dropout"] = 0.0,
            ["initializer_range"] = 0.02,
            ["use_cache"] = true,
        };
        switch (family.ModelType)
        {
            case "qwen2":
                c["use_sliding_window"] = window > 0;
                c["sliding_window"] = window > 0 ? window : null;
                c["max_window_layers"] = layers;
                break;
            case "mistral":
                c["sliding_window"] = window > 0 ? window : null;
                break;
            default: // llama, qwen3
                c["attention_bias"] = bias;
                if (family.ModelType == "llama") c["mlp_bias"] = false;
                break;
        }
        return c;
    }

    private static JsonNode EosNode(GenAiConfig genai) =>
        genai.Model.EosTokenId.Length == 1 ? JsonValue.Create(genai.Model.EosTokenId[0]) : new JsonArray(genai.Model.EosTokenId.Select(e => (JsonNode)e).ToArray());

    /// <summary>A 2-D transpose on the raw bytes, so that every dtype is kept exactly.</summary>
    public static Tensor Transpose(Tensor t, string name)
    {
        if (t.Dims.Length != 2) throw new NotSupportedException($"'{t.Name}' has {t.Dims.Length} dimensions; a MatMul weight has 2.");
        int rows = (int)t.Dims[0], cols = (int)t.Dims[1], size = t.DataType.SizeOf();
        var data = new byte[t.Data.Length];
        for (int r = 0; r < rows; r++)
            for (int c = 0; c < cols; c++)
                Buffer.BlockCopy(t.Data, (r * cols + c) * size, data, (c * rows + r) * size, size);
        return new Tensor(name, t.DataType, [cols, rows], data);
    }

    /// <summary>Rows [start, start + count) of a matrix, or elements of a vector.</summary>
    private static Tensor Rows(Tensor t, int start, int count, string name)
    {
        long rowElements = t.Dims.Length == 1 ? 1 : t.Dims[1];
        int size = t.DataType.SizeOf();
        var data = t.Data.AsSpan((int)(start * rowElements * size), (int)(count * rowElements * size)).ToArray();
        return new Tensor(name, t.DataType, t.Dims.Length == 1 ? [count] : [count, rowElements], data);
    }

    private static Tensor Zeros(string name, TensorDataType type, int length) => new(name, type, [length], new byte[length * type.SizeOf()]);
}
