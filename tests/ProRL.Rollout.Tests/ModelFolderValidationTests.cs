using System.Text.Json.Nodes;
using ProRL.Onnx.Models;
using ProRL.Rollout.ModelGeneration;

namespace ProRL.Rollout.Tests;

public sealed class ModelFolderValidationTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private string Generate(DecoderSpec? spec = null) => ModelGenerator.Write(spec ?? DecoderSpec.Tiny, _dir.Sub(Guid.NewGuid().ToString("N"))).Directory;

    private static void EditConfig(string folder, Action<JsonObject> edit)
    {
        var path = Path.Combine(folder, GenAiConfig.FileName);
        var json = JsonNode.Parse(File.ReadAllText(path))!.AsObject();
        edit(json);
        File.WriteAllText(path, json.ToJsonString());
    }

    private static ModelFolderProblem SingleProblem(string folder, string file)
    {
        var problems = ModelFolderValidator.Validate(folder);
        var problem = Assert.Single(problems);
        Assert.Equal(Path.Combine(folder, file), problem.File);
        return problem;
    }

    [Fact]
    public void Generated_model_has_no_problems() =>
        Assert.Empty(ModelFolderValidator.Validate(Generate(), [new ProRL.Rollout.Validation.OnnxRuntimeLoadCheck()]));

    [Fact]
    public void Operator_name_with_a_flipped_bit_is_refused_by_onnx_runtime()
    {
        var folder = Generate();
        var model = Path.Combine(folder, ModelGenerator.ModelFileName);
        var bytes = File.ReadAllBytes(model);
        int at = bytes.AsSpan().IndexOf("SkipSimplifiedLayerNormalization"u8);
        bytes[at + 5] ^= 0x01; // 'i' -> 'h': still a well-formed graph, but no such operator
        File.WriteAllBytes(model, bytes);
        Assert.Empty(ModelFolderValidator.Validate(folder)); // the structure is intact ...
        var problem = Assert.Single(ModelFolderValidator.Validate(folder, [new ProRL.Rollout.Validation.OnnxRuntimeLoadCheck()]));
        Assert.Equal(model, problem.File); // ... but the runtime refuses it, and says so
        Assert.Contains("ONNX Runtime cannot load it", problem.Message);
    }

    [Fact]
    public void Generated_model_with_tied_embeddings_and_no_bias_has_no_problems() =>
        Assert.Empty(ModelFolderValidator.Validate(Generate(DecoderSpec.Tiny with { TieEmbeddings = true, QkvBias = false, Layers = 3 })));

    [Theory]
    [InlineData("llama-fp16-mha")]
    [InlineData("llama-fp32-opset14")]
    public void Real_exports_in_the_shared_fixtures_have_no_problems(string name)
    {
        // The fixtures are real builder exports (see DESIGN §4): a validator that refuses them refuses real models.
        var folder = Path.Combine(SharedFixtures(), name);
        Assert.True(Directory.Exists(folder), $"fixture {folder} is missing");
        Assert.Empty(ModelFolderValidator.Validate(folder, [new ProRL.Rollout.Validation.OnnxRuntimeLoadCheck()]));
    }

    /// <summary>DESIGN §4: the fixtures sit in ../shared/fixtures beside the repository (or in shared/ inside a copy of it).</summary>
    private static string SharedFixtures()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (!File.Exists(Path.Combine(dir.FullName, "ProRL.Onnx.sln"))) continue;
            var inside = Path.Combine(dir.FullName, "shared", "fixtures");
            return Directory.Exists(inside) ? inside : Path.GetFullPath(Path.Combine(dir.FullName, "..", "shared", "fixtures"));
        }
        throw new InvalidOperationException("Repository root not found above " + AppContext.BaseDirectory);
    }

    [Fact]
    public void Truncated_external_data_names_the_data_file_and_the_tensor()
    {
        var folder = Generate();
        var data = Path.Combine(folder, ModelGenerator.DataFileName);
        File.WriteAllBytes(data, File.ReadAllBytes(data)[..^100]);
        var problem = SingleProblem(folder, ModelGenerator.DataFileName);
        Assert.Contains("truncated", problem.Message);
        Assert.Contains("initializer '", problem.Message);
    }

    [Fact]
    public void Missing_external_data_is_one_line_not_one_per_tensor()
    {
        var folder = Generate();
        File.Delete(Path.Combine(folder, ModelGenerator.DataFileName));
        var problems = ModelFolderValidator.Validate(folder);
        Assert.InRange(problems.Count, 1, 6);
        Assert.All(problems, p => Assert.EndsWith(ModelGenerator.DataFileName, p.File));
    }

    [Fact]
    public void Model_file_that_does_not_parse_is_named()
    {
        var folder = Generate();
        var model = Path.Combine(folder, ModelGenerator.ModelFileName);
        var bytes = File.ReadAllBytes(model);
        for (int i = 0; i < 64; i++) bytes[i] = 0xFF; // the first fields' tags and lengths
        File.WriteAllBytes(model, bytes);
        var problems = ModelFolderValidator.Validate(folder);
        Assert.Contains(problems, p => p.File == model);
    }

    [Fact]
    public void Missing_tokenizer_is_named()
    {
        var folder = Generate();
        File.Delete(Path.Combine(folder, ModelFolder.TokenizerFileName));
        Assert.Contains("missing", SingleProblem(folder, ModelFolder.TokenizerFileName).Message);
    }

    [Fact]
    public void Tokenizer_without_the_configured_eos_token_is_refused()
    {
        var folder = Generate();
        EditConfig(folder, c => c["model"]!["eos_token_id"] = 300);
        EditConfig(folder, c => c["model"]!["vocab_size"] = 400); // so that only the tokenizer check can object
        var problems = ModelFolderValidator.Validate(folder);
        Assert.Contains(problems, p => p.File.EndsWith(ModelFolder.TokenizerFileName, StringComparison.Ordinal) && p.Message.Contains("id 300"));
    }

    [Fact]
    public void Tokenizer_that_is_not_json_gives_line_and_column()
    {
        var folder = Generate();
        File.WriteAllText(Path.Combine(folder, ModelFolder.TokenizerFileName), "{\n  \"model\": {\n    \"type\": BPE\n");
        var problem = SingleProblem(folder, ModelFolder.TokenizerFileName);
        Assert.Contains("line 3", problem.Message);
    }

    [Theory]
    [InlineData("num_hidden_layers", 3, "num_hidden_layers is 3")]
    [InlineData("num_key_value_heads", 1, "num_key_value_heads is 1")]
    [InlineData("head_size", 8, "head_size is 8")]
    public void Config_that_disagrees_with_the_graph_names_the_key(string key, int value, string expected)
    {
        var folder = Generate();
        EditConfig(folder, c => c["model"]!["decoder"]![key] = value);
        var problems = ModelFolderValidator.Validate(folder);
        Assert.NotEmpty(problems);
        Assert.All(problems, p => Assert.EndsWith(GenAiConfig.FileName, p.File));
        Assert.Contains(problems, p => p.Message.Contains(expected));
    }

    [Fact]
    public void Config_naming_an_input_the_graph_lacks_is_refused()
    {
        var folder = Generate();
        EditConfig(folder, c => c["model"]!["decoder"]!["inputs"]!["attention_mask"] = "mask");
        Assert.Contains("'attention_mask'", SingleProblem(folder, GenAiConfig.FileName).Message);
    }

    [Fact]
    public void Config_with_a_wrong_type_is_refused_with_its_file()
    {
        var folder = Generate();
        EditConfig(folder, c => c["model"]!["vocab_size"] = "many");
        SingleProblem(folder, GenAiConfig.FileName);
    }

    [Fact]
    public void Renamed_tensor_breaks_the_wiring_check()
    {
        var folder = Generate();
        var model = Path.Combine(folder, ModelGenerator.ModelFileName);
        var bytes = File.ReadAllBytes(model);
        var name = System.Text.Encoding.ASCII.GetBytes("attention_mask");
        int at = bytes.AsSpan().LastIndexOf(name); // a node's reference, not the graph input's declaration
        bytes[at] = (byte)'A';
        File.WriteAllBytes(model, bytes);
        Assert.Contains(ModelFolderValidator.Validate(folder), p => p.File == model);
    }

    private sealed class RefuseEverything : IModelFolderCheck
    {
        public void Check(ModelFolderInspection folder, ICollection<ModelFolderProblem> problems) =>
            problems.Add(new(folder.ModelPath!, $"{folder.Graph!.Graph.Node.Count} nodes, refused by a plugged-in check."));
    }

    [Fact]
    public void Additional_checks_run_after_the_built_in_ones_and_see_the_parsed_graph()
    {
        var folder = Generate();
        var problem = Assert.Single(ModelFolderValidator.Validate(folder, [new RefuseEverything()]));
        Assert.Contains("refused by a plugged-in check", problem.Message);
        Assert.DoesNotContain(" 0 nodes", problem.Message);
    }
}
