using ProRL.Rollout.Engine;
using ProRL.Tasks.Logic;
using ProRL.Tasks.Mathematics;
using ProRL.Tasks.Model;
using ProRL.Tasks.Verification;
using ProRL.Worker.Options;
using ProRL.Worker.RunDirectory;
using ProRL.Worker.Services.Rollout;
using ProRL.Worker.Services.Tasks;
using ProRL.Worker.Services.Validation;

namespace ProRL.Worker.Tests.Services;

/// <summary>Answers each prompt correctly in its first <c>correct</c> samples and wrongly in the rest.</summary>
internal sealed class ScriptedSampler(IReadOnlyDictionary<string, (string Answer, int Correct)> script) : IPolicySampler
{
    public List<string> Loaded { get; } = [];

    public void Load(string folder) => Loaded.Add(Path.GetFileName(folder));

    public IReadOnlyList<RolloutSample> Generate(IReadOnlyList<RolloutPrompt> prompts, SamplingSettings settings, CancellationToken cancellationToken) =>
        prompts.SelectMany((p, i) => Enumerable.Range(0, settings.SamplesPerPrompt).Select(s =>
        {
            var (answer, correct) = script[p.Messages![0].Content];
            var text = s < correct ? $"\\boxed{{{answer}}}" : "\\boxed{wrong}";
            return new RolloutSample(i, s, [1], [2], [-1f], text, FinishReason.Eos);
        })).ToList();

    public void Dispose() { }
}

public sealed class ValidationAndResetTests : IDisposable
{
    private readonly TempFolder _temp = new();
    private readonly RunStore _run;

    public ValidationAndResetTests() => _run = RunStore.Open(_temp.Combine("run"));

    public void Dispose() => _temp.Dispose();

    private void CommitPolicies(long from, long to)
    {
        for (long v = from; v <= to; v++) _run.Policy.Commit(v, f => File.WriteAllText(Path.Combine(f, "model.onnx"), $"policy {v}"));
    }

    private static TaskItem Math(string id, string answer) => new() { Id = id, Domain = "math", Prompt = $"question {id}", Answer = answer };

    [Fact]
    public async Task Validation_computes_unbiased_pass_at_k_of_the_due_version_once()
    {
        // Item a: 1 of 4 samples right; item b: 4 of 4. pass@1 = (1/4 + 1)/2; pass@2 = (1 − C(3,2)/C(4,2) + 1)/2 = (1/2 + 1)/2.
        var items = new[] { Math("a", "3"), Math("b", "5") };
        var sampler = new ScriptedSampler(new Dictionary<string, (string, int)> { ["question a"] = ("3", 1), ["question b"] = ("5", 4) });
        var options = new ValidationOptions { EveryNSteps = 5, SamplesPerItem = 4, PassAtK = [1, 2, 4] };
        var stage = new ValidationStage(_run, sampler, new RewardScorer([new MathVerifier()]), options, items);
        CommitPolicies(0, 7);

        Assert.Equal(5, stage.NextDue());
        var result = (await stage.ValidateNextAsync(CancellationToken.None))!;

        Assert.Equal(5, result.Step);
        Assert.Equal(0.625, result.PassAtK["1"], 12);
        Assert.Equal(0.75, result.PassAtK["2"], 12);
        Assert.Equal(1.0, result.PassAtK["4"], 12);
        Assert.Equal(0.625, result.MeanReward, 12);
        Assert.Equal(0.625, result.Score, 12);
        Assert.Equal(["v000005"], sampler.Loaded);
        Assert.Null(await stage.ValidateNextAsync(CancellationToken.None));
        Assert.Equal([5L], ValidationResult.ReadAll(_run).Select(r => r.Step));
        Assert.Contains(_run.Events.File.ReadAll().Records, e => (string?)e["type"] == EventTypes.Validation && (long)e["step"]! == 5);
    }

    [Fact]
    public void Validation_is_not_due_when_off_or_before_any_policy()
    {
        var stage = new ValidationStage(_run, new ScriptedSampler(new Dictionary<string, (string, int)>()), new RewardScorer([]),
            new ValidationOptions { EveryNSteps = 0 }, []);
        Assert.Null(stage.NextDue());
        var on = new ValidationStage(_run, new ScriptedSampler(new Dictionary<string, (string, int)>()), new RewardScorer([]),
            new ValidationOptions { EveryNSteps = 3 }, []);
        Assert.Null(on.NextDue());
        CommitPolicies(0, 2);
        Assert.Equal(0, on.NextDue()); // the untrained model is the baseline
    }

    [Fact]
    public void Mixture_of_one_logic_family_draws_only_that_family()
    {
        var family = LogicGenerators.TrainingFamilies[0];
        var items = TaskMixtureFactory.Create(new TasksOptions { Mixture = { [$"logic/{family}"] = 1 } }, seed: 3).Take(20);
        Assert.All(items, i => Assert.Equal((TaskDomains.Logic, family), (i.Domain, i.Family)));
        var again = TaskMixtureFactory.Create(new TasksOptions { Mixture = { [$"logic/{family}"] = 1 } }, seed: 3).Take(20);
        Assert.Equal(items.Select(i => i.Prompt), again.Select(i => i.Prompt));
    }

    [Fact]
    public void Mixture_by_domain_and_dataset_follows_the_options()
    {
        var dataset = _temp.Combine("data.jsonl");
        File.WriteAllText(dataset, "{\"id\":\"d1\",\"domain\":\"math\",\"prompt\":\"1+1?\",\"answer\":\"2\"}\n");
        var sources = TaskMixtureFactory.Sources(new TasksOptions
        {
            Mixture = { ["math"] = 2, ["stem"] = 1, ["logic"] = 0 },
            Datasets = [new DatasetOptions { Path = dataset, Weight = 3 }],
            MaxDifficulty = 9, // above the arithmetic generator's maximum: capped, not an error
        });
        Assert.Equal(["math", "sample-stem", "dataset0:data"], sources.Select(s => s.Name));
        Assert.Equal([2.0, 1.0, 3.0], sources.Select(s => s.Weight));
        Assert.NotEmpty(TaskMixtureFactory.Sources(new TasksOptions()));
    }
}
