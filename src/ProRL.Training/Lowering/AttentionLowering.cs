using ProRL.Onnx.Graph;
using ProRL.Onnx.Tensors;

namespace ProRL.Training.Lowering;

/// <summary>
/// com.microsoft.GroupQueryAttention for a full sequence with no KV cache (past length 0), as
/// Reshape / Transpose / MatMul / Add (mask bias) / Softmax. Query heads are grouped by reshaping Q to
/// [B, N_kv, G·S, H] so that K and V are never copied and every MatMul has equal batch dimensions.
/// Key j is visible to query i when j ≤ i (causal), j &lt; seqlens_k+1 (right padding) and i − j &lt; local_window_size
/// (the window counts the query itself, as ORT's CPU kernel does).
/// </summary>
internal static class AttentionLowering
{
    private const int SeqlensInput = 5, CosInput = 7, SinInput = 8, PositionIdsInput = 9, BiasInput = 10, HeadSinkInput = 11;

    public static void GroupQueryAttention(LoweringContext ctx, StaticShapes shapes, Node node)
    {
        Validate(ctx, node);
        long numHeads = node.GetInt("num_heads", 0);
        long kvHeads = node.GetInt("kv_num_heads", 0);
        long groups = numHeads / kvHeads;
        var query = node.Inputs[0];
        var type = ctx.TypeOf(query, node);
        bool packed = node.Input(1) is null;

        // [B,S,hidden] → [B,heads,S,H] for Q, K and V.
        string q, k, v;
        long? headSize;
        if (packed)
        {
            headSize = shapes.LastDim(query) / (numHeads + 2 * kvHeads);
            var all = ctx.Reshape(query, 0, 0, numHeads + 2 * kvHeads, -1);
            var parts = ctx.EmitMulti("Split", [all, ctx.Int64s(numHeads, kvHeads, kvHeads)], 3, Attr.Int("axis", 2));
            (q, k, v) = (ToHeadsFirst(ctx, parts[0]), ToHeadsFirst(ctx, parts[1]), ToHeadsFirst(ctx, parts[2]));
        }
        else
        {
            headSize = shapes.LastDim(query) / numHeads;
            q = ToHeadsFirst(ctx, ctx.Reshape(query, 0, 0, numHeads, -1));
            k = ToHeadsFirst(ctx, ctx.Reshape(node.Inputs[1], 0, 0, kvHeads, -1));
            v = ToHeadsFirst(ctx, ctx.Reshape(node.Inputs[2], 0, 0, kvHeads, -1));
        }

        if (node.GetInt("do_rotary", 0) != 0)
            (q, k) = Rotate(ctx, shapes, node, q, k, headSize);

        // Scores [B,N,S,S]: scale Q (cheaper than scaling the scores), then group query heads onto their KV head.
        var scaledQ = ctx.Mul(q, Scale(ctx, node, q, headSize, type));
        var groupedQ = groups == 1 ? scaledQ : ctx.Reshape(scaledQ, 0, kvHeads, -1, 0);
        var scores = ctx.MatMul(groupedQ, ctx.Transpose(k, 0, 1, 3, 2));
        if (groups > 1) scores = ctx.Reshape(scores, 0, numHeads, -1, 0);

        float softcap = node.GetFloat("softcap", 0f);
        if (softcap > 0f)
            scores = ctx.Mul(ctx.Emit("Tanh", [ctx.Mul(scores, ctx.Scalar(1.0 / softcap, type))]), ctx.Scalar(softcap, type));
        if (node.Input(BiasInput) is { } bias) scores = ctx.Add(scores, bias);

        var masked = ctx.Add(scores, ctx.PackedSequences ? PackedMaskBias(ctx, node, query, type) : MaskBias(ctx, node, query, type));
        var probs = ctx.Emit("Softmax", [masked], Attr.Int("axis", -1));

        var groupedProbs = groups == 1 ? probs : ctx.Reshape(probs, 0, kvHeads, -1, 0);
        var context = ctx.MatMul(groupedProbs, v);
        if (groups > 1) context = ctx.Reshape(context, 0, numHeads, -1, 0);
        var output = ctx.Reshape(ctx.Transpose(context, 0, 2, 1, 3), 0, 0, -1);
        ctx.Bind(output, node.Outputs[0]);
        // present_key/value of a cache-free step are the (rotated) K and V themselves, in BNSH.
        if (node.Outputs.Count > 1) ctx.Bind(k, node.Outputs[1]);
        if (node.Outputs.Count > 2) ctx.Bind(v, node.Outputs[2]);
    }

    private const int MhaBiasInput = 3, MhaKeyPaddingMaskInput = 4, MhaAttentionBiasInput = 5, MhaPastKeyInput = 6, MhaPastValueInput = 7;

    /// <summary>
    /// com.microsoft.MultiHeadAttention for self-attention over a full sequence with no KV cache: query, key and value
    /// [B,S,N·H] (already rotated by RotaryEmbedding nodes when the model has rotary), an optional packed bias, an
    /// optional key padding mask [B,S] (0 = masked, filled with mask_filter_value as ORT does) and an optional additive
    /// attention_bias broadcastable to [B,N,S,S] (the builder's mask-reformat subgraph builds causal + padding there).
    /// </summary>
    public static void MultiHeadAttention(LoweringContext ctx, StaticShapes shapes, Node node)
    {
        long numHeads = node.GetInt("num_heads", 0);
        if (numHeads <= 0) throw ctx.Error(node, $"num_heads={numHeads} must be positive.");
        if (node.Input(MhaPastKeyInput) is not null || node.Input(MhaPastValueInput) is not null)
            throw ctx.Error(node, "has a KV cache (past_key/past_value); the lowering computes a full sequence with past length 0. Use DecoderLowering.ForTraining, which drops the cache.");
        if (node.Inputs.Skip(8).Any(i => i.Length > 0))
            throw ctx.Error(node, "past_sequence_length / cache_indirection (inputs 8+) are for beam search with a shared buffer and are not supported by the lowering.");
        if (node.Input(1) is null || node.Input(2) is null)
            throw ctx.Error(node, "packed QKV (no separate key and value inputs) is not supported by the lowering; export with separate q/k/v projections.");
        var query = node.Inputs[0];
        foreach (var (value, what) in new[] { (query, "query"), (node.Inputs[1], "key"), (node.Inputs[2], "value") })
            if (shapes.Rank(value) is { } r && r != 3)
                throw ctx.Error(node, $"{what} '{value}' has rank {r}; only [batch, sequence, hidden] self-attention inputs are supported (cross-attention and BNSH keys are not).");
        var type = ctx.TypeOf(query, node);
        var (q3, k3, v3) = (query, node.Inputs[1], node.Inputs[2]);
        if (node.Input(MhaBiasInput) is { } bias)
        {
            // bias = [q bias | k bias | v bias], each hidden wide.
            var parts = ctx.EmitMulti("Split", [bias], 3, Attr.Int("axis", 0), Attr.Int("num_outputs", 3));
            (q3, k3, v3) = (ctx.Add(q3, parts[0]), ctx.Add(k3, parts[1]), ctx.Add(v3, parts[2]));
        }
        long? headSize = shapes.LastDim(query) / numHeads;
        var q = ToHeadsFirst(ctx, ctx.Reshape(q3, 0, 0, numHeads, -1));
        var k = ToHeadsFirst(ctx, ctx.Reshape(k3, 0, 0, numHeads, -1));
        var v = ToHeadsFirst(ctx, ctx.Reshape(v3, 0, 0, numHeads, -1));

        var scores = ctx.MatMul(ctx.Mul(q, Scale(ctx, node, q, headSize, type)), ctx.Transpose(k, 0, 1, 3, 2));
        if (node.Input(MhaAttentionBiasInput) is { } attentionBias) scores = ctx.Add(scores, attentionBias);
        if (node.Input(MhaKeyPaddingMaskInput) is { } keyMask)
        {
            if (shapes.Rank(keyMask) is { } r && r != 2)
                throw ctx.Error(node, $"key_padding_mask '{keyMask}' has rank {r}; only the [batch, total_sequence_length] form is supported.");
            var masked = ctx.Emit("Equal", [ctx.Cast(keyMask, TensorDataType.Int64), ctx.Scalar(0, TensorDataType.Int64)]);
            var fill = ctx.Emit("Where", [masked, ctx.Scalar(node.GetFloat("mask_filter_value", -10000f), type), ctx.Scalar(0, type)]);
            scores = ctx.Add(scores, ctx.Unsqueeze(fill, 1, 2));
        }
        if (node.GetInt("unidirectional", 0) != 0)
        {
            var length = ctx.Reshape(RotaryLowering.SequenceLength(ctx, query, 1));
            var index = ctx.Emit("Range", [ctx.Scalar(0, TensorDataType.Int64), length, ctx.Scalar(1, TensorDataType.Int64)]);
            var causal = ctx.Emit("GreaterOrEqual", [ctx.Unsqueeze(index, 1), ctx.Unsqueeze(index, 0)]);
            scores = ctx.Add(scores, Bias(ctx, causal, type));
        }
        // Packed rows: the model's own mask sees one causal sequence per row (the attention mask is all ones), and the
        // segment mask keeps each packed sequence to itself. Every query sees at least itself in both, so no row of the
        // softmax is empty.
        if (ctx.PackedSequences) scores = ctx.Add(scores, PackedMaskBias(ctx, node, query, type));
        var probs = ctx.Emit("Softmax", [scores], Attr.Int("axis", -1));
        var output = ctx.Reshape(ctx.Transpose(ctx.MatMul(probs, v), 0, 2, 1, 3), 0, 0, -1);
        ctx.Bind(output, node.Outputs[0]);
        if (node.Outputs.Count > 1) ctx.Bind(k, node.Outputs[1]);
        if (node.Outputs.Count > 2) ctx.Bind(v, node.Outputs[2]);
    }

    /// <summary>The scale attribute, else 1/sqrt(head_size): a constant when the head size is known, computed from Q's shape otherwise.</summary>
    private static string Scale(LoweringContext ctx, Node node, string q, long? headSize, TensorDataType type)
    {
        float scale = node.GetFloat("scale", 0f);
        if (scale != 0f) return ctx.Scalar(scale, type);
        if (headSize is { } h) return ctx.Scalar(1.0 / Math.Sqrt(h), type);
        var size = ctx.Cast(ctx.Emit("Shape", [q], Attr.Int("start", -1)), type);
        return ctx.Div(ctx.Scalar(1.0, type), ctx.Emit("Sqrt", [size]));
    }

    private static void Validate(LoweringContext ctx, Node node)
    {
        long numHeads = node.GetInt("num_heads", 0), kvHeads = node.GetInt("kv_num_heads", 0);
        if (numHeads <= 0 || kvHeads <= 0 || numHeads % kvHeads != 0)
            throw ctx.Error(node, $"num_heads={numHeads} must be a positive multiple of kv_num_heads={kvHeads}.");
        if (node.Input(3) is not null || node.Input(4) is not null)
            throw ctx.Error(node, "has a KV cache (past_key/past_value); the lowering computes a full sequence with past length 0. Use DecoderLowering.ForTraining, which drops the cache.");
        if (node.Input(SeqlensInput) is null) throw ctx.Error(node, "input seqlens_k is missing.");
        if (node.Input(HeadSinkInput) is not null || node.GetInt("smooth_softmax", 0) != 0)
            throw ctx.Error(node, "head_sink / smooth_softmax are not supported by the lowering.");
        if (node.Inputs.Skip(12).Any(i => i.Length > 0))
            throw ctx.Error(node, "quantized KV cache scales and q/k norm weights (inputs 12+) are not supported by the lowering.");
        if (node.Outputs.Count > 3 && node.Outputs[3].Length > 0)
            throw ctx.Error(node, "output_qk is not supported by the lowering.");
        if (node.GetInt("causal", 1) == 0 && node.GetInt("local_window_size", -1) > 0)
            throw ctx.Error(node, "local_window_size requires causal=1.");
    }

    /// <summary>[B,S,N,H] → [B,N,S,H].</summary>
    private static string ToHeadsFirst(LoweringContext ctx, string x) => ctx.Transpose(x, 0, 2, 1, 3);

    private static (string Q, string K) Rotate(LoweringContext ctx, StaticShapes shapes, Node node, string q, string k, long? headSize)
    {
        var cosCache = node.Input(CosInput) ?? throw ctx.Error(node, "do_rotary=1 needs cos_cache and sin_cache.");
        var sinCache = node.Input(SinInput) ?? throw ctx.Error(node, "do_rotary=1 needs cos_cache and sin_cache.");
        long rotaryDim = RotaryLowering.RotaryDim(ctx, shapes, node, cosCache);
        bool interleaved = node.GetInt("rotary_interleaved", 0) != 0;
        string cos, sin;
        if (ctx.PackedSequences)
        {
            // Per-token positions (restarting in every packed sequence): [B,T,R/2] rows, a head axis to broadcast over.
            cos = PackedRotaryRows(ctx, cosCache);
            sin = PackedRotaryRows(ctx, sinCache);
        }
        else if (node.Input(PositionIdsInput) is { } positions)
        {
            // ORT's first-prompt semantics: only position_ids[0,0] is read; rows use start .. start+S-1.
            var start = ctx.Reshape(ctx.Slice(ctx.Reshape(positions, -1), 0, 0, 1));
            var length = ctx.Reshape(RotaryLowering.SequenceLength(ctx, node.Inputs[0], 1));
            var ids = ctx.Emit("Range", [start, ctx.Add(start, length), ctx.Scalar(1, TensorDataType.Int64)]);
            cos = ctx.Emit("Gather", [cosCache, ids]);
            sin = ctx.Emit("Gather", [sinCache, ids]);
        }
        else
        {
            // Past length 0: positions 0..S-1 in every row (right padding keeps real tokens at the front).
            cos = RotaryLowering.FirstPositions(ctx, cosCache, node.Inputs[0], 1);
            sin = RotaryLowering.FirstPositions(ctx, sinCache, node.Inputs[0], 1);
        }
        return (RotaryLowering.Apply(ctx, q, cos, sin, rotaryDim, headSize, interleaved),
                RotaryLowering.Apply(ctx, k, cos, sin, rotaryDim, headSize, interleaved));
    }

    /// <summary>
    /// [B,1,S,S] in the scores' type: 0 where a query sees a key, the lowest finite value where it does not. Added to the
    /// scores rather than selected with Where: the sum is the same (the lowest finite value absorbs any score), a
    /// broadcast Add is several times faster than a broadcast Where on ONNX Runtime's CPU, and its gradient is the
    /// incoming one (the softmax's gradient is already 0 where its probability is 0), so the backward pass needs no
    /// masking op at all. Built once per mask and shared by all layers.
    /// </summary>
    private static string MaskBias(LoweringContext ctx, Node node, string query, TensorDataType type)
    {
        var key = $"gqa-mask-bias:{type}:{node.Inputs[SeqlensInput]}:{node.GetInt("local_window_size", -1)}:{node.GetInt("causal", 1)}";
        if (ctx.Shared.TryGetValue(key, out var cached)) return cached;
        return ctx.Shared[key] = Bias(ctx, VisibilityMask(ctx, node, query), type);
    }

    /// <summary>Rows of a rotary cache at the graph's per-token position_ids, [B,1,T,R/2]; gathered once per cache.</summary>
    private static string PackedRotaryRows(LoweringContext ctx, string cache)
    {
        var key = $"packed-rotary:{cache}";
        if (ctx.Shared.TryGetValue(key, out var cached)) return cached;
        return ctx.Shared[key] = ctx.Unsqueeze(ctx.Emit("Gather", [cache, DecoderLowering.PositionIds]), 1);
    }

    /// <summary>
    /// [B,1,T,T] bias of packed rows: query i sees key j when both are in one segment (segment_ids equal; the padding
    /// after the last sequence is segment 0 and sees only itself), j ≤ i, and i − j &lt; local_window_size. The
    /// attention mask and seqlens_k are not read: they describe one sequence per row. Shared by all layers.
    /// </summary>
    private static string PackedMaskBias(LoweringContext ctx, Node node, string query, TensorDataType type)
    {
        ctx.PackedAttentionNodes++;
        long window = node.GetInt("local_window_size", -1);
        var key = $"packed-mask-bias:{type}:{window}";
        if (ctx.Shared.TryGetValue(key, out var cached)) return cached;

        var length = ctx.Reshape(RotaryLowering.SequenceLength(ctx, query, 1));
        var index = ctx.Emit("Range", [ctx.Scalar(0, TensorDataType.Int64), length, ctx.Scalar(1, TensorDataType.Int64)]);
        var rows = ctx.Unsqueeze(index, 1);
        var cols = ctx.Unsqueeze(index, 0);
        var segments = DecoderLowering.SegmentIds;
        var sameSegment = ctx.Emit("Equal", [ctx.Unsqueeze(segments, 1, 3), ctx.Unsqueeze(segments, 1, 2)]); // [B,1,T,T]
        var visible = ctx.Emit("And", [sameSegment, ctx.Emit("GreaterOrEqual", [rows, cols])]);
        if (window > 0)
            visible = ctx.Emit("And", [visible, ctx.Emit("Less", [ctx.Sub(rows, cols), ctx.Scalar(window, TensorDataType.Int64)])]);
        return ctx.Shared[key] = Bias(ctx, visible, type);
    }

    private static string Bias(LoweringContext ctx, string visible, TensorDataType type) =>
        ctx.Emit("Where", [visible, ctx.Scalar(0, type), ctx.Scalar(LoweringContext.LowestFinite(type), type)]);

    /// <summary>
    /// Bool [B,1,S,S]: which keys each query sees. Built once per (seqlens_k, window, causal) and shared by all layers.
    /// </summary>
    private static string VisibilityMask(LoweringContext ctx, Node node, string query)
    {
        var seqlens = node.Inputs[SeqlensInput];
        long window = node.GetInt("local_window_size", -1);
        bool causal = node.GetInt("causal", 1) != 0;
        var key = $"gqa-mask:{seqlens}:{window}:{causal}";
        if (ctx.Shared.TryGetValue(key, out var cached)) return cached;

        var length = ctx.Reshape(RotaryLowering.SequenceLength(ctx, query, 1));
        var index = ctx.Emit("Range", [ctx.Scalar(0, TensorDataType.Int64), length, ctx.Scalar(1, TensorDataType.Int64)]);
        var rows = ctx.Unsqueeze(index, 1);   // query i as [S,1]
        var cols = ctx.Unsqueeze(index, 0);   // key j as [1,S]

        // Right padding: key j exists when j < seqlens_k + 1.
        // seqlens_k is [B] by the spec, but builders emit ReduceSum with keepdims=1 ([B,1]); ORT reads only the values.
        var keyCount = ctx.Add(ctx.Reshape(ctx.Cast(seqlens, TensorDataType.Int64), -1), ctx.Scalar(1, TensorDataType.Int64));
        var visible = ctx.Emit("Less", [cols, ctx.Unsqueeze(keyCount, 1, 2, 3)]); // [B,1,1,S]
        if (causal)
            visible = ctx.Emit("And", [visible, ctx.Emit("GreaterOrEqual", [rows, cols])]);
        if (window > 0)
        {
            var distance = ctx.Sub(rows, cols);
            visible = ctx.Emit("And", [visible, ctx.Emit("Less", [distance, ctx.Scalar(window, TensorDataType.Int64)])]);
        }
        return ctx.Shared[key] = visible;
    }
}
