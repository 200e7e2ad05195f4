using ProRL.Rollout.ModelGeneration;

namespace ProRL.TestSupport;

/// <summary>
/// Every decoder layout the GenAI builder emits, as `prorl model init` generates it, in each dtype: the catalogue the
/// layout tests (lowering, gradients, engine) and the end-to-end worker runs share. Weights of std 0.2 give logits of
/// order 1, so that differences are visible.
/// </summary>
internal static class GeneratedLayouts
{
    private static readonly DecoderSpec Base = DecoderSpec.Tiny with { Seed = 3, InitStd = 0.2f, Context = 64 };

    public static readonly IReadOnlyDictionary<string, DecoderSpec> All = new Dictionary<string, DecoderSpec>
    {
        ["gqa-fused-rotary/fp32"] = Base,
        ["gqa-fused-rotary/fp16"] = Base with { Precision = ModelPrecision.Fp16 },
        ["gqa-fused-rotary/bf16"] = Base with { Precision = ModelPrecision.Bf16 },
        ["gqa-fused-rotary/opset14/fp32"] = Base with { Opset = 14 },
        ["gqa-unpacked-qkv/fp32"] = Base with { UnpackedQkv = true },
        ["gqa-rotary-op/fp32"] = Base with { Attention = AttentionLayout.GqaRotaryOp },
        ["gqa-rotary-op/fp16"] = Base with { Attention = AttentionLayout.GqaRotaryOp, Precision = ModelPrecision.Fp16 },
        ["mha-rotary-op/fp32"] = Base with { Attention = AttentionLayout.Mha },
        ["mha-rotary-op/fp16/opset14"] = Base with { Attention = AttentionLayout.Mha, Precision = ModelPrecision.Fp16, Opset = 14 },
        ["mha-rotary-op/bf16"] = Base with { Attention = AttentionLayout.Mha, Precision = ModelPrecision.Bf16 },
        ["qwen3-qk-norm/fp32"] = Base with { QkNorm = true, QkvBias = false },
        ["qwen3-qk-norm/fp16"] = Base with { QkNorm = true, QkvBias = false, Precision = ModelPrecision.Fp16 },
        ["llama-tied-no-bias/fp32"] = Base with { TieEmbeddings = true, QkvBias = false },
        ["mistral-sliding-window/fp32"] = Base with { SlidingWindow = 4, QkvBias = false },
        ["gemma2-softcap-window/fp32"] = Base with { Softcap = 5f, SlidingWindow = 6, QkvBias = false },
        ["phi3-partial-rotary/fp32"] = Base with { Hidden = 64, Heads = 2, KvHeads = 2, PartialRotary = 0.5f, QkvBias = false },
        ["phi3-partial-rotary-op/fp16"] = Base with { PartialRotary = 0.5f, Attention = AttentionLayout.GqaRotaryOp, Precision = ModelPrecision.Fp16 },
        ["gemma-scaled-embedding-gelu-tanh/fp32"] = Base with { EmbeddingScale = true, Mlp = MlpActivation.GeluTanh, TieEmbeddings = true, QkvBias = false },
        ["interleaved-rotary/fp32"] = Base with { RotaryInterleaved = true },
        ["padded-vocabulary/fp32"] = Base with { Vocab = 300 },
    };

    /// <summary>The layouts GenAI can run on the CPU (everything but bf16).</summary>
    public static IEnumerable<string> RunnableOnCpu => All.Where(l => l.Value.Precision != ModelPrecision.Bf16).Select(l => l.Key);
}
