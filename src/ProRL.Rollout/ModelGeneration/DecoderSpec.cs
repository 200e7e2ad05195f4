namespace ProRL.Rollout.ModelGeneration;

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

    public int HeadSize => Hidden / Heads;
    public int VocabSize => ByteLevelTokenizer.VocabSize;

    public static DecoderSpec Tiny { get; } = new();

    public static DecoderSpec Small { get; } = new()
    {
        Layers = 8, Hidden = 384, Heads = 6, KvHeads = 2, Intermediate = 1024, Context = 2048,
    };

    public static IReadOnlyList<string> PresetNames { get; } = ["tiny", "small"];

    public static DecoderSpec Preset(string name) => name.ToLowerInvariant() switch
    {
        "tiny" => Tiny,
        "small" => Small,
        _ => throw new ArgumentException($"Unknown model preset '{name}' (allowed: {string.Join(", ", PresetNames)})."),
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
    }

    /// <summary>Number of trainable parameters (rotary caches excluded).</summary>
    public long ParameterCount()
    {
        long h = Hidden, kv = (long)KvHeads * HeadSize, v = VocabSize;
        long qkvOut = h + 2 * kv;
        long perLayer = h * qkvOut + (QkvBias ? qkvOut : 0) + h * h + 3 * h * Intermediate + 2 * h;
        long embeddings = TieEmbeddings ? v * h : 2 * v * h;
        return Layers * perLayer + embeddings + h;
    }
}
