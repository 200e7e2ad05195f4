using ProRL.Onnx.Graph;

namespace ProRL.Training.Lowering;

/// <summary>Options of <see cref="ContribOpLowering"/>.</summary>
public sealed record LoweringOptions
{
    /// <summary>Also rewrite the standard LayerNormalization and Gelu into primitive ops (simpler gradients).</summary>
    public bool LowerStandardFusedOps { get; init; } = true;

    /// <summary>How error messages name the model (a path, or the graph name when null).</summary>
    public string? ModelName { get; init; }

    /// <summary>
    /// Several sequences per row (<see cref="DecoderLowering.ForTraining"/>): attention reads graph inputs
    /// <c>segment_ids</c> (a token sees earlier tokens of its own segment only) and <c>position_ids</c> (rotary
    /// positions, restarting at 0 in every segment) instead of the attention mask.
    /// </summary>
    public bool PackedSequences { get; init; }
}

/// <summary>
/// Replaces ONNX Runtime contrib ops (com.microsoft, plus ORT's SimplifiedLayerNormalization in the default domain)
/// with standard opset-21 ops of the same semantics, built from ops with simple gradients. Attention is lowered for
/// a full sequence without KV cache. An op it does not know is an error naming the op, the node and the model.
/// </summary>
public static class ContribOpLowering
{
    /// <summary>The export to make instead, for every refusal: the builder's CPU layouts are the ones this project lowers.</summary>
    public const string ReexportAdvice =
        "Export the model with the ONNX Runtime GenAI model builder for the CPU execution provider in fp32 or fp16 " +
        "(python -m onnxruntime_genai.models.builder -m MODEL -o DIR -p fp32 -e cpu); " +
        "run `prorl model inspect DIR` to see which layouts are trainable.";

    private delegate void Lowering(LoweringContext ctx, StaticShapes shapes, Node node);

    private static readonly Dictionary<string, Lowering> ContribLowerings = new(StringComparer.Ordinal)
    {
        ["GroupQueryAttention"] = AttentionLowering.GroupQueryAttention,
        ["MultiHeadAttention"] = AttentionLowering.MultiHeadAttention,
        ["RotaryEmbedding"] = RotaryLowering.RotaryEmbedding,
        ["SimplifiedLayerNormalization"] = (c, _, n) => NormalizationLowering.Simplified(c, n),
        ["SkipSimplifiedLayerNormalization"] = (c, _, n) => NormalizationLowering.SkipSimplified(c, n),
        ["LayerNormalization"] = (c, _, n) => NormalizationLowering.Layer(c, n),
        ["SkipLayerNormalization"] = (c, _, n) => NormalizationLowering.Skip(c, n),
        ["Gelu"] = (c, _, n) => GeluLowering.Gelu(c, n),
        ["FastGelu"] = (c, _, n) => GeluLowering.FastGelu(c, n),
        ["BiasGelu"] = (c, _, n) => GeluLowering.BiasGelu(c, n),
        ["QuickGelu"] = (c, _, n) => GeluLowering.QuickGelu(c, n),
    };

    /// <summary>Default-domain ops that are ORT contrib ops (always lowered) or fused standard ops (lowered on request).</summary>
    private static readonly HashSet<string> DefaultDomainContribOps = ["SimplifiedLayerNormalization"];
    private static readonly HashSet<string> StandardFusedOps = ["LayerNormalization", "Gelu"];

    /// <summary>Rewrites <paramref name="model"/> in place; returns how many nodes were lowered.</summary>
    public static int Lower(OnnxModel model, LoweringOptions? options = null)
    {
        options ??= new LoweringOptions();
        var graph = model.Graph;
        var ctx = new LoweringContext(graph, options.ModelName ?? graph.Name) { PackedSequences = options.PackedSequences };
        var shapes = new StaticShapes(graph);
        int lowered = 0;
        foreach (var node in graph.Nodes.ToList())
        {
            if (!ShouldLower(node, options)) continue;
            if (!ContribLowerings.TryGetValue(node.OpType, out var lower))
                throw ctx.Error(node, "this contrib operator has no lowering to standard ONNX ops, so the model cannot be trained. " +
                    "Supported: " + string.Join(", ", ContribLowerings.Keys) + ".");
            ctx.Scope = node.Name.Length > 0 ? node.Name : graph.UniqueName(node.OpType);
            graph.RemoveNode(node);
            lower(ctx, shapes, node);
            lowered++;
        }
        if (options.PackedSequences && ctx.PackedAttentionNodes == 0)
            throw new LoweringException($"Model '{ctx.ModelName}': packed sequences need attention as com.microsoft GroupQueryAttention or " +
                "MultiHeadAttention (the GenAI builder's layouts), where the lowering can keep each sequence to itself; this model has neither, " +
                "so its rows cannot be packed. Train it with padded rows (Training:PackSequences=false).");
        if (lowered > 0) graph.TopologicalSort();
        if (!graph.Nodes.Any(n => n.Domain == OnnxModel.MicrosoftDomain)) model.Opsets.Remove(OnnxModel.MicrosoftDomain);
        return lowered;
    }

    private static bool ShouldLower(Node node, LoweringOptions options)
    {
        if (!node.IsStandard) return true;
        if (DefaultDomainContribOps.Contains(node.OpType)) return true;
        return options.LowerStandardFusedOps && StandardFusedOps.Contains(node.OpType);
    }
}
