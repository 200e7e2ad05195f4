using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using Microsoft.ML.OnnxRuntimeGenAI;
using ProRL.Onnx.Graph;
using ProRL.Onnx.IO;
using ProRL.Onnx.Models;
using ProRL.Onnx.Tensors;
using ProRL.Rollout.ModelGeneration;
using Tensor = ProRL.Onnx.Tensors.Tensor;
using Xunit.Abstractions;

namespace ProRL.Rollout.Tests;

/// <summary>
/// The builder layouts `prorl model init` generates (attention layout, precision, opset, q/k norm, window, softcap,
/// partial rotary, padded vocabulary, Gemma options): each loads in ONNX Runtime and in GenAI, and the contrib kernels
/// themselves serve as the oracle: layouts that hold the same weights must compute the same logits.
/// </summary>
public class ModelGeneratorLayoutTests(ITestOutputHelper output)
{
    // Tolerances on logits of the std-0.2 tiny model (logits of order 1), measured and given headroom.
    private const float Fp32Tolerance = 1e-4f;
    private const float Fp16Tolerance = 0.03f;
    private const float Bf16WeightTolerance = 0.15f;
    private static readonly int[] Prompt = [104, 101, 108, 108, 111, 32, 119, 111];

    private static DecoderSpec Spec(string variant) => ModelGeneratorTests.ParseVariant("std=0.2," + variant);

    private static float ToleranceFor(DecoderSpec spec) => spec.Precision == ModelPrecision.Fp32 ? Fp32Tolerance : Fp16Tolerance;

    [Theory]
    [InlineData("mha,kv=4")]
    [InlineData("mha")]
    [InlineData("mha,kv=1,qknorm")]
    [InlineData("rotop")]
    [InlineData("rotop,kv=1")]
    [InlineData("unpacked")]
    [InlineData("qknorm")]
    [InlineData("qknorm,rotop")]
    [InlineData("window=3")]
    [InlineData("softcap=2")]
    [InlineData("heads=2,kv=1,partial=0.5")]
    [InlineData("partial=0.5,rotop")]
    [InlineData("partial=0.75,mha,kv=4")]
    [InlineData("vocab=300")]
    [InlineData("gelu,escale,tie,nobias")]
    [InlineData("gelu,escale,opset=14")]
    [InlineData("opset=14")]
    [InlineData("opset=14,mha,kv=4")]
    [InlineData("opset=17,rotop,qknorm")]
    [InlineData("fp16")]
    [InlineData("fp16,mha,kv=4,nobias")]
    [InlineData("fp16,rotop,qknorm")]
    [InlineData("fp16,opset=14,window=3,softcap=2")]
    [InlineData("fp16,gelu,escale,opset=14,tie")]
    [InlineData("fp16,gelu,heads=2,partial=0.5,vocab=300")]
    [InlineData("gelu,escale,tie,softcap=2,window=3")]
    public void Layout_LoadsInOrtAndGenAi_AndGenAiLogitsEqualOrtLogits(string variant)
    {
        var spec = Spec(variant);
        using var dir = new TempDirectory();
        var folder = ModelGenerator.Write(spec, dir.Path);
        using var reference = new LayoutReference(folder);
        Assert.Equal(spec.HasPositionIds, reference.HasPositionIds);
        Assert.Equal(spec.GenAiModelType, folder.Config.Model.Type);

        using var model = new Model(folder.Directory);
        using var parameters = new GeneratorParams(model);
        parameters.SetSearchOption("max_length", Prompt.Length + 6);
        parameters.SetSearchOption("do_sample", false);
        using var generator = new Generator(model, parameters);
        generator.AppendTokens(Prompt);
        var genAiLogits = new List<float[]>();
        // Each GenerateNextToken runs the model (the whole prompt first, then one token with the KV cache) and samples.
        while (!generator.IsDone() && genAiLogits.Count < 5)
        {
            generator.GenerateNextToken();
            using (var logits = generator.GetOutput("logits"))
            {
                var shape = logits.Shape();
                int last = (int)shape[1] - 1;
                var all = logits.Type() switch
                {
                    Microsoft.ML.OnnxRuntimeGenAI.ElementType.float32 => logits.GetData<float>().ToArray(),
                    Microsoft.ML.OnnxRuntimeGenAI.ElementType.float16 => logits.GetData<Half>().ToArray().Select(h => (float)h).ToArray(),
                    var other => throw new InvalidOperationException($"logits of type {other}"),
                };
                genAiLogits.Add(all.AsSpan(last * spec.VocabSize, spec.VocabSize).ToArray());
            }
        }
        var sequence = generator.GetSequence(0).ToArray();
        Assert.True(sequence.Length > Prompt.Length, "GenAI generated no token");
        Assert.Equal(Prompt, sequence.Take(Prompt.Length));

        var expected = reference.Forward(sequence);
        float max = 0;
        for (int step = 0; step < genAiLogits.Count; step++)
            max = Math.Max(max, genAiLogits[step].Zip(expected[Prompt.Length - 1 + step], (a, b) => Math.Abs(a - b)).Max());
        output.WriteLine($"{variant}: GenAI vs ORT max |Δlogit| = {max:G3} over {genAiLogits.Count} steps");
        Assert.True(max < ToleranceFor(spec), $"{variant}: GenAI logits differ from ORT's by {max}");
    }

    [Theory]
    [InlineData("")]
    [InlineData("kv=4")]
    [InlineData("kv=1,interleaved")]
    [InlineData("nobias")]
    [InlineData("qknorm")]
    [InlineData("heads=2,partial=0.5")]
    [InlineData("heads=2,kv=1,partial=0.5,interleaved")]
    [InlineData("opset=14,gelu,escale")]
    [InlineData("fp16")]
    [InlineData("fp16,kv=4")]
    public void AttentionLayouts_HoldingTheSameWeights_ComputeTheSameLogits(string extra)
    {
        // Same seed, so the same weights: the three layouts differ only in how rotary, KV-head groups and attention are
        // expressed, so GroupQueryAttention, RotaryEmbedding and MultiHeadAttention (+ repeat_kv) must agree.
        var baseSpec = Spec(extra);
        using var dir = new TempDirectory();
        var logits = new Dictionary<AttentionLayout, float[][]>();
        foreach (var layout in Enum.GetValues<AttentionLayout>())
        {
            using var reference = new LayoutReference(ModelGenerator.Write(baseSpec with { Attention = layout }, dir.Sub(layout.ToString())));
            logits[layout] = reference.Forward(Prompt);
            // The KV-cache path (one token at a time, past read back) gives the same logits as the full pass.
            float cacheGap = LayoutReference.MaxAbsDifference(logits[layout], reference.ForwardIncremental(Prompt));
            output.WriteLine($"{extra} {layout}: incremental vs full max |Δ| = {cacheGap:G3}");
            Assert.True(cacheGap < ToleranceFor(baseSpec), $"{layout}: KV-cache path differs by {cacheGap}");
        }
        float tolerance = ToleranceFor(baseSpec);
        foreach (var layout in new[] { AttentionLayout.GqaRotaryOp, AttentionLayout.Mha })
        {
            float gap = LayoutReference.MaxAbsDifference(logits[AttentionLayout.Gqa], logits[layout]);
            output.WriteLine($"{extra} gqa vs {layout}: max |Δ| = {gap:G3}");
            Assert.True(gap < tolerance, $"{extra}: {layout} differs from gqa by {gap}");
        }
        // Guard against a vacuous pass: the logits vary across positions and vocabulary.
        Assert.True(logits[AttentionLayout.Gqa][^1].Max() - logits[AttentionLayout.Gqa][^1].Min() > 0.1f);
    }

    [Fact]
    public void PackedAndUnpackedQkv_ComputeTheSameLogits()
    {
        using var dir = new TempDirectory();
        using var packed = new LayoutReference(ModelGenerator.Write(Spec(""), dir.Sub("packed")));
        using var unpacked = new LayoutReference(ModelGenerator.Write(Spec("unpacked"), dir.Sub("unpacked")));
        Assert.True(LayoutReference.MaxAbsDifference(packed.Forward(Prompt), unpacked.Forward(Prompt)) < 1e-5f);
    }

    [Theory]
    [InlineData("")]
    [InlineData("mha,kv=4")]
    [InlineData("rotop,qknorm")]
    [InlineData("gelu,escale")]
    public void Opsets14To21_ComputeTheSameLogits(string variant)
    {
        using var dir = new TempDirectory();
        using var latest = new LayoutReference(ModelGenerator.Write(Spec(variant), dir.Sub("21")));
        var expected = latest.Forward(Prompt);
        foreach (int opset in new[] { 14, 17, 19 })
        {
            using var older = new LayoutReference(ModelGenerator.Write(Spec(variant) with { Opset = opset }, dir.Sub(opset.ToString(System.Globalization.CultureInfo.InvariantCulture))));
            float gap = LayoutReference.MaxAbsDifference(expected, older.Forward(Prompt));
            output.WriteLine($"{variant} opset {opset} vs 21: max |Δ| = {gap:G3}");
            // FastGelu (before opset 20) and Gelu(approximate="tanh") are separate kernels: equal within float rounding.
            Assert.True(gap < 1e-5f, $"opset {opset}: {gap}");
        }
    }

    [Theory]
    [InlineData("")]
    [InlineData("mha,kv=4")]
    [InlineData("rotop,qknorm,window=3")]
    [InlineData("mha,gelu,escale,opset=14")]
    public void Fp16Logits_AreCloseToFp32(string variant)
    {
        using var dir = new TempDirectory();
        using var fp32 = new LayoutReference(ModelGenerator.Write(Spec(variant), dir.Sub("fp32")));
        using var fp16 = new LayoutReference(ModelGenerator.Write(Spec(variant) with { Precision = ModelPrecision.Fp16 }, dir.Sub("fp16")));
        Assert.Equal(TensorElementType.Float16, fp16.LogitsType);
        Assert.Equal(TensorElementType.Float16, fp16.CacheType);
        float gap = LayoutReference.MaxAbsDifference(fp32.Forward(Prompt), fp16.Forward(Prompt));
        output.WriteLine($"{variant} fp16 vs fp32: max |Δlogit| = {gap:G3}");
        Assert.True(gap < Fp16Tolerance, $"fp16 differs from fp32 by {gap}");
        Assert.True(gap > 0, "fp16 logits equal fp32's exactly: the model was not computed in fp16");
    }

    [Fact]
    public void SlidingWindowAndSoftcap_ChangeTheAttention()
    {
        using var dir = new TempDirectory();
        using var plain = new LayoutReference(ModelGenerator.Write(Spec("std=0.5"), dir.Sub("plain")));
        using var window = new LayoutReference(ModelGenerator.Write(Spec("std=0.5,window=2"), dir.Sub("window")));
        using var softcap = new LayoutReference(ModelGenerator.Write(Spec("std=0.5,softcap=0.05"), dir.Sub("softcap")));
        var p = plain.Forward(Prompt);
        var w = window.Forward(Prompt);
        // A window of 2 changes nothing while the sequence fits in it, and later positions once it does not.
        Assert.True(LayoutReference.MaxAbsDifference(p[..2], w[..2]) < 1e-5f);
        Assert.True(LayoutReference.MaxAbsDifference(p[3..], w[3..]) > 1e-3f);
        Assert.True(LayoutReference.MaxAbsDifference(p[1..], softcap.Forward(Prompt)[1..]) > 1e-3f);
    }

    [Fact]
    public void Bf16_HasBf16WeightsAndCache_AndFloatLogitsThroughACast()
    {
        using var dir = new TempDirectory();
        var spec = Spec("bf16");
        var folder = ModelGenerator.Write(spec, dir.Path);
        var model = OnnxModelIO.Load(folder.ModelPath);
        var g = model.Graph;
        Assert.Equal(TensorDataType.BFloat16, g.Initializer("model.layers.0.attn.qkv_proj.MatMul.weight")!.DataType);
        Assert.Equal(TensorDataType.BFloat16, g.Initializer("cos_cache")!.DataType);
        Assert.Equal(TensorDataType.BFloat16, g.FindInput("past_key_values.1.value")!.ElementType);
        Assert.Equal(TensorDataType.Float, g.Outputs.Single(o => o.Name == "logits").ElementType);
        var cast = Assert.Single(g.Nodes, n => n.Outputs.Contains("logits"));
        Assert.Equal(("Cast", "/lm_head/Cast", (long)TensorDataType.Float), (cast.OpType, cast.Name, cast.GetInt("to", 0)));
        // The bf16 weights are the fp32 model's, rounded.
        var fp32 = OnnxModelIO.Load(ModelGenerator.Write(Spec(""), dir.Sub("fp32")).ModelPath);
        var a = fp32.Graph.Initializer("model.layers.1.mlp.up_proj.MatMul.weight")!.ToFloats();
        var b = g.Initializer("model.layers.1.mlp.up_proj.MatMul.weight")!.ToFloats();
        Assert.All(a.Zip(b), x => Assert.True(Math.Abs(x.First - x.Second) <= Math.Abs(x.First) / 128 + 1e-30f));
    }

    [Theory]
    [InlineData("")]
    [InlineData("mha")]
    [InlineData("rotop,qknorm,window=3")]
    public void Bf16Graph_WithItsWeightsWidened_RunsAndIsCloseToFp32(string variant)
    {
        // ONNX Runtime's CPU provider has no bf16 MatMul (the builder writes bf16 for CUDA), so the bf16 graph is run
        // with every bf16 tensor, type and Cast widened to float32: same nodes, bf16-rounded weights and caches.
        using var dir = new TempDirectory();
        var bf16Folder = ModelGenerator.Write(Spec(variant) with { Precision = ModelPrecision.Bf16 }, dir.Sub("bf16"));
        var model = OnnxModelIO.Load(bf16Folder.ModelPath);
        var g = model.Graph;
        foreach (var t in g.Initializers.Where(t => t.DataType == TensorDataType.BFloat16).ToList())
            g.SetInitializer(Tensor.FromFloats(t.Name, TensorDataType.Float, t.Dims, t.ToFloats()));
        foreach (var list in new[] { g.Inputs, g.Outputs })
            for (int i = 0; i < list.Count; i++)
                if (list[i].ElementType == TensorDataType.BFloat16) list[i] = list[i] with { ElementType = TensorDataType.Float };
        foreach (var node in g.Nodes)
        {
            if (node.OpType == "Cast" && node.GetInt("to", 0) == (long)TensorDataType.BFloat16)
                node.SetAttribute(Attr.Int("to", (long)TensorDataType.Float));
            if (node.Attribute("value") is { T: { DataType: (int)TensorDataType.BFloat16 } proto })
            {
                var value = TensorProtoConverter.FromProto(proto);
                node.SetAttribute(Attr.Tensor("value", Tensor.FromFloats("", TensorDataType.Float, value.Dims, value.ToFloats())));
            }
        }
        File.Delete(bf16Folder.ModelPath);
        File.Delete(Path.Combine(bf16Folder.Directory, ModelGenerator.DataFileName));
        OnnxModelIO.Save(model, bf16Folder.ModelPath, ExternalDataOptions.SideFile(ModelGenerator.DataFileName));

        using var widened = new LayoutReference(ModelFolder.Open(bf16Folder.Directory));
        using var fp32 = new LayoutReference(ModelGenerator.Write(Spec(variant), dir.Sub("fp32")));
        float gap = LayoutReference.MaxAbsDifference(fp32.Forward(Prompt), widened.Forward(Prompt));
        output.WriteLine($"{variant} bf16 weights (float compute) vs fp32: max |Δlogit| = {gap:G3}");
        Assert.True(gap > 0 && gap < Bf16WeightTolerance, $"bf16-rounded weights change the logits by {gap}");
    }

    [Fact]
    public void MhaLayout_FollowsTheBuilderExport()
    {
        using var dir = new TempDirectory();
        var spec = Spec("mha,kv=4,fp16,opset=14,nobias");
        var folder = ModelGenerator.Write(spec, dir.Path);
        var model = OnnxModelIO.Load(folder.ModelPath);
        var g = model.Graph;
        Assert.Equal((7L, 14L), (model.IrVersion, model.OpsetVersion()));
        Assert.Equal(["input_ids", "attention_mask", "position_ids"], g.Inputs.Take(3).Select(i => i.Name));
        // The mask subgraph reads the KV cache through Shape, as the fp16 fixture does.
        var shape = Assert.Single(g.Nodes, n => n.Inputs.Contains("past_key_values.0.key") && n.OpType == "Shape");
        Assert.Equal("/model/attn_mask_reformat/past_key_subgraph/Shape", shape.Name);
        var mha = Assert.Single(g.Nodes, n => n.Name == "/model/layers.1/attn/MultiHeadAttention");
        Assert.Equal(["/model/layers.1/attn/q_rotary/RotaryEmbedding/output_0", "/model/layers.1/attn/k_rotary/RotaryEmbedding/output_0",
            "/model/layers.1/attn/v_proj/MatMul/output_0", "", "", "/model/attn_mask_reformat/Tile/output_0", "past_key_values.1.key", "past_key_values.1.value"],
            mha.Inputs);
        var rotary = Assert.Single(g.Nodes, n => n.Name == "/model/layers.0/attn/k_rotary/RotaryEmbedding");
        Assert.Equal(["/model/layers.0/attn/k_proj/MatMul/output_0", "position_ids", "cos_cache", "sin_cache"], rotary.Inputs);
        Assert.Equal(TensorDataType.Float16, g.Initializer("model.layers.0.attn.q_proj.MatMul.weight")!.DataType);
        Assert.DoesNotContain(g.Nodes, n => n.OpType == "GroupQueryAttention");
        Assert.Equal("position_ids", folder.Config.Model.Decoder.Inputs.PositionIds);
        Assert.False(folder.Config.Search!.PastPresentShareBuffer);
    }

    [Fact]
    public void MhaWithFewerKvHeads_RepeatsKvAsTheBuilderDoes()
    {
        using var dir = new TempDirectory();
        var folder = ModelGenerator.Write(Spec("mha"), dir.Path);
        var g = OnnxModelIO.Load(folder.ModelPath).Graph;
        var concat = Assert.Single(g.Nodes, n => n.Outputs.Contains("present.0.key"));
        Assert.Equal(("Concat", "/model/layers.0/attn/k_proj/repeat_kv/Concat_1"), (concat.OpType, concat.Name));
        Assert.Equal("past_key_values.0.key", concat.Inputs[0]);
        var mha = Assert.Single(g.Nodes, n => n.Name == "/model/layers.0/attn/MultiHeadAttention");
        Assert.Equal(["/model/layers.0/attn/k_proj/repeat_kv/Reshape_4/output_0", "/model/layers.0/attn/v_proj/repeat_kv/Reshape_4/output_0"], mha.Inputs.Skip(1).Take(2));
        Assert.Equal(["", ""], mha.Inputs.Skip(6));
        Assert.Equal("/model/constants/INT64/[0, 0, 2, -1]", g.Nodes.First(n => n.Name == "/model/layers.0/attn/v_proj/repeat_kv/Reshape_1").Inputs[1]);
    }

    [Fact]
    public void GqaVariants_SetTheBuilderAttributes()
    {
        using var dir = new TempDirectory();
        var spec = Spec("rotop,qknorm,window=5,softcap=30,partial=0.5,interleaved,vocab=320,opset=17");
        var folder = ModelGenerator.Write(spec, dir.Path);
        var model = OnnxModelIO.Load(folder.ModelPath);
        var g = model.Graph;
        Assert.Equal((8L, 17L), (model.IrVersion, model.OpsetVersion()));
        var gqa = Assert.Single(g.Nodes, n => n.Name == "/model/layers.0/attn/GroupQueryAttention");
        Assert.Equal((0L, 5L, 30f, 1L), (gqa.GetInt("do_rotary", -1), gqa.GetInt("local_window_size", 0), gqa.GetFloat("softcap", 0), gqa.GetInt("rotary_interleaved", -1)));
        Assert.Equal(["/model/layers.0/attn/q_rotary/RotaryEmbedding/output_0", "/model/layers.0/attn/k_rotary/RotaryEmbedding/output_0",
            "/model/layers.0/attn/v_proj/Add/output_0"], gqa.Inputs.Take(3));
        Assert.Equal("", gqa.Inputs[7]);
        var qRotary = Assert.Single(g.Nodes, n => n.Name == "/model/layers.0/attn/q_rotary/RotaryEmbedding");
        Assert.Equal("/model/layers.0/attn/q_norm/Reshape_2/output_0", qRotary.Inputs[0]);
        Assert.Equal((4L, 8L, 1L), (qRotary.GetInt("num_heads", 0), qRotary.GetInt("rotary_embedding_dim", 0), qRotary.GetInt("interleaved", 0)));
        Assert.Equal([spec.Context, 4], g.Initializer("cos_cache")!.Dims);
        Assert.Equal([16], g.Initializer("model.layers.1.attn.k_norm.layernorm.weight")!.Dims);
        Assert.Equal("SimplifiedLayerNormalization", Assert.Single(g.Nodes, n => n.Name == "/model/layers.1/attn/k_norm/SimplifiedLayerNormalization").OpType);
        Assert.Equal([320, spec.Hidden], g.Initializer("model.embed_tokens.weight")!.Dims);
        Assert.Equal(320, folder.Config.Model.VocabSize);
        Assert.Equal("qwen3", folder.Config.Model.Type);
        Assert.True(folder.Config.Search!.PastPresentShareBuffer);
        // Parameters: every float initializer except the caches.
        Assert.Equal(spec.ParameterCount(), g.Initializers.Where(t => t.DataType == TensorDataType.Float && t.Name is not ("cos_cache" or "sin_cache")).Sum(t => t.ElementCount()));
    }

    [Theory]
    [InlineData(14, "FastGelu", "com.microsoft")]
    [InlineData(20, "Gelu", "")]
    public void GemmaOptions_ScaleTheEmbedding_AndUseTheOpsetsGelu(int opset, string op, string domain)
    {
        using var dir = new TempDirectory();
        var folder = ModelGenerator.Write(Spec($"gelu,escale,opset={opset}"), dir.Path);
        var g = OnnxModelIO.Load(folder.ModelPath).Graph;
        var act = Assert.Single(g.Nodes, n => n.Name == "/model/layers.0/mlp/act_fn/FastGelu");
        Assert.Equal((op, domain), (act.OpType, act.Domain));
        if (op == "Gelu") Assert.Equal("tanh", act.GetString("approximate", ""));
        var mul = Assert.Single(g.Nodes, n => n.Name == "/model/embed_tokens/Mul");
        Assert.Equal(8f, g.Initializer(mul.Inputs[1])!.ToFloats().Single());
        Assert.Equal("gemma", folder.Config.Model.Type);
    }

    [Theory]
    [InlineData("mha,kv=4,window=4", "sliding-window")]
    [InlineData("mha,kv=4,softcap=5", "softcap")]
    [InlineData("opset=13", "opset")]
    [InlineData("opset=22", "opset")]
    [InlineData("vocab=100", "vocab")]
    [InlineData("partial=0.1", "partial-rotary")]
    [InlineData("partial=1.5", "partial-rotary")]
    [InlineData("window=0", "sliding-window")]
    [InlineData("partial=0.5", "multiple of 8")]
    public void UnsupportedCombinations_AreRefusedNamingTheOption(string variant, string expected)
    {
        using var dir = new TempDirectory();
        var e = Assert.Throws<ArgumentException>(() => ModelGenerator.Write(ModelGeneratorTests.ParseVariant(variant), dir.Path));
        Assert.Contains(expected, e.Message);
    }
}
