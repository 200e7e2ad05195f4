using System.Text.Json.Nodes;
using ProRL.Onnx.Models;
using ProRL.Rollout.Engine;
using ProRL.Rollout.ModelGeneration;

namespace ProRL.Rollout.Tests;

public class ModelFolderTests
{
    private static string Generate(TempDirectory dir, string name = "m") =>
        ModelGenerator.Write(DecoderSpec.Tiny, dir.Sub(name)).Directory;

    [Fact]
    public void GenAiConfig_RoundTrip_KeepsUnknownKeys_AndEosForms()
    {
        const string json = """
            {
              "model": {
                "bos_token_id": 1, "context_length": 4096, "eos_token_id": 2, "pad_token_id": 0, "type": "llama", "vocab_size": 32000,
                "decoder": {
                  "session_options": { "log_id": "onnxruntime-genai", "provider_options": [ { "cuda": { "enable_cuda_graph": "0" } } ] },
                  "filename": "model.onnx", "head_size": 64, "hidden_size": 2048, "num_attention_heads": 32, "num_hidden_layers": 22,
                  "num_key_value_heads": 4, "sliding_window": { "window_size": 128 },
                  "inputs": { "input_ids": "input_ids", "attention_mask": "attention_mask", "position_ids": "position_ids",
                              "past_key_names": "past_key_values.%d.key", "past_value_names": "past_key_values.%d.value" },
                  "outputs": { "logits": "logits", "present_key_names": "present.%d.key", "present_value_names": "present.%d.value" }
                }
              },
              "search": { "do_sample": true, "max_length": 4096, "top_k": 40, "custom_flag": 7 },
              "extra_root": [1, 2]
            }
            """;
        var config = GenAiConfig.Parse(json);
        Assert.Equal([2], config.Model.EosTokenId);
        Assert.Equal("position_ids", config.Model.Decoder.Inputs.PositionIds);
        Assert.Equal((22, 2048, 32, 4, 64), (config.Model.Decoder.NumHiddenLayers, config.Model.Decoder.HiddenSize,
            config.Model.Decoder.NumAttentionHeads, config.Model.Decoder.NumKeyValueHeads, config.Model.Decoder.HeadSize));
        var written = JsonNode.Parse(config.ToJson())!;
        Assert.Equal(2, written["model"]!["eos_token_id"]!.GetValue<int>());
        Assert.Equal(128, written["model"]!["decoder"]!["sliding_window"]!["window_size"]!.GetValue<int>());
        Assert.Equal("0", written["model"]!["decoder"]!["session_options"]!["provider_options"]![0]!["cuda"]!["enable_cuda_graph"]!.GetValue<string>());
        Assert.Equal(7, written["search"]!["custom_flag"]!.GetValue<int>());
        Assert.Equal(2, written["extra_root"]!.AsArray().Count);
        Assert.Equal(config.ToJson(), GenAiConfig.Parse(config.ToJson()).ToJson());

        config.Model.EosTokenId = [5, 6];
        Assert.Equal([5, 6], GenAiConfig.Parse(config.ToJson()).Model.EosTokenId);
    }

    [Theory]
    [InlineData("type", "model.type")]
    [InlineData("vocab_size", "model.vocab_size")]
    [InlineData("eos_token_id", "model.eos_token_id")]
    public void GenAiConfig_MissingKey_IsNamed(string key, string expected)
    {
        using var dir = new TempDirectory();
        var path = Path.Combine(Generate(dir), "genai_config.json");
        var node = JsonNode.Parse(File.ReadAllText(path))!;
        node["model"]!.AsObject().Remove(key);
        File.WriteAllText(path, node.ToJsonString());
        var e = Assert.Throws<InvalidDataException>(() => GenAiConfig.Load(path));
        Assert.Contains(expected, e.Message);
        Assert.Contains(path, e.Message);
    }

    [Fact]
    public void GenAiConfig_BadJson_NamesTheFile()
    {
        using var dir = new TempDirectory();
        var path = dir.Sub("genai_config.json");
        File.WriteAllText(path, "{ \"model\": ");
        Assert.Contains(path, Assert.Throws<InvalidDataException>(() => GenAiConfig.Load(path)).Message);
    }

    [Fact]
    public void Open_MissingPieces_NameTheMissingFile()
    {
        using var dir = new TempDirectory();
        var missing = dir.Sub("nowhere");
        Assert.Contains(missing, Assert.Throws<DirectoryNotFoundException>(() => ModelFolder.Open(missing)).Message);

        foreach (var file in new[] { "genai_config.json", "model.onnx", "tokenizer.json" })
        {
            var folder = Generate(dir, file);
            File.Delete(Path.Combine(folder, file));
            var e = Assert.Throws<FileNotFoundException>(() => ModelFolder.Open(folder));
            Assert.Contains(file, e.Message);
        }
    }

    [Fact]
    public void ContentHash_TracksModelDataAndConfig_NotTokenizer()
    {
        using var dir = new TempDirectory();
        var a = ModelFolder.Open(Generate(dir, "a"));
        var b = ModelFolder.Open(Generate(dir, "b"));
        Assert.Matches("^[0-9a-f]{64}$", a.ContentHash());
        Assert.Equal(a.ContentHash(), b.ContentHash());

        File.AppendAllText(b.TokenizerPath, " ");
        Assert.Equal(a.ContentHash(), b.ContentHash());

        var data = File.ReadAllBytes(b.ExternalDataPath!);
        data[^1] ^= 1;
        File.WriteAllBytes(b.ExternalDataPath!, data);
        var afterData = b.ContentHash();
        Assert.NotEqual(a.ContentHash(), afterData);

        File.AppendAllText(b.ConfigPath, "\n");
        Assert.NotEqual(afterData, b.ContentHash());
    }

    [Fact]
    public void Engine_MissingFolder_IsAClearError()
    {
        using var dir = new TempDirectory();
        var missing = dir.Sub("no-model");
        var e = Assert.Throws<DirectoryNotFoundException>(() => new RolloutEngine(new RolloutEngineOptions { ModelPath = missing }));
        Assert.Contains(missing, e.Message);
    }

    [Fact]
    public void Engine_CorruptModelFile_IsAClearErrorNamingIt()
    {
        using var dir = new TempDirectory();
        var folder = Generate(dir);
        File.WriteAllBytes(Path.Combine(folder, "model.onnx"), [0x08, 0xFF, 0xFF, 0x12, 0x34, 0x00, 0x7A]);
        var e = Assert.Throws<InvalidDataException>(() => new RolloutEngine(new RolloutEngineOptions { ModelPath = folder }));
        Assert.Contains(Path.Combine(folder, "model.onnx"), e.Message);
    }

    [Fact]
    public void Engine_MissingTokenizer_IsAClearErrorNamingIt()
    {
        using var dir = new TempDirectory();
        var folder = Generate(dir);
        File.Delete(Path.Combine(folder, "tokenizer.json"));
        var e = Assert.Throws<FileNotFoundException>(() => new RolloutEngine(new RolloutEngineOptions { ModelPath = folder }));
        Assert.Contains("tokenizer.json", e.Message);
    }

    [Fact]
    public void Engine_UnknownOrUnavailableExecutionProvider_IsAClearError()
    {
        using var dir = new TempDirectory();
        var folder = Generate(dir);
        var unknown = Assert.Throws<ArgumentException>(() =>
            new RolloutEngine(new RolloutEngineOptions { ModelPath = folder, ExecutionProvider = "tpu" }));
        Assert.Contains("'tpu'", unknown.Message);
        Assert.Contains("cpu", unknown.Message);
        if (!ExecutionProviders.CudaCompiledIn)
        {
            var cuda = Assert.Throws<NotSupportedException>(() =>
                new RolloutEngine(new RolloutEngineOptions { ModelPath = folder, ExecutionProvider = "cuda" }));
            Assert.Contains("ProRLAccelerator=cuda", cuda.Message);
        }
    }
}
