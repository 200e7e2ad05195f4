using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using ProRL.Cli;
using ProRL.Cli.Export;
using ProRL.Onnx.IO;
using ProRL.Onnx.Models;
using ProRL.Rollout.ModelGeneration;
using ProRL.Worker.RunDirectory;

namespace ProRL.EndToEnd.Tests.Export;

/// <summary>
/// `prorl export --format safetensors-hf` on a run's committed policy: an independent PyTorch forward pass with
/// transformers' semantics over the exported names and config.json must reproduce ONNX Runtime's logits of the
/// policy's ONNX export on the same tokens.
/// </summary>
public sealed class ExportTests : IDisposable
{
    private readonly string _temp = Path.Combine(Path.GetTempPath(), "prorl-export-tests", Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        try { Directory.Delete(_temp, recursive: true); } catch (IOException) { }
    }

    public static TheoryData<string> Layouts() => ["qwen2-packed-bias", "llama-tied-nobias", "qwen3-qknorm", "qwen2-mha-unpacked", "mistral-window"];

    private static DecoderSpec Spec(string layout)
    {
        // Large weights (std 0.3) make every mistake visible in the logits.
        var tiny = DecoderSpec.Tiny with { InitStd = 0.3f, Seed = 11, Context = 64, KvHeads = 2, Layers = 2 };
        return layout switch
        {
            "qwen2-packed-bias" => tiny,
            "llama-tied-nobias" => tiny with { TieEmbeddings = true, QkvBias = false, ModelType = "llama", RopeTheta = 500000f },
            "qwen3-qknorm" => tiny with { QkNorm = true, QkvBias = false, RopeTheta = 1000000f },
            "qwen2-mha-unpacked" => tiny with { Attention = AttentionLayout.Mha, KvHeads = 4 },
            "mistral-window" => tiny with { SlidingWindow = 4, QkvBias = false },
            _ => throw new ArgumentException(layout),
        };
    }

    [Theory]
    [MemberData(nameof(Layouts))]
    public void Exported_safetensors_reproduce_the_ONNX_logits_in_a_PyTorch_forward_pass(string layout)
    {
        var spec = Spec(layout);
        var model = ModelGenerator.Write(spec, Path.Combine(_temp, "model"));
        var run = RunStore.Open(Path.Combine(_temp, "run"));
        run.EnsureInitialVersions(model.Directory);
        var policy = run.Policy.ReadLatest()!;
        // Make the layer norms differ from 1 so that a misplaced norm weight shows too (committed as v1).
        var onnx = OnnxModelIO.Load(Path.Combine(policy.FolderPath, ModelGenerator.ModelFileName));
        var rng = new Random(5);
        foreach (var t in onnx.Graph.Initializers.Where(t => t.Name.EndsWith("layernorm.weight", StringComparison.Ordinal)).ToList())
        {
            var values = t.ToFloats().Select(_ => 0.5f + (float)rng.NextDouble()).ToArray();
            Array.Copy(ProRL.Onnx.Tensors.Tensor.FromFloats(t.Name, t.DataType, t.Dims, values).Data, t.Data, t.Data.Length);
        }
        run.Policy.Commit(1, folder =>
        {
            RunStore.CopyFolder(policy.FolderPath, folder);
            OnnxModelIO.Save(onnx, Path.Combine(folder, ModelGenerator.ModelFileName), ExternalDataOptions.SideFile(ModelGenerator.DataFileName));
        });

        var outDir = Path.Combine(_temp, "hf");
        Assert.Equal(0, CliApp.Build().Run(["export", "--run", run.Root, "--format", "safetensors-hf", "--out", outDir]));
        var config = JsonNode.Parse(File.ReadAllText(Path.Combine(outDir, "config.json")))!;
        Assert.Equal((double)spec.RopeTheta, (double)config["rope_theta"]!);
        Assert.Equal(spec.TieEmbeddings, (bool)config["tie_word_embeddings"]!);
        var names = Safetensors.Load(Path.Combine(outDir, "model.safetensors")).Tensors.Select(t => t.Name).ToHashSet();
        Assert.Contains("model.layers.1.self_attn.k_proj.weight", names);
        Assert.DoesNotContain(names, n => n.Contains("MatMul", StringComparison.Ordinal) || n.Contains("cache", StringComparison.Ordinal));
        Assert.Equal(!spec.TieEmbeddings, names.Contains("lm_head.weight"));

        int[] tokens = [72, 101, 108, 108, 111, 44, 32, 119, 111, 114, 108, 100];
        AssertSameLogits(layout, run.Policy.ReadLatest()!.FolderPath, outDir, tokens, tolerance: 1e-4, minLargest: 1);
    }

    /// <summary>The builder's own tiny random exports (fixtures), fp32 and fp16 with MultiHeadAttention.</summary>
    [Theory]
    [InlineData(ProRL.TestSupport.SharedFixtures.LlamaFp32Opset14, 1e-4)]
    [InlineData(ProRL.TestSupport.SharedFixtures.LlamaFp16Mha, 5e-3)]
    public void Real_builder_exports_reproduce_their_logits(string fixture, double tolerance)
    {
        var run = RunStore.Open(Path.Combine(_temp, "run"));
        run.EnsureInitialVersions(ProRL.TestSupport.SharedFixtures.Path(fixture));
        var outDir = Path.Combine(_temp, "hf");
        Assert.Equal(0, CliApp.Build().Run(["export", "--run", run.Root, "--version", "0", "--format", "safetensors-hf", "--out", outDir]));
        Assert.Equal("LlamaForCausalLM", (string?)JsonNode.Parse(File.ReadAllText(Path.Combine(outDir, "config.json")))!["architectures"]![0]);
        AssertSameLogits(fixture, run.Policy.ReadLatest()!.FolderPath, outDir, [0, 5, 17, 42, 99, 7, 3, 250], tolerance, minLargest: 0.05);
    }

    [Fact]
    public void The_comparison_catches_an_export_whose_k_and_v_projections_are_swapped()
    {
        var model = ModelGenerator.Write(Spec("qwen2-mha-unpacked"), Path.Combine(_temp, "model"));
        var run = RunStore.Open(Path.Combine(_temp, "run"));
        run.EnsureInitialVersions(model.Directory);
        var outDir = Path.Combine(_temp, "hf");
        Assert.Equal(0, CliApp.Build().Run(["export", "--run", run.Root, "--format", "safetensors-hf", "--out", outDir]));
        // The mutant: the same file with the two tensors' names exchanged (k and v have the same shape here).
        var file = Safetensors.Load(Path.Combine(outDir, "model.safetensors"));
        var swapped = file.Tensors.Select(t => t.Name switch
        {
            "model.layers.0.self_attn.k_proj.weight" => t.WithName("model.layers.0.self_attn.v_proj.weight"),
            "model.layers.0.self_attn.v_proj.weight" => t.WithName("model.layers.0.self_attn.k_proj.weight"),
            _ => t,
        }).ToList();
        Safetensors.Save(Path.Combine(outDir, "model.safetensors"), swapped);
        int[] tokens = [72, 101, 108, 108, 111, 44, 32, 119];
        Assert.ThrowsAny<Xunit.Sdk.XunitException>(() =>
            AssertSameLogits("k/v swapped", run.Policy.ReadLatest()!.FolderPath, outDir, tokens, tolerance: 1e-4, minLargest: 0));
    }

    private static void AssertSameLogits(string what, string onnxFolder, string hfFolder, int[] tokens, double tolerance, double minLargest)
    {
        var expected = OnnxLogits(onnxFolder, tokens);
        var actual = ReferenceLogits(hfFolder, tokens);
        Assert.Equal(expected.Length, actual.Length);
        double worst = 0, largest = 0;
        for (int p = 0; p < tokens.Length; p++)
            for (int v = 0; v < expected[p].Length; v++)
            {
                worst = Math.Max(worst, Math.Abs(expected[p][v] - actual[p][v]));
                largest = Math.Max(largest, Math.Abs(expected[p][v]));
            }
        Assert.True(largest > minLargest, $"{what}: logits too small to compare meaningfully ({largest})");
        Assert.True(worst < tolerance * Math.Max(1, largest), $"{what}: max |Δlogit| {worst:G3} (largest |logit| {largest:G3})");
    }

    [Fact]
    public void Unmapped_layouts_are_refused_with_the_reason()
    {
        var model = ModelGenerator.Write(DecoderSpec.Tiny with { RotaryInterleaved = true }, Path.Combine(_temp, "m"));
        var e = Assert.Throws<NotSupportedException>(() => HuggingFaceExport.Write(model.Directory, Path.Combine(_temp, "o")));
        Assert.Contains("interleaved", e.Message);
        var gemma = ModelGenerator.Write(DecoderSpec.Tiny with { Mlp = MlpActivation.GeluTanh, EmbeddingScale = true }, Path.Combine(_temp, "g"));
        Assert.Contains("no safetensors-hf mapping", Assert.Throws<NotSupportedException>(() => HuggingFaceExport.Write(gemma.Directory, Path.Combine(_temp, "o2"))).Message);
    }

    [Fact]
    public void Rope_theta_is_read_back_from_the_caches_and_scaled_rope_is_refused()
    {
        const int headSize = 16, positions = 64, half = headSize / 2;
        (ProRL.Onnx.Tensors.Tensor Cos, ProRL.Onnx.Tensors.Tensor Sin) Caches(double theta, double scaleSlowPairs)
        {
            var cos = new float[positions * half];
            var sin = new float[positions * half];
            for (int p = 0; p < positions; p++)
                for (int i = 0; i < half; i++)
                {
                    // Llama 3 style scaling slows the low-frequency half down; plain RoPE has scale 1.
                    double a = p * Math.Pow(theta, -2.0 * i / headSize) / (i >= half / 2 ? scaleSlowPairs : 1);
                    cos[p * half + i] = (float)Math.Cos(a);
                    sin[p * half + i] = (float)Math.Sin(a);
                }
            return (ProRL.Onnx.Tensors.Tensor.FromFloats("cos_cache", [positions, half], cos), ProRL.Onnx.Tensors.Tensor.FromFloats("sin_cache", [positions, half], sin));
        }
        foreach (var theta in new[] { 10000.0, 500000.0, 1000000.0 })
        {
            var (cos, sin) = Caches(theta, 1);
            Assert.Equal(theta, HuggingFaceExport.RopeTheta(cos, sin, headSize));
        }
        var (c8, s8) = Caches(500000, 8);
        Assert.Contains("scaled RoPE", Assert.Throws<NotSupportedException>(() => HuggingFaceExport.RopeTheta(c8, s8, headSize)).Message);
    }

    private static double[][] OnnxLogits(string folder, int[] tokens)
    {
        var config = GenAiConfig.Load(Path.Combine(folder, GenAiConfig.FileName));
        var d = config.Model.Decoder;
        using var options = new SessionOptions { IntraOpNumThreads = 1 };
        using var session = new InferenceSession(Path.Combine(folder, d.Filename), options);
        int n = tokens.Length;
        var inputs = new List<NamedOnnxValue>
        {
            NamedOnnxValue.CreateFromTensor("input_ids", new DenseTensor<long>(tokens.Select(t => (long)t).ToArray(), [1, n])),
            NamedOnnxValue.CreateFromTensor("attention_mask", new DenseTensor<long>(Enumerable.Repeat(1L, n).ToArray(), [1, n])),
        };
        if (session.InputMetadata.ContainsKey("position_ids"))
            inputs.Add(NamedOnnxValue.CreateFromTensor("position_ids", new DenseTensor<long>(Enumerable.Range(0, n).Select(i => (long)i).ToArray(), [1, n])));
        for (int i = 0; i < d.NumHiddenLayers; i++)
        {
            int[] empty = [1, d.NumKeyValueHeads, 0, d.HeadSize];
            foreach (var name in new[] { d.Inputs.PastKeyName(i), d.Inputs.PastValueName(i) })
                inputs.Add(session.InputMetadata[name].ElementType == typeof(Float16)
                    ? NamedOnnxValue.CreateFromTensor(name, new DenseTensor<Float16>(empty))
                    : NamedOnnxValue.CreateFromTensor(name, new DenseTensor<float>(empty)));
        }
        using var results = session.Run(inputs, [d.Outputs.Logits]);
        var output = results.First();
        var logits = output.ElementType == TensorElementType.Float16
            ? output.AsTensor<Float16>().ToArray().Select(h => (float)h).ToArray()
            : output.AsTensor<float>().ToArray();
        int vocab = logits.Length / n;
        return Enumerable.Range(0, n).Select(p => logits.AsSpan(p * vocab, vocab).ToArray().Select(x => (double)x).ToArray()).ToArray();
    }

    private static readonly string Python = File.Exists("/usr/bin/python3") ? "/usr/bin/python3" : "python3";

    /// <summary>
    /// The exported folder's logits from an independent forward pass in PyTorch (Debian's python3-torch, which .ci/run
    /// installs), reading only the transformers names and config.
    /// </summary>
    private static double[][] ReferenceLogits(string folder, int[] tokens) => RunReference(folder, tokens, "hf_reference_forward_torch.py");

    private static double[][] RunReference(string folder, int[] tokens, string script)
    {
        var start = new ProcessStartInfo(Python) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "Export", script));
        start.ArgumentList.Add(folder);
        start.ArgumentList.Add(JsonSerializer.Serialize(tokens));
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        Assert.True(process.WaitForExit(60_000), $"the reference forward ({script}) did not finish within 60 s");
        Assert.True(process.ExitCode == 0, $"the reference forward ({script}) failed (Debian's python3-torch is needed; .ci/run installs it): {stderr.Result}");
        return JsonSerializer.Deserialize<double[][]>(stdout.Result)!;
    }
}
