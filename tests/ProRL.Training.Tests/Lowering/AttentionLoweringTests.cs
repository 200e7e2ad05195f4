using Microsoft.ML.OnnxRuntime.Tensors;
using ProRL.Onnx.Graph;
using ProRL.Onnx.Tensors;
using Tensor = ProRL.Onnx.Tensors.Tensor;
using static ProRL.Training.Tests.Lowering.OrtHarness;

namespace ProRL.Training.Tests.Lowering;

/// <summary>GroupQueryAttention (past length 0) and RotaryEmbedding lowerings against ORT's CPU kernels.</summary>
public class AttentionLoweringTests
{
    private sealed record GqaCase
    {
        public int Heads { get; init; } = 4;
        public int KvHeads { get; init; } = 2;
        public int HeadSize { get; init; } = 16;
        public int Seq { get; init; } = 7;
        /// <summary>Real (unpadded) length of each row; the rest is right padding.</summary>
        public int[] Lengths { get; init; } = [7, 4];
        public bool Rotary { get; init; }
        public bool Interleaved { get; init; }
        /// <summary>cos/sin width (R/2); defaults to head_size/2.</summary>
        public int? RotaryHalf { get; init; }
        public bool Packed { get; init; }
        public float Softcap { get; init; }
        public int Window { get; init; } = -1;
        public float Scale { get; init; }
        public int Seed { get; init; } = 11;
        /// <summary>Feed position_ids [B,S] (row b starts at position 3 + 2b) instead of implicit 0..S-1.</summary>
        public bool PositionIds { get; init; }
        /// <summary>Declare the float inputs without shapes, so the head size is unknown to the lowering.</summary>
        public bool Unannotated { get; init; }
        /// <summary>Feed an attention_bias [B,1,S,S].</summary>
        public bool AttentionBias { get; init; }
    }

    private static OnnxModel BuildGqa(GqaCase c)
    {
        int b = c.Lengths.Length, q = c.Heads * c.HeadSize, kv = c.KvHeads * c.HeadSize;
        var inputs = new List<ValueInfo> { F("query", b, c.Seq, c.Packed ? q + 2 * kv : q) };
        if (!c.Packed) inputs.AddRange([F("key", b, c.Seq, kv), F("value", b, c.Seq, kv)]);
        inputs.Add(new ValueInfo("seqlens_k", TensorDataType.Int32, [b]));
        inputs.Add(new ValueInfo("total_sequence_length", TensorDataType.Int32, []));
        if (c.Unannotated)
            for (int i = 0; i < inputs.Count; i++) inputs[i] = inputs[i] with { Shape = null };
        var initializers = new List<Tensor>();
        string[] nodeInputs = c.Packed ? ["query", "", ""] : ["query", "key", "value"];
        nodeInputs = [.. nodeInputs, "", "", "seqlens_k", "total_sequence_length"];
        var attrs = new List<global::Onnx.AttributeProto> { Attr.Int("num_heads", c.Heads), Attr.Int("kv_num_heads", c.KvHeads) };
        if (c.Rotary)
        {
            int half = c.RotaryHalf ?? c.HeadSize / 2, maxPositions = c.Seq + 8;
            var (cos, sin) = RotaryCaches(maxPositions, half);
            initializers.Add(Tensor.FromFloats("cos_cache", [maxPositions, half], cos));
            initializers.Add(Tensor.FromFloats("sin_cache", [maxPositions, half], sin));
            nodeInputs = [.. nodeInputs, "cos_cache", "sin_cache"];
            if (c.PositionIds) { nodeInputs = [.. nodeInputs, "position_ids"]; inputs.Add(new ValueInfo("position_ids", TensorDataType.Int64, [b, c.Seq])); }
            attrs.Add(Attr.Int("do_rotary", 1));
            attrs.Add(Attr.Int("rotary_interleaved", c.Interleaved ? 1 : 0));
        }
        if (c.AttentionBias)
        {
            while (nodeInputs.Length < 10) nodeInputs = [.. nodeInputs, ""];
            nodeInputs = [.. nodeInputs, "attention_bias"];
            inputs.Add(F("attention_bias", b, 1, c.Seq, c.Seq));
        }
        if (c.Softcap > 0) attrs.Add(Attr.Float("softcap", c.Softcap));
        if (c.Window > 0) attrs.Add(Attr.Int("local_window_size", c.Window));
        if (c.Scale != 0) attrs.Add(Attr.Float("scale", c.Scale));
        var outputs = new[] { F("output", b, c.Seq, q), F("present_key", b, c.KvHeads, c.Seq, c.HeadSize), F("present_value", b, c.KvHeads, c.Seq, c.HeadSize) };
        return SingleNode("GroupQueryAttention", OnnxModel.MicrosoftDomain, nodeInputs, inputs, outputs, initializers, [.. attrs]);
    }

    /// <summary>Standard RoPE tables: angle = pos · θ^(−2i/R).</summary>
    private static (float[] Cos, float[] Sin) RotaryCaches(int positions, int half)
    {
        var cos = new float[positions * half];
        var sin = new float[positions * half];
        for (int p = 0; p < positions; p++)
            for (int i = 0; i < half; i++)
            {
                double angle = p * Math.Pow(10000, -(double)i / half);
                cos[p * half + i] = (float)Math.Cos(angle);
                sin[p * half + i] = (float)Math.Sin(angle);
            }
        return (cos, sin);
    }

    private static void AssertGqaMatches(GqaCase c)
    {
        var random = new Random(c.Seed);
        int b = c.Lengths.Length, q = c.Heads * c.HeadSize, kv = c.KvHeads * c.HeadSize;
        var feeds = new Dictionary<string, object>
        {
            ["query"] = Scaled(RandomFloats(random, b, c.Seq, c.Packed ? q + 2 * kv : q), 2),
            ["seqlens_k"] = new DenseTensor<int>(c.Lengths.Select(l => l - 1).ToArray(), [b]),
            ["total_sequence_length"] = new DenseTensor<int>(new[] { c.Seq }, Array.Empty<int>()),
        };
        if (!c.Packed)
        {
            feeds["key"] = Scaled(RandomFloats(random, b, c.Seq, kv), 2);
            feeds["value"] = RandomFloats(random, b, c.Seq, kv);
        }
        if (c.PositionIds)
            feeds["position_ids"] = new DenseTensor<long>(Enumerable.Range(0, b * c.Seq).Select(i => (long)(3 + i % c.Seq + 2 * (i / c.Seq))).ToArray(), [b, c.Seq]);
        if (c.AttentionBias) feeds["attention_bias"] = RandomFloats(random, b, 1, c.Seq, c.Seq);
        var expected = Run(BuildGqa(c), feeds);
        var lowered = BuildGqa(c);
        Assert.Equal(1, LoweredNodeCount(lowered));
        AssertNoContribOps(lowered);
        var actual = Run(lowered, feeds);

        // Output rows of padding queries are unspecified in ORT; compare real query positions only.
        bool RealQuery(int index)
        {
            int s = index / q % c.Seq, row = index / (q * c.Seq);
            return s < c.Lengths[row];
        }
        double outputDiff = MaxAbsDiff(expected["output"], actual["output"], RealQuery);
        Assert.True(outputDiff <= 1e-5, $"output: max abs diff {outputDiff}");
        foreach (var present in new[] { "present_key", "present_value" })
        {
            double diff = MaxAbsDiff(expected[present], actual[present]);
            Assert.True(diff <= 1e-5, $"{present}: max abs diff {diff}");
        }
        foreach (var v in actual["output"]) Assert.True(float.IsFinite(v));
    }

    [Fact]
    public void Gqa_without_rotary_equal_heads_no_padding() =>
        AssertGqaMatches(new GqaCase { Heads = 4, KvHeads = 4, Lengths = [7, 7] });

    [Fact]
    public void Gqa_rotary_half_split_grouped_heads_with_padding() =>
        AssertGqaMatches(new GqaCase { Rotary = true, Heads = 4, KvHeads = 2, Lengths = [7, 3, 5] });

    [Fact]
    public void Gqa_rotary_interleaved_single_kv_head_with_padding() =>
        AssertGqaMatches(new GqaCase { Rotary = true, Interleaved = true, Heads = 4, KvHeads = 1, Lengths = [4, 7], Seed = 12 });

    [Fact]
    public void Gqa_softcap_and_custom_scale() =>
        AssertGqaMatches(new GqaCase { Softcap = 2.5f, Scale = 0.4f, Lengths = [7, 6], Seed = 13 });

    [Fact]
    public void Gqa_local_window_with_rotary_and_padding() =>
        AssertGqaMatches(new GqaCase { Rotary = true, Window = 2, Lengths = [7, 5], Seed = 14 });

    [Fact]
    public void Gqa_packed_qkv_with_partial_rotary() =>
        AssertGqaMatches(new GqaCase { Packed = true, Rotary = true, HeadSize = 32, RotaryHalf = 8, Lengths = [7, 2], Seed = 15 });

    [Fact]
    public void Gqa_packed_qkv_partial_interleaved_rotary() =>
        AssertGqaMatches(new GqaCase { Packed = true, Rotary = true, Interleaved = true, HeadSize = 32, RotaryHalf = 8, KvHeads = 1, Seed = 16 });

    [Fact]
    public void Gqa_rotary_with_position_ids_reads_the_first_prompt_offset() =>
        AssertGqaMatches(new GqaCase { Rotary = true, PositionIds = true, Seed = 17 });

    [Fact]
    public void Gqa_with_attention_bias_and_softcap() =>
        AssertGqaMatches(new GqaCase { AttentionBias = true, Softcap = 3f, Seed = 18 });

    [Fact]
    public void Gqa_with_unknown_head_size_reads_it_from_the_query_shape() =>
        AssertGqaMatches(new GqaCase { Unannotated = true, Rotary = true, Seed = 19 });

    [Fact]
    public void Gqa_with_kv_cache_input_is_rejected_with_advice()
    {
        var model = BuildGqa(new GqaCase());
        var node = model.Graph.Nodes[0];
        node.Inputs[3] = "past_key";
        node.Inputs[4] = "past_value";
        model.Graph.Inputs.Add(F("past_key", 2, 2, 0, 16));
        model.Graph.Inputs.Add(F("past_value", 2, 2, 0, 16));
        var error = Assert.Throws<ProRL.Training.Lowering.LoweringException>(() => LoweredNodeCount(model));
        Assert.Contains("GroupQueryAttention_0", error.Message);
        Assert.Contains("DecoderLowering.ForTraining", error.Message);
    }

    // ---------- RotaryEmbedding (com.microsoft) ----------

    private static void AssertRotaryMatches(bool interleaved, bool fourD, bool offsetPositions, int headSize = 16, int half = 8, int numHeads = 0)
    {
        const int b = 2, s = 5, n = 3, maxPositions = 16;
        var random = new Random(21 + (interleaved ? 1 : 0) + (fourD ? 2 : 0) + (offsetPositions ? 4 : 0));
        var (cos, sin) = RotaryCaches(maxPositions, half);
        int[] inputDims = fourD ? [b, n, s, headSize] : [b, s, n * headSize];
        var positionsInfo = offsetPositions ? new ValueInfo("position_ids", TensorDataType.Int64, [1]) : new ValueInfo("position_ids", TensorDataType.Int64, [b, s]);
        OnnxModel Build()
        {
            var attrs = new List<global::Onnx.AttributeProto> { Attr.Int("interleaved", interleaved ? 1 : 0) };
            if (numHeads > 0) { attrs.Add(Attr.Int("num_heads", numHeads)); attrs.Add(Attr.Int("rotary_embedding_dim", 2 * half)); }
            return SingleNode("RotaryEmbedding", OnnxModel.MicrosoftDomain, ["x", "position_ids", "cos_cache", "sin_cache"],
                [F("x", [.. inputDims.Select(d => (Dim)d)]), positionsInfo], [F("y", [.. inputDims.Select(d => (Dim)d)])],
                [Tensor.FromFloats("cos_cache", [maxPositions, half], cos), Tensor.FromFloats("sin_cache", [maxPositions, half], sin)], [.. attrs]);
        }
        var positions = offsetPositions
            ? new DenseTensor<long>(new long[] { 3 }, [1])
            : new DenseTensor<long>(Enumerable.Range(0, b * s).Select(i => (long)((i * 7 + 2) % maxPositions)).ToArray(), [b, s]);
        var feeds = new Dictionary<string, object> { ["x"] = RandomFloats(random, inputDims), ["position_ids"] = positions };
        AssertLoweringMatches(Build, feeds);
    }

    [Fact]
    public void RotaryEmbedding_3d_half_split_with_position_ids() => AssertRotaryMatches(interleaved: false, fourD: false, offsetPositions: false);

    [Fact]
    public void RotaryEmbedding_3d_interleaved_with_position_offset() => AssertRotaryMatches(interleaved: true, fourD: false, offsetPositions: true);

    [Fact]
    public void RotaryEmbedding_4d_half_split_with_position_offset() => AssertRotaryMatches(interleaved: false, fourD: true, offsetPositions: true);

    [Fact]
    public void RotaryEmbedding_4d_interleaved_with_position_ids() => AssertRotaryMatches(interleaved: true, fourD: true, offsetPositions: false);

    [Fact]
    public void RotaryEmbedding_3d_partial_rotation_with_num_heads() =>
        AssertRotaryMatches(interleaved: false, fourD: false, offsetPositions: false, headSize: 32, half: 8, numHeads: 3);
}
