using Microsoft.ML.OnnxRuntime;
using ProRL.Onnx.Graph;
using ProRL.Onnx.IO;
using ProRL.Onnx.Models;
using ProRL.Onnx.Tensors;
using ProRL.Rollout.Engine;
using ProRL.Rollout.ModelGeneration;

namespace ProRL.Rollout.Tests;

public class ModelGeneratorTests
{
    [Fact]
    public void Presets_HaveTheAdvertisedSizes_AndCountMatchesTheWrittenWeights()
    {
        Assert.InRange(DecoderSpec.Tiny.ParameterCount(), 10_000, 500_000);
        Assert.InRange(DecoderSpec.Small.ParameterCount(), 10_000_000, 30_000_000);

        using var dir = new TempDirectory();
        var spec = DecoderSpec.Tiny with { Layers = 3, QkvBias = false };
        var folder = ModelGenerator.Write(spec, dir.Path);
        var model = OnnxModelIO.Load(folder.ModelPath);
        // Independent count: every float initializer except the rotary caches is a parameter.
        long written = model.Graph.Initializers
            .Where(t => t.DataType == TensorDataType.Float && t.Name is not ("cos_cache" or "sin_cache"))
            .Sum(t => t.ElementCount());
        Assert.Equal(spec.ParameterCount(), written);
    }

    [Fact]
    public void Graph_FollowsTheGenAiBuilderLayout()
    {
        using var dir = new TempDirectory();
        var spec = DecoderSpec.Tiny;
        var folder = ModelGenerator.Write(spec, dir.Path);
        var model = OnnxModelIO.Load(folder.ModelPath);
        var g = model.Graph;
        Node NodeNamed(string name) => Assert.Single(g.Nodes, n => n.Name == name);

        Assert.Equal(10, model.IrVersion);
        Assert.Equal(21, model.OpsetVersion());
        Assert.Equal(1, model.OpsetVersion(OnnxModel.MicrosoftDomain));
        Assert.Equal(["model.embed_tokens.weight", "input_ids"], NodeNamed("/model/embed_tokens/Gather").Inputs);
        Assert.Equal("SimplifiedLayerNormalization", NodeNamed("/model/layers.0/input_layernorm/LayerNorm").OpType);
        var skip = NodeNamed("/model/layers.1/input_layernorm/SkipLayerNorm");
        Assert.Equal(("SkipSimplifiedLayerNormalization", "com.microsoft"), (skip.OpType, skip.Domain));
        Assert.Equal("/model/layers.0/post_attention_layernorm/output_3", skip.Inputs[0]);
        Assert.Equal("/model/layers.0/mlp/down_proj/MatMul/output_0", skip.Inputs[1]);

        var gqa = NodeNamed("/model/layers.1/attn/GroupQueryAttention");
        Assert.Equal(("GroupQueryAttention", "com.microsoft"), (gqa.OpType, gqa.Domain));
        Assert.Equal(1, gqa.GetInt("do_rotary", 0));
        Assert.Equal(spec.Heads, gqa.GetInt("num_heads", 0));
        Assert.Equal(spec.KvHeads, gqa.GetInt("kv_num_heads", 0));
        Assert.Equal(["/model/layers.1/attn/qkv_proj/Add/output_0", "", "", "past_key_values.1.key", "past_key_values.1.value",
            "/model/attn_mask_reformat/attn_mask_subgraph/Sub/Cast/output_0",
            "/model/attn_mask_reformat/attn_mask_subgraph/Gather/Cast/output_0", "cos_cache", "sin_cache"], gqa.Inputs);
        Assert.Equal(["/model/layers.1/attn/GroupQueryAttention/output_0", "present.1.key", "present.1.value"], gqa.Outputs);

        Assert.Equal([spec.Hidden, spec.Hidden + 2 * spec.KvHeads * spec.HeadSize], g.Initializer("model.layers.0.attn.qkv_proj.MatMul.weight")!.Dims);
        Assert.Equal([spec.Hidden + 2 * spec.KvHeads * spec.HeadSize], g.Initializer("model.layers.0.attn.qkv_proj.Add.bias")!.Dims);
        Assert.Equal([spec.Hidden, spec.Intermediate], g.Initializer("model.layers.1.mlp.gate_proj.MatMul.weight")!.Dims);
        Assert.Equal([spec.Intermediate, spec.Hidden], g.Initializer("model.layers.1.mlp.down_proj.MatMul.weight")!.Dims);
        Assert.Equal([spec.Context, spec.HeadSize / 2], g.Initializer("cos_cache")!.Dims);
        Assert.NotNull(g.Initializer($"model.layers.{spec.Layers}.final_norm_layernorm.weight"));
        Assert.Equal("Sigmoid", NodeNamed("/model/layers.0/mlp/act_fn/Sigmoid").OpType);
        Assert.Equal(["/model/layers.2/final_norm_layernorm/output_0", "lm_head.MatMul.weight"], NodeNamed("/lm_head/MatMul").Inputs);
        Assert.Equal(["logits"], NodeNamed("/lm_head/MatMul").Outputs);

        Assert.Equal(["input_ids", "attention_mask", "past_key_values.0.key", "past_key_values.0.value", "past_key_values.1.key", "past_key_values.1.value"],
            g.Inputs.Select(i => i.Name));
        Assert.Equal(["logits", "present.0.key", "present.0.value", "present.1.key", "present.1.value"], g.Outputs.Select(o => o.Name));
        Assert.Equal("batch_size,2,past_sequence_length,16", string.Join(",", g.FindInput("past_key_values.0.key")!.Shape!));
        Assert.Equal("batch_size,total_sequence_length", string.Join(",", g.FindInput("attention_mask")!.Shape!));
        Assert.True(File.Exists(Path.Combine(dir.Path, "model.onnx.data")));
        Assert.True(new FileInfo(Path.Combine(dir.Path, "model.onnx.data")).Length > new FileInfo(folder.ModelPath).Length);
    }

    [Fact]
    public void GenAiConfig_DescribesTheDecoder()
    {
        using var dir = new TempDirectory();
        var spec = DecoderSpec.Tiny with { Layers = 3, Hidden = 96, Heads = 6, KvHeads = 3, Context = 128 };
        var config = ModelGenerator.Write(spec, dir.Path).Config;
        Assert.Equal("qwen2", config.Model.Type);
        Assert.Equal((3, 96, 6, 3, 16), (config.Model.Decoder.NumHiddenLayers, config.Model.Decoder.HiddenSize,
            config.Model.Decoder.NumAttentionHeads, config.Model.Decoder.NumKeyValueHeads, config.Model.Decoder.HeadSize));
        Assert.Equal(128, config.Model.ContextLength);
        Assert.Equal(ByteLevelTokenizer.VocabSize, config.Model.VocabSize);
        Assert.Equal([ByteLevelTokenizer.ImEndId, ByteLevelTokenizer.EndOfTextId], config.Model.EosTokenId);
        Assert.Equal("past_key_values.2.value", config.Model.Decoder.Inputs.PastValueName(2));
    }

    [Fact]
    public void SameSeed_GivesIdenticalBytes_OtherSeed_OtherWeights()
    {
        using var dir = new TempDirectory();
        ModelGenerator.Write(DecoderSpec.Tiny with { Seed = 3 }, dir.Sub("a"));
        ModelGenerator.Write(DecoderSpec.Tiny with { Seed = 3 }, dir.Sub("b"));
        ModelGenerator.Write(DecoderSpec.Tiny with { Seed = 4 }, dir.Sub("c"));
        var files = Directory.GetFiles(dir.Sub("a")).Select(f => Path.GetFileName(f)).Order().ToArray();
        Assert.Equal(["genai_config.json", "model.onnx", "model.onnx.data", "special_tokens_map.json", "tokenizer.json", "tokenizer_config.json"], files);
        foreach (var file in files)
            Assert.Equal(File.ReadAllBytes(Path.Combine(dir.Sub("a"), file)), File.ReadAllBytes(Path.Combine(dir.Sub("b"), file)));
        Assert.NotEqual(File.ReadAllBytes(Path.Combine(dir.Sub("a"), "model.onnx.data")), File.ReadAllBytes(Path.Combine(dir.Sub("c"), "model.onnx.data")));
    }

    [Fact]
    public void Weights_AreSmallNormal()
    {
        using var dir = new TempDirectory();
        var model = OnnxModelIO.Load(ModelGenerator.Write(DecoderSpec.Tiny, dir.Path).ModelPath);
        var w = model.Graph.Initializer("model.layers.0.mlp.up_proj.MatMul.weight")!.ToFloats();
        double mean = w.Average(v => (double)v);
        double std = Math.Sqrt(w.Average(v => (v - mean) * (v - mean)));
        Assert.InRange(mean, -0.002, 0.002);
        Assert.InRange(std, 0.018, 0.022);
        Assert.All(model.Graph.Initializer("model.layers.0.input_layernorm.weight")!.ToFloats(), v => Assert.Equal(1f, v));
    }

    [Fact]
    public void GeneratedModel_LoadsInAPlainOnnxRuntimeSession()
    {
        using var dir = new TempDirectory();
        var folder = ModelGenerator.Write(DecoderSpec.Tiny, dir.Path);
        using var session = new InferenceSession(folder.ModelPath);
        Assert.Equal(["input_ids", "attention_mask", "past_key_values.0.key", "past_key_values.0.value", "past_key_values.1.key", "past_key_values.1.value"],
            session.InputNames);
        Assert.Equal(new[] { -1, ByteLevelTokenizer.VocabSize }, session.OutputMetadata["logits"].Dimensions[1..]);
    }

    [Theory]
    [InlineData("layers=1")]
    [InlineData("layers=3")]
    [InlineData("hidden=96,heads=6,kv=3")]
    [InlineData("kv=4")]
    [InlineData("kv=1")]
    [InlineData("intermediate=40")]
    [InlineData("context=48")]
    [InlineData("tie")]
    [InlineData("nobias")]
    [InlineData("interleaved")]
    public void EveryArchitectureOverride_LoadsAndGenerates_WithLogitsEqualToOnnxRuntime(string variant)
    {
        var spec = ParseVariant(variant);
        using var dir = new TempDirectory();
        var folder = ModelGenerator.Write(spec, dir.Path);
        using var engine = new RolloutEngine(new RolloutEngineOptions { ModelPath = folder.Directory });
        var sample = Assert.Single(engine.Generate([RolloutPrompt.Raw("hello")], new SamplingSettings { Temperature = 0, MaxNewTokens = 6 }));
        // Greedy decoding of random weights may end early on an end-of-sequence token.
        if (sample.FinishReason == FinishReason.Eos) Assert.Contains(sample.CompletionTokenIds[^1], folder.Config.Model.EosTokenId);
        else Assert.Equal((FinishReason.Length, 6), (sample.FinishReason, sample.CompletionTokenIds.Length));
        using var reference = new LayoutReference(folder);
        EngineAssert.LogProbsMatchReference(reference, sample, temperature: 1.0);

        var graph = OnnxModelIO.Load(folder.ModelPath).Graph;
        Assert.Equal(spec.TieEmbeddings, graph.Initializer("model.embed_tokens.weight") is null);
        Assert.Equal(spec.QkvBias, graph.Nodes.Any(n => n.Name == "/model/layers.0/attn/qkv_proj/Add"));
        Assert.Equal(spec.RotaryInterleaved ? 1 : 0, graph.Nodes.First(n => n.OpType == "GroupQueryAttention").GetInt("rotary_interleaved", -1));
    }

    [Fact]
    public void RotaryInterleaving_ChangesTheNetwork()
    {
        using var dir = new TempDirectory();
        using var plain = new LayoutReference(ModelGenerator.Write(DecoderSpec.Tiny with { InitStd = 0.2f }, dir.Sub("a")));
        using var interleaved = new LayoutReference(ModelGenerator.Write(DecoderSpec.Tiny with { InitStd = 0.2f, RotaryInterleaved = true }, dir.Sub("b")));
        int[] tokens = [104, 101, 108, 108, 111];
        // Position 0 has no rotation, so both agree there; later positions must differ.
        Assert.Equal(plain.Forward(tokens)[0], interleaved.Forward(tokens)[0]);
        Assert.NotEqual(plain.Forward(tokens)[4], interleaved.Forward(tokens)[4]);
    }

    [Theory]
    [InlineData("hidden=60,heads=8", "multiple of heads")]
    [InlineData("heads=6,kv=4,hidden=96", "must divide heads")]
    [InlineData("layers=0", "layers")]
    public void InvalidShapes_AreRejectedNamingTheOption(string variant, string expected)
    {
        using var dir = new TempDirectory();
        var e = Assert.Throws<ArgumentException>(() => ModelGenerator.Write(ParseVariant(variant), dir.Path));
        Assert.Contains(expected, e.Message);
    }

    internal static DecoderSpec ParseVariant(string variant)
    {
        var spec = DecoderSpec.Tiny with { Seed = 11 };
        foreach (var part in variant.Split(',', StringSplitOptions.RemoveEmptyEntries))
        {
            var kv = part.Split('=');
            int Value() => int.Parse(kv[1], System.Globalization.CultureInfo.InvariantCulture);
            float FloatValue() => float.Parse(kv[1], System.Globalization.CultureInfo.InvariantCulture);
            spec = kv[0] switch
            {
                "layers" => spec with { Layers = Value() },
                "hidden" => spec with { Hidden = Value() },
                "heads" => spec with { Heads = Value() },
                "kv" => spec with { KvHeads = Value() },
                "intermediate" => spec with { Intermediate = Value() },
                "context" => spec with { Context = Value() },
                "tie" => spec with { TieEmbeddings = true },
                "nobias" => spec with { QkvBias = false },
                "interleaved" => spec with { RotaryInterleaved = true },
                "opset" => spec with { Opset = Value() },
                "fp16" => spec with { Precision = ModelPrecision.Fp16 },
                "bf16" => spec with { Precision = ModelPrecision.Bf16 },
                "gqa" => spec with { Attention = AttentionLayout.Gqa },
                "rotop" => spec with { Attention = AttentionLayout.GqaRotaryOp },
                "mha" => spec with { Attention = AttentionLayout.Mha },
                "unpacked" => spec with { UnpackedQkv = true },
                "qknorm" => spec with { QkNorm = true },
                "window" => spec with { SlidingWindow = Value() },
                "softcap" => spec with { Softcap = FloatValue() },
                "partial" => spec with { PartialRotary = FloatValue() },
                "vocab" => spec with { Vocab = Value() },
                "escale" => spec with { EmbeddingScale = true },
                "gelu" => spec with { Mlp = MlpActivation.GeluTanh },
                "std" => spec with { InitStd = FloatValue() },
                _ => throw new ArgumentException(part),
            };
        }
        return spec;
    }
}
