using ProRL.Onnx.Tensors;

namespace ProRL.Rollout.ModelGeneration;

/// <summary>Element type of the weights, the KV cache and the logits, as the GenAI builder's `-p` option.</summary>
public enum ModelPrecision
{
    Fp32,
    /// <summary>fp16 weights, KV cache and logits (the builder's fp16 export, CPU or CUDA).</summary>
    Fp16,
    /// <summary>bf16 weights and KV cache; logits cast to float32 at the end, as the builder does for bf16.</summary>
    Bf16,
}

/// <summary>How attention and rotary embeddings are laid out, as the GenAI builder emits them per EP and model.</summary>
public enum AttentionLayout
{
    /// <summary>GroupQueryAttention with fused rotary (do_rotary=1, cos/sin caches as inputs), no position_ids.</summary>
    Gqa,
    /// <summary>Separate RotaryEmbedding nodes fed by a position_ids input, then GroupQueryAttention with do_rotary=0.</summary>
    GqaRotaryOp,
    /// <summary>RotaryEmbedding + MultiHeadAttention with the 4-D attention-mask reformat subgraph (reads past_key_values through Shape).</summary>
    Mha,
}

public enum MlpActivation
{
    /// <summary>SwiGLU with SiLU written as Sigmoid·Mul.</summary>
    Silu,
    /// <summary>Gemma's GeGLU with tanh-approximated GELU (Gelu approximate="tanh" from opset 20, FastGelu before).</summary>
    GeluTanh,
}

/// <summary>
/// Shape and initialisation of a generated Qwen2-style decoder. Presets: <see cref="Tiny"/> (tests, ~0.1 M
/// parameters) and <see cref="Small"/> (benchmarks, ~13 M). Every field can be overridden with `with`.
/// </summary>
public sealed record DecoderSpec
{
    public int Layers { get; init; } = 2;
    public int Hidden { get; init; } = 64;
    public int Heads { get; init; } = 4;
    public int KvHeads { get; init; } = 2;
    public int Intermediate { get; init; } = 128;
    /// <summary>Maximum sequence length (rotary cache rows, GenAI's context_length).</summary>
    public int Context { get; init; } = 512;
    /// <summary>Embedding shared with the LM head (the builder's Transpose + Gather pattern).</summary>
    public bool TieEmbeddings { get; init; }
    /// <summary>Qwen2's q/k/v biases; false gives the Llama-style projection without bias.</summary>
    public bool QkvBias { get; init; } = true;
    public bool RotaryInterleaved { get; init; }
    public ulong Seed { get; init; }
    public float RopeTheta { get; init; } = 10000f;
    public float RmsNormEpsilon { get; init; } = 1e-6f;
    /// <summary>Standard deviation of the normal weight initialisation.</summary>
    public float InitStd { get; init; } = 0.02f;

    /// <summary>ai.onnx opset of the graph (14..21); the IR version follows it (<see cref="IrVersion"/>).</summary>
    public int Opset { get; init; } = 21;
    public ModelPrecision Precision { get; init; } = ModelPrecision.Fp32;
    public AttentionLayout Attention { get; init; } = AttentionLayout.Gqa;
    /// <summary>Separate q/k/v MatMuls even where the layout allows a packed one (LoRA, DML exports).</summary>
    public bool UnpackedQkv { get; init; }
    /// <summary>Qwen3's per-head RMSNorm of q and k (Reshape → SimplifiedLayerNormalization over head_size → Reshape).</summary>
    public bool QkNorm { get; init; }
    /// <summary>GroupQueryAttention local_window_size (Mistral, Gemma 2/3); null is -1, no window.</summary>
    public int? SlidingWindow { get; init; }
    /// <summary>GroupQueryAttention softcap (Gemma 2); 0 is none.</summary>
    public float Softcap { get; init; }
    /// <summary>Fraction of head_size that is rotated (Phi-3/Phi-4-mini's partial_rotary_factor); 1 rotates all.</summary>
    public float PartialRotary { get; init; } = 1f;
    /// <summary>Embedding/LM-head rows; null is the tokenizer's size. Larger values pad, as real exports do.</summary>
    public int? Vocab { get; init; }
    /// <summary>Gemma's Mul of the embedding output by sqrt(hidden).</summary>
    public bool EmbeddingScale { get; init; }
    public MlpActivation Mlp { get; init; } = MlpActivation.Silu;
    /// <summary>genai_config model.type; null derives it from the layout (<see cref="GenAiModelType"/>).</summary>
    public string? ModelType { get; init; }

    public int HeadSize => Hidden / Heads;
    public int VocabSize => Vocab ?? ByteLevelTokenizer.VocabSize;
    /// <summary>Rotated channels per head: int(head_size × partial_rotary_factor), as the builder computes it.</summary>
    public int RotaryDim => PartialRotary >= 1f ? HeadSize : (int)(HeadSize * PartialRotary);
    /// <summary>One packed q/k/v MatMul: only GroupQueryAttention with fused rotary and no q/k norm packs, as in the builder.</summary>
    public bool PackedQkv => Attention == AttentionLayout.Gqa && !UnpackedQkv && !QkNorm;
    public bool HasPositionIds => Attention != AttentionLayout.Gqa;

    /// <summary>The IR version that introduced <see cref="Opset"/> (ONNX's versioning table): 14 → 7, 15–18 → 8, 19–20 → 9, 21 → 10.</summary>
    public int IrVersion => Opset switch
    {
        <= 14 => 7,
        <= 18 => 8,
        <= 20 => 9,
        _ => 10,
    };

    /// <summary>Element type of weights, activations and the KV cache.</summary>
    public TensorDataType ElementType => Precision switch
    {
        ModelPrecision.Fp16 => TensorDataType.Float16,
        ModelPrecision.Bf16 => TensorDataType.BFloat16,
        _ => TensorDataType.Float,
    };

    /// <summary>The builder always writes float32 logits for bf16 ("to improve accuracy"), the io type otherwise.</summary>
    public TensorDataType LogitsType => Precision == ModelPrecision.Bf16 ? TensorDataType.Float : ElementType;

    /// <summary>model.type GenAI is given: the family whose export has this layout.</summary>
    public string GenAiModelType => ModelType ?? (this switch
    {
        { QkNorm: true } => "qwen3",
        { Mlp: MlpActivation.GeluTanh } or { EmbeddingScale: true } => Softcap > 0 || SlidingWindow is not null ? "gemma2" : "gemma",
        { PartialRotary: < 1f } => "phi3",
        { SlidingWindow: not null } => "mistral",
        _ => "qwen2",
    });

    public static DecoderSpec Tiny { get; } = new();

    public static DecoderSpec Small { get; } = new()
    {
        Layers = 8, Hidden = 384, Heads = 6, KvHeads = 2, Intermediate = 1024, Context = 2048,
    };

    /// <summary>
    /// Qwen2.5-0.5B's exact shape (random weights, the byte-level test tokenizer): 24 layers, hidden 896, 14 query and
    /// 2 KV heads, MLP 4864, vocabulary 151,936, tied embeddings, q/k/v bias, RoPE θ 10⁶. For memory and speed
    /// measurements at a real model size (494 M parameters).
    /// </summary>
    public static DecoderSpec Qwen25HalfB { get; } = new()
    {
        Layers = 24, Hidden = 896, Heads = 14, KvHeads = 2, Intermediate = 4864, Context = 32768, Vocab = 151_936,
        TieEmbeddings = true, QkvBias = true, RopeTheta = 1_000_000f,
    };

    public static IReadOnlyList<string> PresetNames { get; } = ["tiny", "small", "qwen2.5-0.5b"];

    public static DecoderSpec Preset(string name) => name.ToLowerInvariant() switch
    {
        "tiny" => Tiny,
        "small" => Small,
        "qwen2.5-0.5b" => Qwen25HalfB,
        _ => throw new ArgumentException($"Unknown model preset '{name}' (allowed: {string.Join(", ", PresetNames)})."),
    };

    public static IReadOnlyList<string> PrecisionNames { get; } = ["fp32", "fp16", "bf16"];
    public static IReadOnlyList<string> AttentionNames { get; } = ["gqa", "gqa-rotary-op", "mha"];
    public static IReadOnlyList<string> MlpNames { get; } = ["silu", "gelu-tanh"];

    public static ModelPrecision ParsePrecision(string name) => name.ToLowerInvariant() switch
    {
        "fp32" => ModelPrecision.Fp32,
        "fp16" => ModelPrecision.Fp16,
        "bf16" => ModelPrecision.Bf16,
        _ => throw new ArgumentException($"Unknown precision '{name}' (allowed: {string.Join(", ", PrecisionNames)})."),
    };

    public static AttentionLayout ParseAttention(string name) => name.ToLowerInvariant() switch
    {
        "gqa" => AttentionLayout.Gqa,
        "gqa-rotary-op" => AttentionLayout.GqaRotaryOp,
        "mha" => AttentionLayout.Mha,
        _ => throw new ArgumentException($"Unknown attention layout '{name}' (allowed: {string.Join(", ", AttentionNames)})."),
    };

    public static MlpActivation ParseMlp(string name) => name.ToLowerInvariant() switch
    {
        "silu" => MlpActivation.Silu,
        "gelu-tanh" => MlpActivation.GeluTanh,
        _ => throw new ArgumentException($"Unknown MLP activation '{name}' (allowed: {string.Join(", ", MlpNames)})."),
    };

    /// <summary>Throws, naming the option, when the shape cannot form a valid decoder.</summary>
    public void Validate()
    {
        static void Require(bool ok, string message)
        {
            if (!ok) throw new ArgumentException(message);
        }
        Require(Layers >= 1, $"layers must be at least 1 (got {Layers}).");
        Require(Heads >= 1, $"heads must be at least 1 (got {Heads}).");
        Require(KvHeads >= 1, $"kv-heads must be at least 1 (got {KvHeads}).");
        Require(Hidden >= 2 && Hidden % Heads == 0, $"hidden ({Hidden}) must be a multiple of heads ({Heads}).");
        Require(HeadSize % 2 == 0, $"hidden / heads = {HeadSize} must be even (rotary embeddings rotate pairs).");
        Require(Heads % KvHeads == 0, $"kv-heads ({KvHeads}) must divide heads ({Heads}).");
        Require(Intermediate >= 1, $"intermediate must be at least 1 (got {Intermediate}).");
        Require(Context >= 2, $"context must be at least 2 (got {Context}).");
        Require(InitStd > 0 && float.IsFinite(InitStd), $"init std must be positive (got {InitStd}).");
        Require(Opset is >= 14 and <= 21, $"opset must be between 14 and 21 (got {Opset}).");
        Require(Enum.IsDefined(Precision), $"precision {Precision} is unknown.");
        Require(Enum.IsDefined(Attention), $"attention {Attention} is unknown.");
        Require(Enum.IsDefined(Mlp), $"mlp {Mlp} is unknown.");
        Require(PartialRotary > 0f && PartialRotary <= 1f, $"partial-rotary must be in (0, 1] (got {PartialRotary}).");
        Require(RotaryDim >= 2 && RotaryDim % 2 == 0,
            $"partial-rotary {PartialRotary} × head size {HeadSize} = {RotaryDim} rotated channels; it must be even and at least 2.");
        // ONNX Runtime's GroupQueryAttention rotates through cos_cache and requires its width to be a multiple of 8
        // when it is less than head_size / 2 (Phi-4-mini: head 128, 96 rotated, width 48).
        Require(Attention != AttentionLayout.Gqa || RotaryDim == HeadSize || RotaryDim / 2 % 8 == 0,
            $"partial-rotary with attention gqa: {RotaryDim} rotated channels give a cos_cache width of {RotaryDim / 2}, which GroupQueryAttention " +
            "needs to be a multiple of 8 (use a larger head size or attention gqa-rotary-op).");
        Require(SlidingWindow is null || SlidingWindow >= 1, $"sliding-window must be at least 1 (got {SlidingWindow}).");
        Require(Softcap >= 0f && float.IsFinite(Softcap), $"softcap must be a finite value >= 0 (got {Softcap}).");
        Require(Vocab is null || Vocab >= ByteLevelTokenizer.VocabSize,
            $"vocab ({Vocab}) must be at least the tokenizer's {ByteLevelTokenizer.VocabSize} tokens (extra rows are padding).");
        // The builder's MultiHeadAttention path has no sliding window and no softcap.
        if (Attention == AttentionLayout.Mha)
        {
            Require(SlidingWindow is null, "sliding-window needs GroupQueryAttention (attention gqa or gqa-rotary-op); MultiHeadAttention has no window.");
            Require(Softcap == 0f, "softcap needs GroupQueryAttention (attention gqa or gqa-rotary-op); MultiHeadAttention has no softcap.");
        }
    }

    /// <summary>Number of trainable parameters (rotary caches excluded).</summary>
    public long ParameterCount()
    {
        long h = Hidden, kv = (long)KvHeads * HeadSize, v = VocabSize;
        long qkvOut = h + 2 * kv;
        long perLayer = h * qkvOut + (QkvBias ? qkvOut : 0) + h * h + 3 * h * Intermediate + 2 * h + (QkNorm ? 2L * HeadSize : 0);
        long embeddings = TieEmbeddings ? v * h : 2 * v * h;
        return Layers * perLayer + embeddings + h;
    }
}
