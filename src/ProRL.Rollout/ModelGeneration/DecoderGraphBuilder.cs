using System.Globalization;
using ProRL.Onnx.Graph;
using ProRL.Onnx.Tensors;

namespace ProRL.Rollout.ModelGeneration;

/// <summary>
/// Builds the decoder graph as the ONNX Runtime GenAI model builder lays it out: same node names, initializer names,
/// operators and I/O (DESIGN §4), in each attention layout, precision and opset the spec selects. The default spec
/// gives the builder's fp32 CPU Qwen2 export. Weights come from the spec's seed and are drawn in the same order for
/// every layout, so two specs that differ only in layout or precision hold the same (rounded) weights.
/// </summary>
internal sealed class DecoderGraphBuilder
{
    private const string Ms = OnnxModel.MicrosoftDomain;
    private const string MaskBase = "/model/attn_mask_reformat/attn_mask_subgraph";

    private readonly DecoderSpec _spec;
    private readonly GaussianRandom _random;
    private readonly OnnxGraph _g = new();
    private readonly TensorDataType _t;

    private DecoderGraphBuilder(DecoderSpec spec)
    {
        _spec = spec;
        _random = new GaussianRandom(spec.Seed);
        _t = spec.ElementType;
    }

    public static OnnxModel Build(DecoderSpec spec)
    {
        spec.Validate();
        return new DecoderGraphBuilder(spec).BuildModel();
    }

    private int H => _spec.Hidden;
    private int KvDim => _spec.KvHeads * _spec.HeadSize;

    private OnnxModel BuildModel()
    {
        AddInputsAndOutputs();
        var mask = _spec.Attention == AttentionLayout.Mha ? new Mask("", "", MhaMaskSubgraph()) : GqaMaskSubgraph();
        AddRotaryCaches();

        string lmHeadWeight = "lm_head.MatMul.weight";
        string hidden = Embedding(lmHeadWeight);
        string residual = hidden;
        string? skip = null;
        for (int layer = 0; layer < _spec.Layers; layer++)
        {
            string normed;
            if (skip is null)
                normed = SimplifiedLayerNorm(layer, "input", residual);
            else
                (normed, residual) = SkipSimplifiedLayerNorm(layer, "input", residual, skip, last: false);
            string attention = Attention(layer, normed, mask);
            (normed, residual) = SkipSimplifiedLayerNorm(layer, "post_attention", residual, attention, last: false);
            skip = Mlp(layer, normed);
        }
        var (finalNorm, _) = SkipSimplifiedLayerNorm(_spec.Layers, "final_norm", residual, skip!, last: true);
        if (!_spec.TieEmbeddings) AddWeight(lmHeadWeight, [H, _spec.VocabSize]);
        if (_spec.LogitsType == _t)
            _g.AddNode("MatMul", [finalNorm, lmHeadWeight], ["logits"], "/lm_head/MatMul");
        else
        {
            // bf16: the builder computes the LM head in bf16 and casts the logits to float32 at the end.
            string lm = Node("MatMul", "/lm_head/MatMul", [finalNorm, lmHeadWeight]);
            _g.AddNode("Cast", [lm], ["logits"], "/lm_head/Cast", "", Attr.Int("to", (long)_spec.LogitsType));
        }

        var model = new OnnxModel(_g) { ProducerName = "ProRL.Onnx model init", IrVersion = _spec.IrVersion };
        model.Opsets[OnnxModel.StandardDomain] = _spec.Opset;
        model.Opsets[OnnxModel.MicrosoftDomain] = 1;
        return model;
    }

    private sealed record Mask(string SeqlensK, string TotalSeqLen, string AttentionBias);

    private void AddInputsAndOutputs()
    {
        Dim batch = "batch_size", seq = "sequence_length", total = "total_sequence_length", past = "past_sequence_length";
        _g.Inputs.Add(new ValueInfo("input_ids", TensorDataType.Int64, [batch, seq]));
        _g.Inputs.Add(new ValueInfo("attention_mask", TensorDataType.Int64, [batch, total]));
        if (_spec.HasPositionIds) _g.Inputs.Add(new ValueInfo("position_ids", TensorDataType.Int64, [batch, seq]));
        for (int i = 0; i < _spec.Layers; i++)
        {
            _g.Inputs.Add(new ValueInfo($"past_key_values.{i}.key", _t, [batch, _spec.KvHeads, past, _spec.HeadSize]));
            _g.Inputs.Add(new ValueInfo($"past_key_values.{i}.value", _t, [batch, _spec.KvHeads, past, _spec.HeadSize]));
        }
        _g.Outputs.Add(new ValueInfo("logits", _spec.LogitsType, [batch, seq, _spec.VocabSize]));
        for (int i = 0; i < _spec.Layers; i++)
        {
            _g.Outputs.Add(new ValueInfo($"present.{i}.key", _t, [batch, _spec.KvHeads, total, _spec.HeadSize]));
            _g.Outputs.Add(new ValueInfo($"present.{i}.value", _t, [batch, _spec.KvHeads, total, _spec.HeadSize]));
        }
    }

    /// <summary>GroupQueryAttention's seqlens_k = int32(sum(mask, 1) − 1) and total_sequence_length = int32(shape(mask)[1]).</summary>
    private Mask GqaMaskSubgraph()
    {
        // ReduceSum takes its axes as an input from opset 13 on, so one form serves opsets 14..21.
        string sum = Node("ReduceSum", $"{MaskBase}/ReduceSum", ["attention_mask", ConstInt64s(1)], Attr.Int("keepdims", 0));
        string sub = Node("Sub", $"{MaskBase}/Sub", [sum, ConstInt64(1)]);
        string seqlensK = Node("Cast", $"{MaskBase}/Sub/Cast", [sub], Attr.Int("to", (long)TensorDataType.Int32));
        string shape = Node("Shape", $"{MaskBase}/Shape", ["attention_mask"]);
        string length = Node("Gather", $"{MaskBase}/Gather", [shape, ConstInt64(1)], Attr.Int("axis", 0));
        string total = Node("Cast", $"{MaskBase}/Gather/Cast", [length], Attr.Int("to", (long)TensorDataType.Int32));
        return new Mask(seqlensK, total, "");
    }

    /// <summary>
    /// MultiHeadAttention's additive 4-D mask [batch, 1, seq, total]: a causal block built from input_ids' shape and the
    /// past length read through Shape(past_key_values.0.key), plus the padding mask from attention_mask, both 0 where
    /// attention is allowed and the element type's lowest value elsewhere. Same operators and structure as the
    /// builder's attn_mask_reformat subgraph (see ../shared/fixtures/llama-fp16-mha).
    /// </summary>
    private string MhaMaskSubgraph()
    {
        const string root = "/model/attn_mask_reformat";
        const string ids = root + "/input_ids_subgraph";
        const string am = root + "/attn_mask_subgraph";
        string minValue = ConstElement(LowestValue());
        var minTensor = Tensor.FromFloats("", _t, [1], [LowestValue()]);
        var oneInt64 = Tensor.FromInt64s("", [1], [1L]);

        string pastShape = Node("Shape", $"{root}/past_key_subgraph/Shape", ["past_key_values.0.key"]);
        string pastLength = Node("Gather", $"{root}/past_key_subgraph/Gather", [pastShape, ConstInt64(2)], Attr.Int("axis", 0));

        string batch = Node("Gather", $"{ids}/Gather_1", [Node("Shape", $"{ids}/Shape_1", ["input_ids"]), ConstInt64(0)], Attr.Int("axis", 0));
        string seq = Node("Gather", $"{ids}/Gather_2", [Node("Shape", $"{ids}/Shape_2", ["input_ids"]), ConstInt64(1)], Attr.Int("axis", 0));
        string total = Node("Add", $"{ids}/Add_1", [seq, pastLength]);

        // Causal block [seq, seq]: lowest value above the diagonal, 0 on and below it. (".../output_0" is the builder's node name.)
        string square = Node("Concat", $"{ids}/Concat_2", [Unsqueeze($"{ids}/Unsqueeze_4", seq, 0), Unsqueeze($"{ids}/Unsqueeze_5", seq, 0)], Attr.Int("axis", 0));
        string filled = Node("ConstantOfShape", $"{ids}/ConstantOfShape_2", [square], Attr.Tensor("value", minTensor));
        string rows = Squeeze($"{ids}/Squeeze_1", LastDim($"{ids}/Shape_4", $"{ids}/Slice_1", filled), 0);
        string column = Node("Concat", $"{ids}/Concat_3", [Unsqueeze($"{ids}/output_0", rows, 0), ConstInt64s(1)], Attr.Int("axis", 0));
        string cols = Squeeze($"{ids}/Squeeze_2", LastDim($"{ids}/Shape_5", $"{ids}/Slice_2", filled), 0);
        string range = Node("Range", $"{ids}/Range", [ConstInt64(0), cols, ConstInt64(1)]);
        string rowEnd = Node("Reshape", $"{ids}/Reshape", [Node("Add", $"{ids}/Add_2", [range, ConstInt64(1)]), column]);
        string allowed = Node("Less", $"{ids}/Less", [range, rowEnd]);
        string causal = Node("Where", $"{ids}/Where_2", [allowed, ConstElement(0f), filled]);
        string causal4d = Unsqueeze($"{ids}/Unsqueeze_9", Unsqueeze($"{ids}/Unsqueeze_8", causal, 0), 1);
        string causalShape = Node("Concat", $"{ids}/Concat_1",
            [Unsqueeze($"{ids}/Unsqueeze_1", batch, 0), ConstInt64s(1), Unsqueeze($"{ids}/Unsqueeze_2", seq, 0), Unsqueeze($"{ids}/Unsqueeze_3", total, 0)],
            Attr.Int("axis", 0));
        string causalExpanded = Node("Expand", $"{ids}/Expand", [causal4d, ExpandShape(ids, "_1", causalShape, oneInt64)]);

        // Padding: attention_mask [batch, total] → [batch, 1, seq, total], 1 → 0 and 0 → lowest value.
        string mask4d = Unsqueeze($"{am}/Unsqueeze_4", Unsqueeze($"{am}/Unsqueeze_3", "attention_mask", 1), 2);
        string maskBatch = Node("Gather", $"{am}/Gather_1", [Node("Shape", $"{am}/Shape_1", ["attention_mask"]), ConstInt64(0)], Attr.Int("axis", 0));
        string maskTotal = Node("Gather", $"{am}/Gather_2", [Node("Shape", $"{am}/Shape_2", ["attention_mask"]), ConstInt64(1)], Attr.Int("axis", 0));
        string maskShape = Node("Concat", $"{am}/Concat",
            [Unsqueeze($"{am}/Unsqueeze_1", maskBatch, 0), ConstInt64s(1), Unsqueeze($"{ids}/Unsqueeze_6", seq, 0), Unsqueeze($"{am}/Unsqueeze_2", maskTotal, 0)],
            Attr.Int("axis", 0));
        string maskExpanded = Node("Expand", $"{am}/Expand", [mask4d, ExpandShape(am, "", maskShape, oneInt64)]);
        string asElement = Node("Cast", $"{am}/Cast_1", [maskExpanded], Attr.Int("to", (long)_t));
        string inverted = Node("Sub", $"{am}/Sub", [ConstElement(1f), asElement]);
        string isPadding = Node("Cast", $"{am}/Cast_2", [inverted], Attr.Int("to", (long)TensorDataType.Bool));
        string padding = Node("Where", $"{am}/Where_2", [isPadding, minValue, inverted]);

        string sum = Node("Add", $"{root}/Add", [padding, causalExpanded]);
        return Node("Tile", $"{root}/Tile", [sum, ConstInt64s(1, 1, 1, 1)]);
    }

    /// <summary>The exporter's Expand target: the shape with every −1 replaced by 1 (Where(Equal(shape, −ones), ones, shape)).</summary>
    private string ExpandShape(string basename, string suffix, string shape, Tensor oneInt64)
    {
        string ones = Node("ConstantOfShape", $"{basename}/ConstantOfShape{suffix}", [Node("Shape", $"{basename}/Shape_3", [shape])], Attr.Tensor("value", oneInt64));
        string minusOnes = Node("Mul", $"{basename}/Mul", [ones, ConstInt64(-1)]);
        string isMinusOne = Node("Equal", $"{basename}/Equal", [shape, minusOnes]);
        return Node("Where", $"{basename}/Where_1", [isMinusOne, ones, shape]);
    }

    /// <summary>Last entry of Shape(input) as a 1-element vector: Slice(Shape, [-1], [INT64_MAX], [0]).</summary>
    private string LastDim(string shapeName, string sliceName, string input) =>
        Node("Slice", sliceName, [Node("Shape", shapeName, [input]), ConstInt64s(-1), ConstInt64s(long.MaxValue), ConstInt64s(0)]);

    // Unsqueeze/Squeeze take their axes as an input from opset 13 on: one form for opsets 14..21.
    private string Unsqueeze(string name, string input, long axis) => Node("Unsqueeze", name, [input, ConstInt64s(axis)]);
    private string Squeeze(string name, string input, long axis) => Node("Squeeze", name, [input, ConstInt64s(axis)]);

    /// <summary>The lowest finite value of the element type (torch.finfo(dtype).min), the builder's mask filler.</summary>
    private float LowestValue() => _t switch
    {
        TensorDataType.Float16 => (float)Half.MinValue,
        TensorDataType.BFloat16 => BFloat16Bits.ToSingle(0xFF7F),
        _ => float.MinValue,
    };

    /// <summary>
    /// cos/sin of position × inverse frequency, [context, rotary_dim / 2]: GroupQueryAttention and RotaryEmbedding both
    /// read them so, and take rotary_dim from the cache width (partial rotary rotates the first rotary_dim channels).
    /// </summary>
    private void AddRotaryCaches()
    {
        int dim = _spec.RotaryDim;
        int half = dim / 2;
        var cos = new float[_spec.Context * half];
        var sin = new float[cos.Length];
        for (int pos = 0; pos < _spec.Context; pos++)
            for (int j = 0; j < half; j++)
            {
                double invFreq = 1.0 / Math.Pow(_spec.RopeTheta, 2.0 * j / dim);
                double angle = pos * (double)(float)invFreq;
                cos[pos * half + j] = (float)Math.Cos(angle);
                sin[pos * half + j] = (float)Math.Sin(angle);
            }
        _g.AddInitializer(Tensor.FromFloats("cos_cache", _t, [_spec.Context, half], cos));
        _g.AddInitializer(Tensor.FromFloats("sin_cache", _t, [_spec.Context, half], sin));
    }

    private string Embedding(string lmHeadWeight)
    {
        const string basename = "/model/embed_tokens";
        string gathered;
        if (!_spec.TieEmbeddings)
        {
            AddWeight("model.embed_tokens.weight", [_spec.VocabSize, H]);
            gathered = Node("Gather", $"{basename}/Gather", ["model.embed_tokens.weight", "input_ids"]);
        }
        else
        {
            // Tied: the builder stores only lm_head.MatMul.weight [hidden, vocab] and gathers rows of its transpose.
            AddWeight(lmHeadWeight, [H, _spec.VocabSize]);
            string transposed = Node("Transpose", $"{basename}/Transpose", [lmHeadWeight], Attr.Ints("perm", 1, 0));
            gathered = Node("Gather", $"{basename}/Gather", [transposed, "input_ids"]);
        }
        // Gemma scales the embedding output by sqrt(hidden) (a constant in the element type).
        return _spec.EmbeddingScale ? Node("Mul", $"{basename}/Mul", [gathered, ConstElement(MathF.Sqrt(H))]) : gathered;
    }

    private string SimplifiedLayerNorm(int layer, string location, string input)
    {
        string weight = NormWeight($"model.layers.{layer}.{location}_layernorm.weight", H);
        string output = $"/model/layers.{layer}/{location}_layernorm/output_0";
        _g.AddNode("SimplifiedLayerNormalization", [input, weight], [output], $"/model/layers.{layer}/{location}_layernorm/LayerNorm", "",
            Attr.Float("epsilon", _spec.RmsNormEpsilon), Attr.Int("axis", -1), Attr.Int("stash_type", 1));
        return output;
    }

    /// <summary>Adds <paramref name="skip"/> to the residual stream and normalises; returns (normed, new residual).</summary>
    private (string Normed, string Residual) SkipSimplifiedLayerNorm(int layer, string location, string residual, string skip, bool last)
    {
        string weight = NormWeight($"model.layers.{layer}.{location}_layernorm.weight", H);
        string output0 = $"/model/layers.{layer}/{location}_layernorm/output_0";
        string output3 = $"/model/layers.{layer}/{location}_layernorm/output_3";
        string[] outputs = last ? [output0] : [output0, "", "", output3];
        _g.AddNode("SkipSimplifiedLayerNormalization", [residual, skip, weight], outputs,
            $"/model/layers.{layer}/{location}_layernorm/SkipLayerNorm", Ms, Attr.Float("epsilon", _spec.RmsNormEpsilon));
        return (output0, last ? "" : output3);
    }

    private string NormWeight(string name, int size)
    {
        _g.AddInitializer(Tensor.FromFloats(name, _t, [size], Enumerable.Repeat(1f, size).ToArray()));
        return name;
    }

    private string Attention(int layer, string input, Mask mask)
    {
        string basename = $"/model/layers.{layer}/attn";
        var (q, k, v) = _spec.PackedQkv ? PackedProjection(basename, layer, input) : UnpackedProjection(basename, layer, input);
        if (_spec.QkNorm)
        {
            q = QkNorm(layer, "q", q, _spec.Heads);
            k = QkNorm(layer, "k", k, _spec.KvHeads);
        }
        if (_spec.Attention != AttentionLayout.Gqa)
        {
            q = RotaryEmbedding($"{basename}/q_rotary/RotaryEmbedding", q, _spec.Heads);
            k = RotaryEmbedding($"{basename}/k_rotary/RotaryEmbedding", k, _spec.KvHeads);
        }

        string pastKey = $"past_key_values.{layer}.key", pastValue = $"past_key_values.{layer}.value";
        string[] outputs = [$"{basename}/{AttentionOp}/output_0", $"present.{layer}.key", $"present.{layer}.value"];
        if (_spec.Attention == AttentionLayout.Mha && _spec.KvHeads != _spec.Heads)
        {
            // MultiHeadAttention has no KV-head groups: the builder concatenates the caches itself and repeats K/V
            // to all heads (repeat_kv), then calls MultiHeadAttention without past or present.
            k = RepeatKv($"{basename}/k_proj/repeat_kv", k, pastKey, outputs[1]);
            v = RepeatKv($"{basename}/v_proj/repeat_kv", v, pastValue, outputs[2]);
            _g.AddNode("MultiHeadAttention", [q, k, v, "", "", mask.AttentionBias, "", ""], [outputs[0], "", ""],
                $"{basename}/MultiHeadAttention", Ms,
                Attr.Int("num_heads", _spec.Heads), Attr.Float("scale", 1f / MathF.Sqrt(_spec.HeadSize)));
        }
        else if (_spec.Attention == AttentionLayout.Mha)
        {
            _g.AddNode("MultiHeadAttention", [q, k, v, "", "", mask.AttentionBias, pastKey, pastValue], outputs,
                $"{basename}/MultiHeadAttention", Ms,
                Attr.Int("num_heads", _spec.Heads), Attr.Float("scale", 1f / MathF.Sqrt(_spec.HeadSize)));
        }
        else
        {
            bool fused = _spec.Attention == AttentionLayout.Gqa;
            _g.AddNode("GroupQueryAttention",
                [q, k, v, pastKey, pastValue, mask.SeqlensK, mask.TotalSeqLen, fused ? "cos_cache" : "", fused ? "sin_cache" : ""],
                outputs, $"{basename}/GroupQueryAttention", Ms,
                Attr.Int("num_heads", _spec.Heads), Attr.Int("kv_num_heads", _spec.KvHeads),
                Attr.Float("scale", 1f / MathF.Sqrt(_spec.HeadSize)), Attr.Int("local_window_size", _spec.SlidingWindow ?? -1),
                Attr.Float("softcap", _spec.Softcap),
                Attr.Int("do_rotary", fused ? 1 : 0), Attr.Int("rotary_interleaved", _spec.RotaryInterleaved ? 1 : 0));
        }
        return MatMul($"{basename}/o_proj/MatMul", outputs[0], H, H);
    }

    /// <summary>
    /// The builder's repeat_kv for MultiHeadAttention with fewer KV heads: [B, S, kv·h] → [B, kv, S, h], Concat with the
    /// past along the sequence (that Concat writes present), then Unsqueeze/Expand/Reshape to [B, heads, T, h] and back
    /// to [B, T, heads·h]. The Expand target is computed from Shape(present) as the exporter writes it.
    /// </summary>
    private string RepeatKv(string basename, string input, string past, string present)
    {
        long groups = _spec.Heads / _spec.KvHeads;
        string split = Node("Reshape", $"{basename}/Reshape_1", [input, ConstInt64s(0, 0, _spec.KvHeads, -1)]);
        string headsFirst = Node("Transpose", $"{basename}/Transpose_1", [split], Attr.Ints("perm", 0, 2, 1, 3));
        _g.AddNode("Concat", [past, headsFirst], [present], $"{basename}/Concat_1", "", Attr.Int("axis", 2));

        string shape = Node("Shape", $"{basename}/Shape_1", [present]);
        var dims = new string[4];
        for (int d = 0; d < 4; d++)
            dims[d] = Unsqueeze($"{basename}/Unsqueeze_{d + 1}", Node("Gather", $"{basename}/Gather_{d + 1}", [shape, ConstInt64(d)], Attr.Int("axis", 0)), 0);
        string fiveD = Node("Concat", $"{basename}/Concat_2", [dims[0], dims[1], ConstInt64s(groups), dims[2], dims[3]], Attr.Int("axis", 0));
        string heads = Node("Mul", $"{basename}/Mul_1", [dims[1], ConstInt64(groups)]);
        string fourD = Node("Concat", $"{basename}/Concat_3", [dims[0], heads, dims[2], dims[3]], Attr.Int("axis", 0));

        string flat = Node("Reshape", $"{basename}/Reshape_2", [fiveD, ConstInt64s(-1)]);
        string ones = Node("ConstantOfShape", $"{basename}/ConstantOfShape", [Node("Shape", $"{basename}/Shape_2", [flat])],
            Attr.Tensor("value", Tensor.FromInt64s("", [1], [1L])));
        string isMinusOne = Node("Equal", $"{basename}/Equal", [flat, Node("Mul", $"{basename}/Mul", [ones, ConstInt64(-1)])]);
        string target = Node("Where", $"{basename}/Where", [isMinusOne, ones, flat]);

        string expanded = Node("Expand", $"{basename}/Expand", [Unsqueeze($"{basename}/Unsqueeze_5", present, 2), target]);
        string repeated = Node("Reshape", $"{basename}/Reshape_3", [expanded, fourD]);
        string sequenceFirst = Node("Transpose", $"{basename}/Transpose_2", [repeated], Attr.Ints("perm", 0, 2, 1, 3));
        return Node("Reshape", $"{basename}/Reshape_4", [sequenceFirst, ConstInt64s(0, 0, _spec.Heads * _spec.HeadSize)]);
    }

    private string AttentionOp => _spec.Attention == AttentionLayout.Mha ? "MultiHeadAttention" : "GroupQueryAttention";

    /// <summary>One MatMul [hidden, q + k + v] (+ one Add for Qwen2's bias); GroupQueryAttention splits it ("" for k and v).</summary>
    private (string Q, string K, string V) PackedProjection(string basename, int layer, string input)
    {
        string qkv = MatMul($"{basename}/qkv_proj/MatMul", input, H, H + 2 * KvDim);
        if (_spec.QkvBias)
        {
            string bias = $"model.layers.{layer}.attn.qkv_proj.Add.bias";
            AddWeight(bias, [H + 2 * KvDim]);
            qkv = Node("Add", $"{basename}/qkv_proj/Add", [qkv, bias]);
        }
        return (qkv, "", "");
    }

    /// <summary>
    /// Separate q/k/v MatMuls (and Adds). The weights are drawn as the packed layout's and split by columns, so a
    /// packed and an unpacked model with the same seed compute the same function.
    /// </summary>
    private (string Q, string K, string V) UnpackedProjection(string basename, int layer, string input)
    {
        int width = H + 2 * KvDim;
        int[] sizes = [H, KvDim, KvDim];
        string[] names = ["q_proj", "k_proj", "v_proj"];
        var packed = _random.Normal(H * width, _spec.InitStd);
        var outputs = new string[3];
        for (int p = 0, offset = 0; p < 3; offset += sizes[p], p++)
        {
            var w = new float[H * sizes[p]];
            for (int row = 0; row < H; row++)
                Array.Copy(packed, row * width + offset, w, row * sizes[p], sizes[p]);
            string weight = $"model.layers.{layer}.attn.{names[p]}.MatMul.weight";
            _g.AddInitializer(Tensor.FromFloats(weight, _t, [H, sizes[p]], w));
            outputs[p] = Node("MatMul", $"{basename}/{names[p]}/MatMul", [input, weight]);
        }
        if (_spec.QkvBias)
        {
            var packedBias = _random.Normal(width, _spec.InitStd);
            for (int p = 0, offset = 0; p < 3; offset += sizes[p], p++)
            {
                string bias = $"model.layers.{layer}.attn.{names[p]}.Add.bias";
                _g.AddInitializer(Tensor.FromFloats(bias, _t, [sizes[p]], packedBias.AsSpan(offset, sizes[p])));
                outputs[p] = Node("Add", $"{basename}/{names[p]}/Add", [outputs[p], bias]);
            }
        }
        return (outputs[0], outputs[1], outputs[2]);
    }

    /// <summary>Qwen3's per-head RMSNorm: [B, S, N·h] → Reshape [B, S·N, h] → SimplifiedLayerNormalization → Reshape [B, S, N·h].</summary>
    private string QkNorm(int layer, string which, string input, int heads)
    {
        string basename = $"/model/layers.{layer}/attn/{which}_norm";
        string perHead = Node("Reshape", $"{basename}/Reshape_1", [input, ConstInt64s(0, -1, _spec.HeadSize)]);
        string weight = NormWeight($"model.layers.{layer}.attn.{which}_norm.layernorm.weight", _spec.HeadSize);
        string normed = Node("SimplifiedLayerNormalization", $"{basename}/SimplifiedLayerNormalization", [perHead, weight],
            Attr.Float("epsilon", _spec.RmsNormEpsilon), Attr.Int("axis", -1), Attr.Int("stash_type", 1));
        return Node("Reshape", $"{basename}/Reshape_2", [normed, ConstInt64s(0, -1, heads * _spec.HeadSize)]);
    }

    /// <summary>
    /// com.microsoft RotaryEmbedding on [B, S, N·h] with position_ids. As in the builder, num_heads and
    /// rotary_embedding_dim stay 0 (taken from the input and the caches) unless the rotation is partial.
    /// </summary>
    private string RotaryEmbedding(string name, string input, int heads)
    {
        bool partial = _spec.RotaryDim < _spec.HeadSize;
        string output = name + "/output_0";
        _g.AddNode("RotaryEmbedding", [input, "position_ids", "cos_cache", "sin_cache"], [output], name, Ms,
            Attr.Int("interleaved", _spec.RotaryInterleaved ? 1 : 0), Attr.Int("num_heads", partial ? heads : 0),
            Attr.Int("rotary_embedding_dim", partial ? _spec.RotaryDim : 0));
        return output;
    }

    /// <summary>Gated MLP: SwiGLU with SiLU written as Sigmoid·Mul (fp32 CPU builder), or Gemma's tanh-GELU gate.</summary>
    private string Mlp(int layer, string input)
    {
        string basename = $"/model/layers.{layer}/mlp";
        string gate = MatMul($"{basename}/gate_proj/MatMul", input, H, _spec.Intermediate);
        string up = MatMul($"{basename}/up_proj/MatMul", input, H, _spec.Intermediate);
        string activated;
        if (_spec.Mlp == MlpActivation.Silu)
        {
            string sigmoid = Node("Sigmoid", $"{basename}/act_fn/Sigmoid", [gate]);
            activated = Node("Mul", $"{basename}/act_fn/Mul", [gate, sigmoid]);
        }
        else if (_spec.Opset >= 20)
            // ai.onnx Gelu exists from opset 20; the builder names the node after the FastGelu it replaces.
            activated = Node("Gelu", $"{basename}/act_fn/FastGelu", [gate], Attr.String("approximate", "tanh"));
        else
            activated = Node("FastGelu", $"{basename}/act_fn/FastGelu", [gate], Ms);
        string product = Node("Mul", $"{basename}/Mul", [activated, up]);
        return MatMul($"{basename}/down_proj/MatMul", product, _spec.Intermediate, H);
    }

    /// <summary>A MatMul named like the builder's; its weight is `name[1:]` with '/' → '.', plus ".weight", stored [in, out].</summary>
    private string MatMul(string name, string input, int inFeatures, int outFeatures)
    {
        string weight = name[1..].Replace('/', '.') + ".weight";
        AddWeight(weight, [inFeatures, outFeatures]);
        return Node("MatMul", name, [input, weight]);
    }

    private string Node(string opType, string name, string[] inputs, params global::Onnx.AttributeProto[] attributes) =>
        Node(opType, name, inputs, "", attributes);

    private string Node(string opType, string name, string[] inputs, string domain, params global::Onnx.AttributeProto[] attributes)
    {
        string output = name + "/output_0";
        _g.AddNode(opType, inputs, [output], name, domain, attributes);
        return output;
    }

    // Shared constants named as the builder names them (/model/constants/TYPE/value), each added once.
    private string ConstInt64(long value) =>
        Constant($"/model/constants/INT64/{value.ToString(CultureInfo.InvariantCulture)}", () => Tensor.Scalar("", value));

    private string ConstInt64s(params long[] values) =>
        Constant($"/model/constants/INT64/[{string.Join(", ", values.Select(v => v.ToString(CultureInfo.InvariantCulture)))}]",
            () => Tensor.FromInt64s("", [values.Length], values));

    private string ConstElement(float value)
    {
        string type = _t switch { TensorDataType.Float16 => "FLOAT16", TensorDataType.BFloat16 => "BFLOAT16", _ => "FLOAT" };
        return Constant($"/model/constants/{type}/{value.ToString("R", CultureInfo.InvariantCulture)}", () => Tensor.FromFloats("", _t, [], [value]));
    }

    private string Constant(string name, Func<Tensor> create)
    {
        if (!_g.IsInitializer(name)) _g.AddInitializer(create().WithName(name));
        return name;
    }

    private void AddWeight(string name, long[] dims) =>
        _g.AddInitializer(Tensor.FromFloats(name, _t, dims, _random.Normal(Tensor.ElementCount(dims), _spec.InitStd)));
}
