using ProRL.Onnx.Graph;
using ProRL.Onnx.Tensors;

namespace ProRL.Training.Lowering;

/// <summary>
/// Rotary position embedding written with Slice / Mul / Sub / Add / Concat (and Reshape for the interleaved form).
/// Works on a rank-4 tensor whose last axis is the head; the first R = 2·cos_cache.shape[1] entries are rotated,
/// the rest pass through.
/// </summary>
internal static class RotaryLowering
{
    /// <summary>
    /// Rotates <paramref name="x"/> (rank 4, head last). <paramref name="cos"/>/<paramref name="sin"/> hold R/2
    /// values per position and broadcast against x's other axes. <paramref name="headSize"/> null means unknown.
    /// </summary>
    public static string Apply(LoweringContext ctx, string x, string cos, string sin, long rotaryDim, long? headSize, bool interleaved)
    {
        long half = rotaryDim / 2;
        string rotated;
        if (interleaved)
        {
            // (x0, x1), (x2, x3), ... are the pairs: view the rotated part as [..., R/2, 2].
            var part = headSize == rotaryDim ? x : ctx.Slice(x, -1, 0, rotaryDim);
            var pairs = ctx.Reshape(part, 0, 0, 0, half, 2);
            var even = ctx.Slice(pairs, -1, 0, 1);
            var odd = ctx.Slice(pairs, -1, 1, 2);
            var c = ctx.Unsqueeze(cos, -1);
            var s = ctx.Unsqueeze(sin, -1);
            var newEven = ctx.Sub(ctx.Mul(even, c), ctx.Mul(odd, s));
            var newOdd = ctx.Add(ctx.Mul(odd, c), ctx.Mul(even, s));
            rotated = ctx.Reshape(ctx.Concat(-1, newEven, newOdd), 0, 0, 0, rotaryDim);
        }
        else if (headSize is { } size)
        {
            // First half and second half of the rotated part are the pairs. One Split rather than several Slices of
            // the same tensor: ONNX Runtime's level-1 optimizer fuses such Slices itself and mis-sized the result on
            // some layouts (unpacked q/k with per-head norms, partial rotary), failing at run time.
            var parts = ctx.EmitMulti("Split", [x, size == rotaryDim ? ctx.Int64s(half, half) : ctx.Int64s(half, half, size - rotaryDim)],
                size == rotaryDim ? 2 : 3, Attr.Int("axis", -1));
            var (first, second) = (parts[0], parts[1]);
            var newFirst = ctx.Sub(ctx.Mul(first, cos), ctx.Mul(second, sin));
            var newSecond = ctx.Add(ctx.Mul(second, cos), ctx.Mul(first, sin));
            return size == rotaryDim ? ctx.Concat(-1, newFirst, newSecond) : ctx.Concat(-1, newFirst, newSecond, parts[2]);
        }
        else
        {
            var first = ctx.Slice(x, -1, 0, half);
            var second = ctx.Slice(x, -1, half, rotaryDim);
            var newFirst = ctx.Sub(ctx.Mul(first, cos), ctx.Mul(second, sin));
            var newSecond = ctx.Add(ctx.Mul(second, cos), ctx.Mul(first, sin));
            rotated = ctx.Concat(-1, newFirst, newSecond);
        }
        if (headSize == rotaryDim) return rotated;
        var passThrough = ctx.Slice(x, -1, rotaryDim, long.MaxValue);
        return ctx.Concat(-1, rotated, passThrough);
    }

    /// <summary>Rows 0..S-1 of a [max_positions, R/2] cache, S read from axis <paramref name="seqAxis"/> of <paramref name="like"/>.</summary>
    public static string FirstPositions(LoweringContext ctx, string cache, string like, long seqAxis)
    {
        var length = SequenceLength(ctx, like, seqAxis);
        return ctx.Emit("Slice", [cache, ctx.Int64s(0), length, ctx.Int64s(0)]);
    }

    /// <summary>[1] int64 holding the size of axis <paramref name="axis"/> of <paramref name="x"/>.</summary>
    public static string SequenceLength(LoweringContext ctx, string x, long axis) =>
        ctx.Emit("Shape", [x], Attr.Int("start", axis), Attr.Int("end", axis + 1));

    /// <summary>R = 2 · cos_cache.shape[1], which must be known statically.</summary>
    public static long RotaryDim(LoweringContext ctx, StaticShapes shapes, Node node, string cosCache)
    {
        var halfDim = shapes.LastDim(cosCache)
            ?? throw ctx.Error(node, $"the rotary width (last axis of '{cosCache}') is unknown; cos_cache should be an initializer.");
        return 2 * halfDim;
    }

    /// <summary>com.microsoft.RotaryEmbedding(input, position_ids, cos_cache, sin_cache).</summary>
    public static void RotaryEmbedding(LoweringContext ctx, StaticShapes shapes, Node node)
    {
        if (node.GetInt("is_packed_batching", 0) != 0) throw ctx.Error(node, "is_packed_batching=1 is not supported.");
        var input = node.Inputs[0];
        var positions = node.Inputs[1];
        var (cosCache, sinCache) = (node.Inputs[2], node.Inputs[3]);
        bool interleaved = node.GetInt("interleaved", 0) != 0;
        long rotaryDim = RotaryDim(ctx, shapes, node, cosCache);
        long attrDim = node.GetInt("rotary_embedding_dim", 0);
        if (attrDim != 0 && attrDim != rotaryDim)
            throw ctx.Error(node, $"rotary_embedding_dim={attrDim} does not match cos_cache width {rotaryDim / 2}·2.");
        long numHeads = node.GetInt("num_heads", 0);

        int rank = shapes.Rank(input) ?? throw ctx.Error(node, $"the rank of '{input}' (3 or 4) is unknown; annotate it.");
        if (rank is not (3 or 4)) throw ctx.Error(node, $"input '{input}' has rank {rank}; expected 3 (B,S,hidden) or 4 (B,N,S,H).");
        // Work on [B,S,N,H] (from 3D) or [B,N,S,H] (4D); seqAxis/headAxis say where S and the broadcast head axis are.
        string x4;
        long? headSize;
        if (rank == 3)
        {
            if (numHeads == 0 && attrDim != 0)
                throw ctx.Error(node, "num_heads is required with rotary_embedding_dim for a 3D input.");
            headSize = numHeads == 0 ? rotaryDim : shapes.LastDim(input) / numHeads;
            x4 = numHeads == 0 ? ctx.Reshape(input, 0, 0, -1, rotaryDim) : ctx.Reshape(input, 0, 0, numHeads, -1);
        }
        else
        {
            x4 = input;
            headSize = shapes.LastDim(input);
        }
        long seqAxis = rank == 3 ? 1 : 2;
        long headAxis = rank == 3 ? 2 : 1;

        string cos, sin;
        int positionRank = shapes.Rank(positions) ?? 2; // unannotated: the usual (batch, sequence) form
        if (positionRank == 2)
        {
            // [B,S] positions → [B,S,R/2] rows → a size-1 head axis for broadcasting.
            cos = ctx.Unsqueeze(ctx.Emit("Gather", [cosCache, positions]), headAxis);
            sin = ctx.Unsqueeze(ctx.Emit("Gather", [sinCache, positions]), headAxis);
        }
        else if (ctx.PackedSequences)
        {
            throw ctx.Error(node, $"reads one position offset ('{positions}', rank {positionRank}) for every row; packed sequences need per-token " +
                "position_ids [batch, sequence]. Train this model with padded rows (Training:PackSequences=false).");
        }
        else
        {
            // [1] offset: positions offset .. offset+S-1 for every row.
            var length = ctx.Reshape(SequenceLength(ctx, input, seqAxis));
            var start = ctx.Reshape(positions);
            var ids = ctx.Emit("Range", [start, ctx.Add(start, length), ctx.Scalar(1, TensorDataType.Int64)]);
            cos = ctx.Emit("Gather", [cosCache, ids]);
            sin = ctx.Emit("Gather", [sinCache, ids]);
            if (rank == 3) { cos = ctx.Unsqueeze(cos, 1); sin = ctx.Unsqueeze(sin, 1); }
        }
        var y = Apply(ctx, x4, cos, sin, rotaryDim, headSize, interleaved);
        ctx.Bind(rank == 3 ? ctx.Reshape(y, 0, 0, -1) : y, node.Outputs[0]);
    }
}
