using ProRL.Onnx.Graph;
using ProRL.Onnx.Tensors;

namespace ProRL.Rollout.ModelGeneration;

/// <summary>
/// Builds the fp32 CPU decoder graph exactly as the ONNX Runtime GenAI model builder lays out a Qwen2 model:
/// same node names, initializer names, operators and I/O (DESIGN §4). Weights come from the spec's seed.
/// </summary>
internal sealed class DecoderGraphBuilder
{
    private const string Ms = OnnxModel.MicrosoftDomain;
    private const string MaskBase = "/model/attn_mask_reformat/attn_mask_subgraph";
    private const string ConstOneVector = "/model/constants/INT64/[1]";
    private const string ConstOneScalar = "/model/constants/INT64/1";

    private readonly DecoderSpec _spec;
    private readonly GaussianRandom _random;
    private readonly OnnxGraph _g = new();

    private DecoderGraphBuilder(DecoderSpec spec)
    {
        _spec = spec;
        _random = new GaussianRandom(spec.Seed);
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
        _g.AddInitializer(Tensor.FromInt64s(ConstOneVector, [1], [1L]));
        _g.AddInitializer(Tensor.Scalar(ConstOneScalar, 1L));
        var (seqlensK, totalSeqLen) = AttentionMaskSubgraph();
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
            string attention = Attention(layer, normed, seqlensK, totalSeqLen);
            (normed, residual) = SkipSimplifiedLayerNorm(layer, "post_attention", residual, attention, last: false);
            skip = Mlp(layer, normed);
        }
        var (finalNorm, _) = SkipSimplifiedLayerNorm(_spec.Layers, "final_norm", residual, skip!, last: true);
        if (!_spec.TieEmbeddings) AddWeight(lmHeadWeight, [H, _spec.VocabSize]);
        _g.AddNode("MatMul", [finalNorm, lmHeadWeight], ["logits"], "/lm_head/MatMul");

        var model = new OnnxModel(_g) { ProducerName = "ProRL.Onnx model init", IrVersion = 10 };
        model.Opsets[OnnxModel.StandardDomain] = 21;
        model.Opsets[OnnxModel.MicrosoftDomain] = 1;
        return model;
    }

    private void AddInputsAndOutputs()
    {
        Dim batch = "batch_size", seq = "sequence_length", total = "total_sequence_length", past = "past_sequence_length";
        _g.Inputs.Add(new ValueInfo("input_ids", TensorDataType.Int64, [batch, seq]));
        _g.Inputs.Add(new ValueInfo("attention_mask", TensorDataType.Int64, [batch, total]));
        for (int i = 0; i < _spec.Layers; i++)
        {
            _g.Inputs.Add(new ValueInfo($"past_key_values.{i}.key", TensorDataType.Float, [batch, _spec.KvHeads, past, _spec.HeadSize]));
            _g.Inputs.Add(new ValueInfo($"past_key_values.{i}.value", TensorDataType.Float, [batch, _spec.KvHeads, past, _spec.HeadSize]));
        }
        _g.Outputs.Add(new ValueInfo("logits", TensorDataType.Float, [batch, seq, _spec.VocabSize]));
        for (int i = 0; i < _spec.Layers; i++)
        {
            _g.Outputs.Add(new ValueInfo($"present.{i}.key", TensorDataType.Float, [batch, _spec.KvHeads, total, _spec.HeadSize]));
            _g.Outputs.Add(new ValueInfo($"present.{i}.value", TensorDataType.Float, [batch, _spec.KvHeads, total, _spec.HeadSize]));
        }
    }

    /// <summary>GroupQueryAttention's seqlens_k = int32(sum(mask, 1) − 1) and total_sequence_length = int32(shape(mask)[1]).</summary>
    private (string SeqlensK, string TotalSeqLen) AttentionMaskSubgraph()
    {
        string sum = Node("ReduceSum", $"{MaskBase}/ReduceSum", ["attention_mask", ConstOneVector], Attr.Int("keepdims", 0));
        string sub = Node("Sub", $"{MaskBase}/Sub", [sum, ConstOneScalar]);
        string seqlensK = Node("Cast", $"{MaskBase}/Sub/Cast", [sub], Attr.Int("to", (long)TensorDataType.Int32));
        string shape = Node("Shape", $"{MaskBase}/Shape", ["attention_mask"]);
        string length = Node("Gather", $"{MaskBase}/Gather", [shape, ConstOneScalar], Attr.Int("axis", 0));
        string total = Node("Cast", $"{MaskBase}/Gather/Cast", [length], Attr.Int("to", (long)TensorDataType.Int32));
        return (seqlensK, total);
    }

    /// <summary>cos/sin of position × inverse frequency, [context, head_size / 2], as GroupQueryAttention reads them.</summary>
    private void AddRotaryCaches()
    {
        int half = _spec.HeadSize / 2;
        var cos = new float[_spec.Context * half];
        var sin = new float[cos.Length];
        for (int pos = 0; pos < _spec.Context; pos++)
            for (int j = 0; j < half; j++)
            {
                double invFreq = 1.0 / Math.Pow(_spec.RopeTheta, 2.0 * j / _spec.HeadSize);
                double angle = pos * (double)(float)invFreq;
                cos[pos * half + j] = (float)Math.Cos(angle);
                sin[pos * half + j] = (float)Math.Sin(angle);
            }
        _g.AddInitializer(Tensor.FromFloats("cos_cache", [_spec.Context, half], cos));
        _g.AddInitializer(Tensor.FromFloats("sin_cache", [_spec.Context, half], sin));
    }

    private string Embedding(string lmHeadWeight)
    {
        const string basename = "/model/embed_tokens";
        if (!_spec.TieEmbeddings)
        {
            AddWeight("model.embed_tokens.weight", [_spec.VocabSize, H]);
            return Node("Gather", $"{basename}/Gather", ["model.embed_tokens.weight", "input_ids"]);
        }
        // Tied: the builder stores only lm_head.MatMul.weight [hidden, vocab] and gathers rows of its transpose.
        AddWeight(lmHeadWeight, [H, _spec.VocabSize]);
        string transposed = Node("Transpose", $"{basename}/Transpose", [lmHeadWeight], Attr.Ints("perm", 1, 0));
        return Node("Gather", $"{basename}/Gather", [transposed, "input_ids"]);
    }

    private string SimplifiedLayerNorm(int layer, string location, string input)
    {
        string weight = NormWeight(layer, location);
        string output = $"/model/layers.{layer}/{location}_layernorm/output_0";
        _g.AddNode("SimplifiedLayerNormalization", [input, weight], [output], $"/model/layers.{layer}/{location}_layernorm/LayerNorm", "",
            Attr.Float("epsilon", _spec.RmsNormEpsilon), Attr.Int("axis", -1), Attr.Int("stash_type", 1));
        return output;
    }

    /// <summary>Adds <paramref name="skip"/> to the residual stream and normalises; returns (normed, new residual).</summary>
    private (string Normed, string Residual) SkipSimplifiedLayerNorm(int layer, string location, string residual, string skip, bool last)
    {
        string weight = NormWeight(layer, location);
        string output0 = $"/model/layers.{layer}/{location}_layernorm/output_0";
        string output3 = $"/model/layers.{layer}/{location}_layernorm/output_3";
        string[] outputs = last ? [output0] : [output0, "", "", output3];
        _g.AddNode("SkipSimplifiedLayerNormalization", [residual, skip, weight], outputs,
            $"/model/layers.{layer}/{location}_layernorm/SkipLayerNorm", Ms, Attr.Float("epsilon", _spec.RmsNormEpsilon));
        return (output0, last ? "" : output3);
    }

    private string NormWeight(int layer, string location)
    {
        string name = $"model.layers.{layer}.{location}_layernorm.weight";
        _g.AddInitializer(Tensor.FromFloats(name, [H], Enumerable.Repeat(1f, H).ToArray()));
        return name;
    }

    private string Attention(int layer, string input, string seqlensK, string totalSeqLen)
    {
        string basename = $"/model/layers.{layer}/attn";
        string qkv = MatMul($"{basename}/qkv_proj/MatMul", input, H, H + 2 * KvDim);
        if (_spec.QkvBias)
        {
            string bias = $"model.layers.{layer}.attn.qkv_proj.Add.bias";
            AddWeight(bias, [H + 2 * KvDim]);
            qkv = Node("Add", $"{basename}/qkv_proj/Add", [qkv, bias]);
        }
        string attnOut = $"{basename}/GroupQueryAttention/output_0";
        _g.AddNode("GroupQueryAttention",
            [qkv, "", "", $"past_key_values.{layer}.key", $"past_key_values.{layer}.value", seqlensK, totalSeqLen, "cos_cache", "sin_cache"],
            [attnOut, $"present.{layer}.key", $"present.{layer}.value"],
            $"{basename}/GroupQueryAttention", Ms,
            Attr.Int("num_heads", _spec.Heads), Attr.Int("kv_num_heads", _spec.KvHeads),
            Attr.Float("scale", 1f / MathF.Sqrt(_spec.HeadSize)), Attr.Int("local_window_size", -1), Attr.Float("softcap", 0f),
            Attr.Int("do_rotary", 1), Attr.Int("rotary_interleaved", _spec.RotaryInterleaved ? 1 : 0));
        return MatMul($"{basename}/o_proj/MatMul", attnOut, H, H);
    }

    /// <summary>SwiGLU MLP with SiLU written as Sigmoid·Mul, as the builder does for fp32 CPU.</summary>
    private string Mlp(int layer, string input)
    {
        string basename = $"/model/layers.{layer}/mlp";
        string gate = MatMul($"{basename}/gate_proj/MatMul", input, H, _spec.Intermediate);
        string up = MatMul($"{basename}/up_proj/MatMul", input, H, _spec.Intermediate);
        string sigmoid = Node("Sigmoid", $"{basename}/act_fn/Sigmoid", [gate]);
        string silu = Node("Mul", $"{basename}/act_fn/Mul", [gate, sigmoid]);
        string product = Node("Mul", $"{basename}/Mul", [silu, up]);
        return MatMul($"{basename}/down_proj/MatMul", product, _spec.Intermediate, H);
    }

    /// <summary>A MatMul named like the builder's; its weight is `name[1:]` with '/' → '.', plus ".weight", stored [in, out].</summary>
    private string MatMul(string name, string input, int inFeatures, int outFeatures)
    {
        string weight = name[1..].Replace('/', '.') + ".weight";
        AddWeight(weight, [inFeatures, outFeatures]);
        return Node("MatMul", name, [input, weight]);
    }

    private string Node(string opType, string name, string[] inputs, params global::Onnx.AttributeProto[] attributes)
    {
        string output = name + "/output_0";
        _g.AddNode(opType, inputs, [output], name, "", attributes);
        return output;
    }

    private void AddWeight(string name, long[] dims) =>
        _g.AddInitializer(Tensor.FromFloats(name, dims, _random.Normal(Tensor.ElementCount(dims), _spec.InitStd)));
}
