using ProRL.Tasks.Logic;
using ProRL.Tasks.Mixture;
using ProRL.Tasks.Model;
using ProRL.Tasks.Verification;
using ProRL.Tasks.Mathematics;
using ProRL.Worker.Options;
using ProRL.Worker.RunDirectory;
using ProRL.Worker.Services.Tasks;
using ProRL.Worker.Services.Validation;

namespace ProRL.Worker.Tests.Services;

/// <summary>The held-out split as the worker configures it: training (RL and warm-up) never draws what validation uses.</summary>
public sealed class HeldOutValidationTests : IDisposable
{
    private readonly TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    private TasksOptions WithDataset(int rows)
    {
        var path = _temp.Combine("train.jsonl");
        File.WriteAllLines(path, Enumerable.Range(0, rows).Select(i => $$"""{"id":"q{{i}}","domain":"math","prompt":"{{i}}+1?","answer":"{{i + 1}}"}"""));
        return new TasksOptions { Mixture = { ["logic"] = 1, ["math"] = 1 }, Datasets = [new DatasetOptions { Path = path, Weight = 2 }] };
    }

    [Fact]
    public void Training_draws_never_include_a_validation_item_or_a_held_out_family()
    {
        var tasks = WithDataset(300);
        var validation = new ValidationOptions { Items = 400, HeldOutFraction = 0.2, HeldOutFamilyItems = 5 };
        var held = TaskMixtureFactory.ForValidation(tasks, validation);
        var heldIds = held.Items.Concat(held.FamilyItems).Select(i => i.Id).ToHashSet();

        var training = TaskMixtureFactory.Create(tasks, seed: 42, split: validation.Split()).Take(20_000);

        Assert.DoesNotContain(training, i => heldIds.Contains(i.Id));
        Assert.DoesNotContain(training, i => i.Family is { } f && LogicGenerators.HeldOutFamilies.Contains(f));
        Assert.All(training.Where(i => i.Seed is not null), i => Assert.True(i.Seed >= 0));
        Assert.All(held.Items.Concat(held.FamilyItems).Where(i => i.Seed is not null), i => Assert.True(i.Seed < 0));
        // The dataset's validation rows are exactly those the id hash picks, and training sees all the others.
        var split = validation.Split();
        var rows = held.Items.Where(i => i.Id.StartsWith('q')).Select(i => i.Id).ToHashSet();
        Assert.NotEmpty(rows);
        Assert.All(rows, id => Assert.True(split.IsValidationId(id)));
        Assert.Equal(Enumerable.Range(0, 300).Select(i => $"q{i}").Count(id => !split.IsValidationId(id)),
            training.Where(i => i.Id.StartsWith('q')).Select(i => i.Id).Distinct().Count());
    }

    [Fact]
    public void Held_out_families_are_validated_per_family_with_their_own_items()
    {
        var validation = new ValidationOptions { Items = 6, HeldOutFamilyItems = 3, HeldOutFamilies = ["maze_shortest_path", "countdown"] };
        var held = TaskMixtureFactory.ForValidation(new TasksOptions { Mixture = { ["logic"] = 1 } }, validation);
        Assert.Equal(6, held.Items.Count);
        Assert.DoesNotContain(held.Items, i => i.Family is "maze_shortest_path" or "countdown");
        Assert.Equal(["countdown", "countdown", "countdown", "maze_shortest_path", "maze_shortest_path", "maze_shortest_path"], held.FamilyItems.Select(i => i.Family!).Order());
        Assert.Equal(held.FamilyItems.Select(i => i.Id), TaskMixtureFactory.ForValidation(new TasksOptions { Mixture = { ["logic"] = 1 } }, validation)
            .FamilyItems.Select(i => i.Id)); // the same items at every validation
        Assert.Empty(TaskMixtureFactory.ForValidation(new TasksOptions(), new ValidationOptions { HeldOutFamilyItems = 0 }).FamilyItems);
    }

    [Fact]
    public void Naming_a_held_out_family_for_training_or_holding_out_a_whole_dataset_is_an_error()
    {
        var family = Assert.Throws<ArgumentException>(() => TaskMixtureFactory.Create(new TasksOptions { Mixture = { ["logic/maze_shortest_path"] = 1 } }, 1,
            split: new HeldOutSplit(0.1, ["maze_shortest_path"])));
        Assert.Contains("Validation:HeldOutFamilies", family.Message);
        var path = _temp.Combine("one.jsonl");
        var split = new HeldOutSplit(0.5, []);
        var id = Enumerable.Range(0, 100).Select(i => $"id{i}").First(split.IsValidationId);
        File.WriteAllText(path, $$"""{"id":"{{id}}","domain":"math","prompt":"1+1?","answer":"2"}""" + "\n");
        var all = Assert.Throws<InvalidDataException>(() => TaskMixtureFactory.Create(
            new TasksOptions { Datasets = [new DatasetOptions { Path = path }] }, 1, split: split));
        Assert.Contains("Tasks:Datasets:0:Path", all.Message);
        Assert.Contains("Validation:HeldOutFraction", all.Message);
    }

    [Fact]
    public async Task Validation_reports_the_held_out_families_apart_with_pass_at_1_per_family()
    {
        var run = RunStore.Open(_temp.Combine("run"));
        run.Policy.Commit(0, f => File.WriteAllText(Path.Combine(f, "model.onnx"), "policy 0"));
        static TaskItem Math(string id, string family) => new() { Id = id, Domain = "math", Prompt = $"question {id}", Answer = "7", Family = family };
        // In-distribution item: 2 of 2 right. Family a: one item 1 of 2 right, one 0 of 2; family b: 2 of 2.
        var sampler = new ScriptedSampler(new Dictionary<string, (string, int)>
        {
            ["question x"] = ("7", 2), ["question a1"] = ("7", 1), ["question a2"] = ("7", 0), ["question b1"] = ("7", 2),
        });
        var options = new ValidationOptions { EveryNSteps = 1, SamplesPerItem = 2, PassAtK = [1, 2] };
        var stage = new ValidationStage(run, sampler, new RewardScorer([new MathVerifier()]), options,
            [Math("x", "arithmetic")], [Math("a1", "fam_a"), Math("a2", "fam_a"), Math("b1", "fam_b")]);

        var result = (await stage.ValidateNextAsync(CancellationToken.None))!;

        Assert.Equal(1.0, result.Score, 12); // the reset rules follow the in-distribution split only
        var families = result.HeldOutFamilies!;
        Assert.Equal(3, families.Items);
        Assert.Equal((0.5 + 0 + 1) / 3, families.PassAtK["1"], 12); // pass@1 of an item = its share of right samples
        Assert.Equal((1 + 0 + 1) / 3.0, families.PassAtK["2"], 12);
        Assert.Equal(0.25, families.PassAt1ByFamily["fam_a"], 12);
        Assert.Equal(1.0, families.PassAt1ByFamily["fam_b"], 12);
        Assert.Equal(families, ValidationResult.TryRead(run, 0)!.HeldOutFamilies! with { }, new FamiliesComparer());
    }

    private sealed class FamiliesComparer : IEqualityComparer<HeldOutFamiliesResult>
    {
        public bool Equals(HeldOutFamiliesResult? a, HeldOutFamiliesResult? b) =>
            a is not null && b is not null && a.Items == b.Items && a.MeanReward == b.MeanReward &&
            a.PassAtK.OrderBy(p => p.Key).SequenceEqual(b.PassAtK.OrderBy(p => p.Key)) &&
            a.PassAt1ByFamily.OrderBy(p => p.Key).SequenceEqual(b.PassAt1ByFamily.OrderBy(p => p.Key));

        public int GetHashCode(HeldOutFamiliesResult r) => r.Items;
    }
}
