using Microsoft.ML.OnnxRuntime.Tensors;
using ProRL.Onnx.Graph;
using ProRL.Onnx.IO;
using ProRL.Onnx.Tensors;
using ProRL.Rollout.ModelGeneration;
using ProRL.Training.Lowering;
using Tensor = ProRL.Onnx.Tensors.Tensor;
using static ProRL.Training.Tests.Lowering.OrtHarness;

namespace ProRL.Training.Tests.Lowering;

/// <summary>Whole generated GenAI-layout decoders: lowered logits against the original model's prefill logits.</summary>
public class DecoderLoweringTests
{
    private static readonly int[] RowLengths = [9, 6, 2];
    private const int Seq = 9;

    private static OnnxModel Generate(DecoderSpec spec)
    {
        var dir = Path.Combine(Path.GetTempPath(), "prorl-lowering-" + Guid.NewGuid().ToString("N"));
        try
        {
            ModelGenerator.Write(spec, dir);
            return OnnxModelIO.Load(Path.Combine(dir, ModelGenerator.ModelFileName));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    /// <summary>Right-padded token batch and its mask (pads are token 0 with mask 0).</summary>
    private static (DenseTensor<long> Ids, DenseTensor<long> Mask) Batch(int vocab, int seed)
    {
        var random = new Random(seed);
        var ids = new DenseTensor<long>([RowLengths.Length, Seq]);
        var mask = new DenseTensor<long>([RowLengths.Length, Seq]);
        for (int b = 0; b < RowLengths.Length; b++)
            for (int t = 0; t < RowLengths[b]; t++)
            {
                ids[b, t] = random.Next(1, vocab);
                mask[b, t] = 1;
            }
        return (ids, mask);
    }

    private static void AssertLogitsMatchPrefill(DecoderSpec spec)
    {
        var original = Generate(spec);
        var lowered = DecoderLowering.ForTraining(original, new LoweringOptions { ModelName = "generated" });
        var (ids, mask) = Batch(spec.VocabSize, spec.Layers * 7 + spec.Heads);

        // The original runs as GenAI's first step: empty KV cache (past_sequence_length 0).
        var prefillFeeds = new Dictionary<string, object> { ["input_ids"] = ids, ["attention_mask"] = mask };
        foreach (var input in original.Graph.Inputs.Where(i => i.Name.StartsWith("past_key_values.")))
            prefillFeeds[input.Name] = new DenseTensor<float>([RowLengths.Length, spec.KvHeads, 0, spec.HeadSize]);
        var expected = RunOutput(original, prefillFeeds, "logits");
        var actual = Run(lowered, new Dictionary<string, object> { ["input_ids"] = ids, ["attention_mask"] = mask })["logits"];

        int vocab = spec.VocabSize;
        bool RealToken(int index) => index / vocab % Seq < RowLengths[index / (vocab * Seq)];
        double diff = MaxAbsDiff(expected, actual, RealToken);
        Assert.True(diff <= 1e-4, $"logits: max abs diff {diff}");
        Assert.True(expected.Where((_, i) => RealToken(i)).Max(Math.Abs) > 1e-3, "logits are trivially small; the comparison would prove nothing");
        Assert.All(actual, v => Assert.True(float.IsFinite(v))); // padded positions too
    }

    private static float[] RunOutput(OnnxModel model, Dictionary<string, object> feeds, string output)
    {
        var onlyLogits = model.Clone();
        onlyLogits.Graph.Outputs.RemoveAll(o => o.Name != output);
        return Run(onlyLogits, feeds)[output];
    }

    [Fact]
    public void Lowered_tiny_decoder_matches_original_prefill_logits() => AssertLogitsMatchPrefill(DecoderSpec.Tiny with { InitStd = 0.2f });

    [Fact]
    public void Lowered_decoder_with_tied_embeddings_matches() =>
        AssertLogitsMatchPrefill(DecoderSpec.Tiny with { TieEmbeddings = true, InitStd = 0.2f, Seed = 3 });

    [Fact]
    public void Lowered_decoder_without_qkv_bias_and_interleaved_rotary_matches() =>
        AssertLogitsMatchPrefill(DecoderSpec.Tiny with { QkvBias = false, RotaryInterleaved = true, InitStd = 0.2f, Seed = 5, Layers = 3, KvHeads = 1 });

    /// <summary>The export as the builder writes it in fp16/bf16: weights, caches and float I/O in the half type.</summary>
    private static OnnxModel ToHalfExport(OnnxModel model, TensorDataType half)
    {
        var copy = model.Clone();
        foreach (var t in copy.Graph.Initializers.ToList())
            if (t.DataType == TensorDataType.Float) copy.Graph.SetInitializer(Tensor.FromFloats(t.Name, half, t.Dims, t.ToFloats()));
        for (int i = 0; i < copy.Graph.Inputs.Count; i++)
            if (copy.Graph.Inputs[i].ElementType == TensorDataType.Float) copy.Graph.Inputs[i] = copy.Graph.Inputs[i] with { ElementType = half };
        for (int i = 0; i < copy.Graph.Outputs.Count; i++)
            if (copy.Graph.Outputs[i].ElementType == TensorDataType.Float) copy.Graph.Outputs[i] = copy.Graph.Outputs[i] with { ElementType = half };
        return copy;
    }

    [Theory]
    [InlineData(TensorDataType.Float16)]
    [InlineData(TensorDataType.BFloat16)]
    public void Half_export_converted_to_float32_trains_on_the_rounded_weights(TensorDataType half)
    {
        var spec = DecoderSpec.Tiny with { InitStd = 0.2f, Seed = 9 };
        var halfExport = ToHalfExport(Generate(spec), half);
        var converted = DecoderLowering.ForTraining(PrecisionConversion.ConvertToFloat32(halfExport));
        Assert.All(converted.Graph.Initializers.Where(t => t.DataType.IsFloatingPoint()), t => Assert.Equal(TensorDataType.Float, t.DataType));
        Assert.Equal(TensorDataType.Float, converted.Graph.Outputs.Single().ElementType);

        // Oracle: the fp32 model whose weights went through the half type and back.
        var rounded = ToHalfExport(Generate(spec), half);
        foreach (var t in rounded.Graph.Initializers.ToList())
            if (t.DataType == half) rounded.Graph.SetInitializer(Tensor.FromFloats(t.Name, t.Dims, t.ToFloats()));
        foreach (var list in new[] { rounded.Graph.Inputs, rounded.Graph.Outputs })
            for (int i = 0; i < list.Count; i++)
                if (list[i].ElementType == half) list[i] = list[i] with { ElementType = TensorDataType.Float };
        var (ids, mask) = Batch(spec.VocabSize, 1);
        var feeds = new Dictionary<string, object> { ["input_ids"] = ids, ["attention_mask"] = mask };
        double diff = MaxAbsDiff(Run(DecoderLowering.ForTraining(rounded), feeds)["logits"], Run(converted, feeds)["logits"]);
        Assert.True(diff <= 1e-6, $"logits: max abs diff {diff}");
    }

    [Fact]
    public void ForTraining_keeps_only_ids_mask_and_logits_and_all_weights()
    {
        var original = Generate(DecoderSpec.Tiny);
        var lowered = DecoderLowering.ForTraining(original);

        Assert.Equal(["input_ids", "attention_mask"], lowered.Graph.Inputs.Select(i => i.Name));
        Assert.All(lowered.Graph.Inputs, i => Assert.Equal(TensorDataType.Int64, i.ElementType));
        Assert.Equal(["logits"], lowered.Graph.Outputs.Select(o => o.Name));
        AssertNoContribOps(lowered);
        Assert.False(lowered.Opsets.ContainsKey(OnnxModel.MicrosoftDomain));
        foreach (var weight in original.Graph.Initializers.Where(t => t.Name.EndsWith(".weight")))
            Assert.Same(weight.Data, lowered.Graph.Initializer(weight.Name)!.Data);
        // Only ops with simple (or no) gradients remain.
        string[] allowed = ["Gather", "MatMul", "Add", "Sub", "Mul", "Div", "Sqrt", "ReduceMean", "ReduceSum", "Sigmoid", "Reshape",
            "Transpose", "Slice", "Split", "Concat", "Unsqueeze", "Softmax", "Where", "Cast", "Shape", "Range", "Less", "GreaterOrEqual", "And"];
        Assert.All(lowered.Graph.Nodes, n => Assert.Contains(n.OpType, allowed));
        // The export itself is untouched.
        Assert.Contains(original.Graph.Nodes, n => n.OpType == "GroupQueryAttention");
        Assert.Contains(original.Graph.Inputs, i => i.Name.StartsWith("past_key_values."));
    }

    [Fact]
    public void ForTraining_rejects_int4_exports_with_advice()
    {
        var model = SingleNode("MatMulNBits", OnnxModel.MicrosoftDomain, [F("input_ids", 1, 4)], [F("logits", 1, 4)]);
        var error = Assert.Throws<LoweringException>(() => DecoderLowering.ForTraining(model, new LoweringOptions { ModelName = "qwen-int4" }));
        Assert.Contains("qwen-int4", error.Message);
        Assert.Contains("MatMulNBits", error.Message);
        Assert.Contains("--precision fp32", error.Message);
    }

    [Fact]
    public void ForTraining_replaces_position_ids_input_with_zero_to_t_minus_one()
    {
        var graph = new OnnxGraph { Name = "positions" };
        graph.Inputs.Add(new ValueInfo("input_ids", TensorDataType.Int64, ["b", "t"]));
        graph.Inputs.Add(new ValueInfo("attention_mask", TensorDataType.Int64, ["b", "t"]));
        graph.Inputs.Add(new ValueInfo("position_ids", TensorDataType.Int64, ["b", "t"]));
        graph.Outputs.Add(new ValueInfo("logits", TensorDataType.Float, ["b", "t", 1]));
        var asFloat = graph.Op("Cast", ["position_ids"], Attr.Int("to", (long)TensorDataType.Float));
        graph.AddNode("Unsqueeze", [asFloat, graph.ConstInt64s("axes", -1)], ["logits"]);
        var lowered = DecoderLowering.ForTraining(new OnnxModel(graph));

        Assert.DoesNotContain(lowered.Graph.Inputs, i => i.Name == "position_ids");
        var ids = new DenseTensor<long>(new long[] { 5, 6, 7, 8, 9, 0 }, [2, 3]);
        var logits = Run(lowered, new Dictionary<string, object> { ["input_ids"] = ids, ["attention_mask"] = ids })["logits"];
        Assert.Equal([0f, 1f, 2f, 0f, 1f, 2f], logits);
    }

    [Fact]
    public void ForTraining_declares_int32_token_inputs_as_int64()
    {
        var graph = new OnnxGraph { Name = "int32-ids" };
        graph.Inputs.Add(new ValueInfo("input_ids", TensorDataType.Int32, ["b", "t"]));
        graph.Inputs.Add(new ValueInfo("attention_mask", TensorDataType.Int32, ["b", "t"]));
        graph.Outputs.Add(new ValueInfo("logits", TensorDataType.Float, ["b", "t"]));
        var sum = graph.Op("Add", ["input_ids", "attention_mask"]);
        graph.AddNode("Cast", [sum], ["logits"], "to_float", "", Attr.Int("to", (long)TensorDataType.Float));
        var lowered = DecoderLowering.ForTraining(new OnnxModel(graph));

        Assert.All(lowered.Graph.Inputs, i => Assert.Equal(TensorDataType.Int64, i.ElementType));
        var ids = new DenseTensor<long>(new long[] { 5, 6, 7, 8 }, [2, 2]);
        var mask = new DenseTensor<long>(new long[] { 1, 1, 1, 0 }, [2, 2]);
        Assert.Equal([6f, 7f, 8f, 8f], Run(lowered, new Dictionary<string, object> { ["input_ids"] = ids, ["attention_mask"] = mask })["logits"]);
    }

    [Fact]
    public void A_kv_cache_read_outside_attention_sees_an_empty_cache_of_the_batchs_size()
    {
        // The builder's attention-mask subgraph reads the past length through Shape(past_key_values.0.key)[2].
        var graph = new OnnxGraph { Name = "shape-of-cache" };
        graph.Inputs.Add(new ValueInfo("input_ids", TensorDataType.Int64, ["b", "t"]));
        graph.Inputs.Add(new ValueInfo("attention_mask", TensorDataType.Int64, ["b", "t"]));
        graph.Inputs.Add(F("past_key_values.0.key", "b", 1, "p", 8));
        graph.Outputs.Add(new ValueInfo("logits", TensorDataType.Float, [4]));
        var shape = graph.Op("Shape", ["past_key_values.0.key"]);
        graph.AddNode("Cast", [shape], ["logits"], "reads_cache", "", Attr.Int("to", (long)TensorDataType.Float));
        var lowered = DecoderLowering.ForTraining(new OnnxModel(graph));

        Assert.DoesNotContain(lowered.Graph.Inputs, i => i.Name.StartsWith("past_", StringComparison.Ordinal));
        var ids = new DenseTensor<long>(new long[] { 5, 6, 7, 8, 9, 10 }, [3, 2]);
        var mask = new DenseTensor<long>(new long[] { 1, 1, 1, 1, 1, 0 }, [3, 2]);
        Assert.Equal([3f, 1f, 0f, 8f], Run(lowered, new Dictionary<string, object> { ["input_ids"] = ids, ["attention_mask"] = mask })["logits"]);
    }

    [Fact]
    public void A_kv_cache_whose_past_axis_cannot_be_told_is_refused_naming_the_reader()
    {
        var graph = new OnnxGraph { Name = "odd-cache" };
        graph.Inputs.Add(new ValueInfo("input_ids", TensorDataType.Int64, ["b", "t"]));
        graph.Inputs.Add(new ValueInfo("attention_mask", TensorDataType.Int64, ["b", "t"]));
        graph.Inputs.Add(F("past_key_values.0.key", "b", "h", "p", 8));
        graph.Outputs.Add(F("logits", "b", "h", "p", 8));
        graph.AddNode("Identity", ["past_key_values.0.key"], ["logits"], "reads_cache");
        var error = Assert.Throws<LoweringException>(() => DecoderLowering.ForTraining(new OnnxModel(graph)));
        Assert.Contains("reads_cache", error.Message);
        Assert.Contains("past_key_values.0.key", error.Message);
    }
}
