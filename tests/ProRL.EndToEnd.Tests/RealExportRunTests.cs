using System.Text.Json.Nodes;
using ProRL.Onnx.IO;
using ProRL.Onnx.Tensors;
using ProRL.Rollout.Engine;
using ProRL.TestSupport;
using ProRL.Worker.RunDirectory;
using Xunit.Abstractions;

namespace ProRL.EndToEnd.Tests;

/// <summary>
/// The worker trains each real GenAI builder export of ../shared/fixtures for a warm-up and 3 RL steps, as a user would
/// by pointing Model:Path at it: every version it commits keeps the export's graph and dtype, and GenAI loads it again.
/// </summary>
public class RealExportRunTests(ITestOutputHelper output)
{
    public static TheoryData<string> Fixtures => [SharedFixtures.LlamaFp32Opset14, SharedFixtures.LlamaFp16Mha];

    [Theory]
    [MemberData(nameof(Fixtures))]
    public async Task The_worker_trains_a_real_export_for_three_steps_and_commits_versions_GenAI_loads(string fixture)
    {
        var modelPath = SharedFixtures.Path(fixture);
        var root = Directory.CreateTempSubdirectory("prorl-e2e-real-").FullName;
        var run = Path.Combine(root, "run");
        await TrainAsync(fixture, modelPath, root, run, warmUpSteps: 1, maxSteps: 3, validationEvery: 2);

        AssertTrainedPacked(run);
        var store = RunStore.Open(run);
        var policy = store.Policy.ReadLatest();
        Assert.NotNull(policy);
        Assert.Equal(3, policy.Version);
        var source = OnnxModelIO.Load(Path.Combine(modelPath, "model.onnx"));
        var trained = OnnxModelIO.Load(Path.Combine(policy.FolderPath, "model.onnx"));
        Assert.Equal(source.Graph.Nodes.Count, trained.Graph.Nodes.Count);
        var weights = source.Graph.Initializers.Where(t => t.Name.EndsWith(".weight", StringComparison.Ordinal)).ToList();
        Assert.All(weights, t => Assert.Equal(t.DataType, trained.Graph.Initializer(t.Name)!.DataType));
        Assert.Contains(weights, t => !t.Data.AsSpan().SequenceEqual(trained.Graph.Initializer(t.Name)!.Data));

        // GenAI loads the committed version and samples from it.
        using (var engine = new RolloutEngine(new RolloutEngineOptions { ModelPath = policy.FolderPath }))
        {
            var sample = engine.Generate([RolloutPrompt.Raw("Count the letters")], new SamplingSettings { MaxNewTokens = 4, Seed = 1 }).Single();
            Assert.Equal(4, sample.CompletionTokenIds.Length);
            Assert.All(sample.LogProbs, lp => Assert.True(float.IsFinite(lp) && lp <= 0));
        }

        // The trainer's log-probabilities of the sampled tokens agree with the rollout engine's at every RL step.
        var rows = File.ReadAllLines(Path.Combine(run, "metrics.jsonl")).Select(l => JsonNode.Parse(l)!).ToList();
        var gaps = rows.Where(r => r["trainer_rollout_logprob_gap"] is not null).Select(r => r["trainer_rollout_logprob_gap"]!.GetValue<double>()).ToList();
        Assert.NotEmpty(gaps);
        double tolerance = source.Graph.FindOutput("logits")!.ElementType == TensorDataType.Float ? 1e-4 : 5e-3;
        Assert.All(gaps, g => Assert.True(g <= tolerance, $"trainer/rollout logprob gap {g} over {tolerance}"));
        Directory.Delete(root, recursive: true);
    }

    public static TheoryData<string> Layouts => [.. GeneratedLayouts.RunnableOnCpu];

    /// <summary>Every generated builder layout GenAI runs on the CPU trains for 2 RL steps in the worker and commits versions GenAI loads.</summary>
    [Theory]
    [MemberData(nameof(Layouts))]
    public async Task The_worker_trains_each_generated_layout_for_two_steps(string layout)
    {
        var root = Directory.CreateTempSubdirectory("prorl-e2e-layout-").FullName;
        // A context of 256 holds the built-in tasks' prompts (the layout catalogue's 64 is for the graph-level checks).
        var model = Rollout.ModelGeneration.ModelGenerator.Write(GeneratedLayouts.All[layout] with { Context = 256 }, Path.Combine(root, "model")).Directory;
        var run = Path.Combine(root, "run");
        await TrainAsync(layout, model, root, run, warmUpSteps: 0, maxSteps: 2, validationEvery: 0);
        AssertTrainedPacked(run);
        var policy = RunStore.Open(run).Policy.ReadLatest();
        Assert.Equal(2, policy?.Version);
        using (var engine = new RolloutEngine(new RolloutEngineOptions { ModelPath = policy!.FolderPath }))
            Assert.Equal(3, engine.Generate([RolloutPrompt.Raw("ab")], new SamplingSettings { MaxNewTokens = 3, Seed = 1 }).Single().CompletionTokenIds.Length);
        var gaps = File.ReadAllLines(Path.Combine(run, "metrics.jsonl")).Select(l => JsonNode.Parse(l)!)
            .Where(r => r["trainer_rollout_logprob_gap"] is not null).Select(r => r["trainer_rollout_logprob_gap"]!.GetValue<double>()).ToList();
        Assert.NotEmpty(gaps);
        output.WriteLine($"{layout}: trainer/rollout logprob gap {gaps.Max():E1}");
        Directory.Delete(root, recursive: true);
    }

    /// <summary>The default (Training:PackSequences unset) trained these models with packed artifacts, not the fallback.</summary>
    private static void AssertTrainedPacked(string run)
    {
        var policyArtifacts = Directory.GetDirectories(Path.Combine(run, "artifacts")).Where(d => Path.GetFileName(d).Contains("-policy-")).ToList();
        var manifest = ProRL.Training.Artifacts.ArtifactsManifest.Load(Path.Combine(Assert.Single(policyArtifacts), ProRL.Training.Artifacts.ArtifactsManifest.FileName));
        Assert.True(manifest.PackedSequences, "the worker's default did not pack this model's responses");
    }

    /// <summary>A short worker run of <paramref name="model"/> (2 samples per prompt) that must exit 0.</summary>
    private async Task TrainAsync(string what, string model, string root, string run, int warmUpSteps, int maxSteps, int validationEvery)
    {
        var settings = SmallRun.Settings(model, run, promptsPerChunk: 2);
        settings["Sft:Steps"] = warmUpSteps.ToString(System.Globalization.CultureInfo.InvariantCulture);
        settings["Run:MaxSteps"] = maxSteps.ToString(System.Globalization.CultureInfo.InvariantCulture);
        settings["Rollout:SamplesPerPrompt"] = "2";
        settings["Validation:EveryNSteps"] = validationEvery.ToString(System.Globalization.CultureInfo.InvariantCulture);
        using var worker = WorkerProcess.Start(settings, root);
        int exit = await worker.WaitForExitAsync(TimeSpan.FromMinutes(3));
        output.WriteLine(worker.Output);
        Assert.True(exit == 0, $"{what}: the worker exited with {exit}\n{worker.Output}");
    }
}
