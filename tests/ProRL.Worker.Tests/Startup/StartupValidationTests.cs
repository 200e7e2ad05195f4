using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using ProRL.Worker.Hosting;
using ProRL.Worker.RunDirectory;
using ProRL.Worker.Startup;

namespace ProRL.Worker.Tests.Startup;

public sealed class StartupValidationTests(PristineModel pristine) : IClassFixture<PristineModel>, IDisposable
{
    private readonly StartupHarness _h = new(pristine);

    public void Dispose() => _h.Dispose();

    [Fact]
    public void Valid_configuration_and_model_pass_and_nothing_is_written_to_the_run_directory()
    {
        Assert.Empty(_h.Problems());
        Assert.False(Directory.Exists(_h.RunDirectory));
    }

    [Fact]
    public void Misspelt_section_on_the_command_line_is_refused_with_the_closest_section()
    {
        var problem = Assert.Single(_h.Problems("--Algoritm:ClipHigh=0.3"));
        Assert.Contains("command line", problem);
        Assert.Contains("'Algoritm'", problem);
        Assert.Contains("did you mean 'Algorithm'", problem);
    }

    [Fact]
    public void Section_of_a_feature_that_does_not_exist_is_refused_naming_the_file()
    {
        File.WriteAllText(_h.AppSettingsPath, """{ "Cluster": { "Mode": "redis" }, "Logging": { "LogLevel": { "Default": "Warning" } } }""");
        var problem = Assert.Single(_h.Problems());
        Assert.Contains(_h.AppSettingsPath, problem);
        Assert.Contains("'Cluster'", problem);
    }

    [Theory]
    [InlineData("Algoritm", "Algorithm", 1)]
    [InlineData("optimiser", "Optimizer", 1)]
    [InlineData("Logging", "Logging", 0)]
    public void Closest_section_is_found_by_edit_distance(string key, string closest, int distance) =>
        Assert.Equal((closest, distance), ConfigurationSections.Closest(key));

    [Fact]
    public void Malformed_appsettings_is_reported_with_file_line_and_column()
    {
        File.WriteAllText(_h.AppSettingsPath, "{\n  \"Run\": {\n    \"Seed\": 3\n  \n");
        var problem = Assert.Single(_h.Problems());
        Assert.StartsWith(_h.AppSettingsPath + ":5:1:", problem);
        Assert.DoesNotContain("   at ", problem);
    }

    [Fact]
    public void Packed_sequences_with_a_per_sequence_loss_aggregation_are_refused_naming_both_options()
    {
        Assert.Empty(_h.Problems("--Training:PackSequences=true", "--Algorithm:LossAggregation=token-mean"));
        var problem = Assert.Single(_h.Problems("--Training:PackSequences=true", "--Algorithm:LossAggregation=seq-mean-token-mean"));
        Assert.Contains("Training:PackSequences", problem);
        Assert.Contains("Algorithm:LossAggregation=token-mean", problem);
        Assert.Contains("'seq-mean-token-mean'", problem);
    }

    [Fact]
    public void Option_of_the_wrong_type_names_the_option()
    {
        File.WriteAllText(_h.AppSettingsPath, """{ "Run": { "Seed": "forty-two" } }""");
        Assert.Contains(_h.Problems(), p => p.Contains("Run:Seed"));
    }

    [Fact]
    public void Truncated_model_data_is_refused_before_the_run_directory_exists()
    {
        var data = Path.Combine(_h.ModelPath, "model.onnx.data");
        File.WriteAllBytes(data, File.ReadAllBytes(data)[..1000]);
        var problems = _h.Problems();
        Assert.NotEmpty(problems);
        Assert.All(problems, p => Assert.StartsWith("Model:Path: " + data, p));
        Assert.False(Directory.Exists(_h.RunDirectory));
    }

    [Fact]
    public void Model_folder_without_config_is_not_overwritten_by_a_generated_model()
    {
        var config = Path.Combine(_h.ModelPath, "genai_config.json");
        File.Delete(config);
        var weights = File.ReadAllBytes(Path.Combine(_h.ModelPath, "model.onnx.data"));
        var problem = Assert.Single(_h.Problems("--Model:CreateIfMissing=tiny"));
        Assert.Contains("Model:Path", problem);
        Assert.Contains("holds other files", problem);
        Assert.False(File.Exists(config));
        Assert.Equal(weights, File.ReadAllBytes(Path.Combine(_h.ModelPath, "model.onnx.data")));
    }

    [Fact]
    public void Model_folder_without_tokenizer_is_refused()
    {
        File.Delete(Path.Combine(_h.ModelPath, "tokenizer.json"));
        Assert.Contains(_h.Problems(), p => p.StartsWith("Model:Path: ", StringComparison.Ordinal) && p.Contains("tokenizer.json"));
    }

    [Fact]
    public void Plugged_in_model_check_runs_at_start_up()
    {
        // What the lead's "layout is trainable" check will do: register an IModelFolderCheck singleton.
        using var host = _h.Build();
        var validation = new StartupValidation(host.Services, host.Services.GetRequiredService<Microsoft.Extensions.Configuration.IConfiguration>(), [new RefuseCheck()], NullLogger<StartupValidation>.Instance);
        Assert.Contains(validation.Problems(), p => p.Contains("not trainable here"));
    }

    private sealed class RefuseCheck : ProRL.Onnx.Models.IModelFolderCheck
    {
        public void Check(ProRL.Onnx.Models.ModelFolderInspection folder, ICollection<ProRL.Onnx.Models.ModelFolderProblem> problems) =>
            problems.Add(new(folder.ModelPath!, "not trainable here."));
    }

    private string WriteDataset(string name, params string[] lines)
    {
        var path = _h.Combine(name);
        File.WriteAllLines(path, lines);
        return path;
    }

    private const string Good = """{"domain": "math", "prompt": "1+1?", "answer": "2"}""";

    [Fact]
    public void Dataset_with_mostly_malformed_rows_is_refused_naming_the_lines()
    {
        var path = WriteDataset("bad.jsonl", "not json", Good, """{"domain": "math", "prompt": 7, "answer": "2"}""", """{"domain": "math", "answer": "2"}""");
        var problem = Assert.Single(_h.Problems($"--Tasks:Datasets:0:Path={path}"));
        Assert.StartsWith($"Tasks:Datasets:0:Path: {path}: 3 of 4 rows are malformed", problem);
        Assert.Contains("line 1:", problem);
        Assert.Contains("line 3:", problem);
        Assert.Contains("line 4:", problem);
    }

    [Fact]
    public void Dataset_with_few_malformed_rows_passes_unless_the_threshold_is_lowered()
    {
        var path = WriteDataset("mostly-good.jsonl", [.. Enumerable.Repeat(Good, 19), "{broken"]);
        Assert.Empty(_h.Problems($"--Tasks:Datasets:0:Path={path}"));
        Assert.Contains(_h.Problems($"--Tasks:Datasets:0:Path={path}", "--Tasks:MaxSkippedFraction=0.01"), p => p.Contains("line 20:"));
    }

    [Fact]
    public void Run_directory_of_another_model_is_refused_without_writing_to_it()
    {
        Assert.Empty(_h.Problems());
        var store = RunStore.Open(_h.RunDirectory);
        store.EnsureRunInfo(RunInfo.New("/elsewhere/model", "0123abcd", null));
        var before = StartupHarness.Snapshot(_h.RunDirectory);
        var problem = Assert.Single(_h.Problems());
        Assert.Contains("Run:Directory", problem);
        Assert.Contains("0123abcd", problem);
        Assert.Equal(before, StartupHarness.Snapshot(_h.RunDirectory));
    }

    [Fact]
    public void Run_directory_started_with_another_seed_or_mixture_is_refused()
    {
        var modelHash = VersionManifest.Compute(_h.ModelPath, 0).ContentHash();
        var recorded = new JsonObject { ["Run"] = new JsonObject { ["Seed"] = "5" }, ["Tasks"] = new JsonObject { ["Mixture"] = new JsonObject { ["logic"] = "1" } } };
        RunStore.Open(_h.RunDirectory).EnsureRunInfo(RunInfo.New(_h.ModelPath, modelHash, recorded));
        Assert.Empty(_h.Problems("--Run:Seed=5", "--Tasks:Mixture:logic=1"));
        var problems = _h.Problems("--Run:Seed=6", "--Tasks:Mixture:math=1");
        Assert.Contains(problems, p => p.StartsWith("Run:Seed:", StringComparison.Ordinal) && p.Contains("records 5"));
        Assert.Contains(problems, p => p.StartsWith("Tasks:Mixture:", StringComparison.Ordinal));
    }

    [Fact]
    public void Run_directory_started_with_another_held_out_split_is_refused()
    {
        var modelHash = VersionManifest.Compute(_h.ModelPath, 0).ContentHash();
        RunStore.Open(_h.RunDirectory).EnsureRunInfo(RunInfo.New(_h.ModelPath, modelHash, new JsonObject()));
        Assert.Empty(_h.Problems("--Validation:HeldOutFraction=0.1", "--Validation:HeldOutFamilies:0=graph_coloring",
            "--Validation:HeldOutFamilies:1=tower_of_hanoi", "--Validation:HeldOutFamilies:2=cryptarithm")); // the defaults, spelt out
        var problems = _h.Problems("--Validation:HeldOutFraction=0.3", "--Validation:HeldOutFamilies:0=maze_shortest_path");
        Assert.Contains(problems, p => p.StartsWith("Validation:HeldOutFraction:", StringComparison.Ordinal) && p.Contains("records 0.1"));
        Assert.Contains(problems, p => p.StartsWith("Validation:HeldOutFamilies:", StringComparison.Ordinal) && p.Contains("now [maze_shortest_path]"));
    }

    [Fact]
    public void Training_on_a_held_out_family_is_refused_naming_both_options()
    {
        var problem = Assert.Single(_h.Problems("--Tasks:Mixture:logic/cryptarithm=1"));
        Assert.Contains("Tasks:Mixture:logic/cryptarithm", problem);
        Assert.Contains("Validation:HeldOutFamilies", problem);
        Assert.Empty(_h.Problems("--Tasks:Mixture:logic/cryptarithm=1", "--Validation:HeldOutFamilies:0=none"));
        Assert.Contains("unknown logic family 'sudoku9'", Assert.Single(_h.Problems("--Validation:HeldOutFamilies:0=sudoku9")));
    }

    [Fact]
    public void Folder_that_is_not_a_run_directory_is_refused()
    {
        Directory.CreateDirectory(_h.RunDirectory);
        File.WriteAllText(Path.Combine(_h.RunDirectory, "thesis.tex"), "precious");
        var problem = Assert.Single(_h.Problems());
        Assert.Contains("thesis.tex", problem);
        Assert.Equal(["thesis.tex"], Directory.EnumerateFileSystemEntries(_h.RunDirectory).Select(Path.GetFileName));
    }

    [Fact]
    public void Unreadable_run_json_is_refused()
    {
        Directory.CreateDirectory(_h.RunDirectory);
        File.WriteAllText(Path.Combine(_h.RunDirectory, RunInfo.FileName), "{ \"runId\": ");
        Assert.Contains("run.json", Assert.Single(_h.Problems()));
    }

    [Fact]
    public void Problems_of_several_kinds_are_all_reported()
    {
        File.Delete(Path.Combine(_h.ModelPath, "tokenizer.json"));
        var dataset = WriteDataset("empty.jsonl", "nope");
        var problems = _h.Problems($"--Tasks:Datasets:0:Path={dataset}", "--Algoritm:ClipHigh=1");
        // Option problems stop the other checks (they need valid options); a section name is not an option problem.
        Assert.Contains(problems, p => p.Contains("'Algoritm'"));
        Assert.Contains(problems, p => p.Contains("tokenizer.json"));
        Assert.Contains(problems, p => p.Contains(dataset));
    }

    [Fact]
    public void An_export_the_lowering_cannot_train_is_refused_naming_the_node_its_op_and_the_export_to_make()
    {
        // ONNX Runtime loads a GroupQueryAttention with smooth_softmax; the training lowering does not support it.
        var modelFile = Path.Combine(_h.ModelPath, "model.onnx");
        var model = ProRL.Onnx.IO.OnnxModelIO.Load(modelFile);
        var attention = model.Graph.Nodes.First(n => n.OpType == "GroupQueryAttention");
        attention.SetAttribute(ProRL.Onnx.Graph.Attr.Int("smooth_softmax", 1));
        ProRL.Onnx.IO.OnnxModelIO.Save(model, modelFile, ProRL.Onnx.IO.ExternalDataOptions.SideFile("model.onnx.data"));

        var problem = Assert.Single(_h.Problems());
        Assert.Contains("cannot be trained", problem);
        Assert.Contains(attention.Name, problem);
        Assert.Contains("GroupQueryAttention", problem);
        Assert.Contains("smooth_softmax", problem);
        Assert.Contains("-p fp32", problem);
        Assert.False(Directory.Exists(_h.RunDirectory));
    }

    [Fact]
    public void A_run_directory_holding_only_the_liveness_locks_of_hosts_started_first_is_accepted()
    {
        Directory.CreateDirectory(Path.Combine(_h.RunDirectory, "hosts"));
        File.WriteAllText(Path.Combine(_h.RunDirectory, "hosts", "rollout.east.lock"), "");
        Assert.Empty(_h.Problems());
    }
}
