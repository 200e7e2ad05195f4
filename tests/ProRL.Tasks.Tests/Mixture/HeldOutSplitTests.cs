using ProRL.Tasks.Logic;
using ProRL.Tasks.Mixture;
using ProRL.Tasks.Model;

namespace ProRL.Tasks.Tests.Mixture;

public class HeldOutSplitTests
{
    private static TaskItem Item(string id) => new() { Id = id, Domain = TaskDomains.Math, Prompt = "q " + id, Answer = "1" };

    private static readonly IReadOnlyList<TaskItem> Dataset = Enumerable.Range(0, 1000).Select(i => Item($"row-{i}")).ToList();

    private static IReadOnlyList<TaskSource> Sources(HeldOutSplit split, TaskSplit side) =>
        new[] { TaskSource.FromItems("data", 2.0, Dataset), BuiltInSources.Logic(1.0, split.TrainingFamilies), BuiltInSources.Arithmetic(1.0) }
            .Select(s => s.On(split, side)!)
            .ToList();

    [Fact]
    public void Dataset_items_are_held_out_by_a_hash_of_their_id_alone()
    {
        var split = new HeldOutSplit(0.2, []);
        var heldOut = Dataset.Where(i => split.SideOf(i) == TaskSplit.Validation).Select(i => i.Id).ToHashSet();
        Assert.InRange(heldOut.Count, 150, 250); // 20 % of 1000, binomial sd ≈ 13
        // The order of the rows, the source and the run seed play no part: the same ids are held out.
        var reversed = TaskSource.FromItems("other", 1, Dataset.Reverse().ToList()).On(split, TaskSplit.Validation)!;
        Assert.Equal(heldOut, new TaskMixture([reversed], 99).Take(heldOut.Count).Select(i => i.Id).ToHashSet());
        Assert.DoesNotContain(Dataset, i => new HeldOutSplit(0, []).SideOf(i) == TaskSplit.Validation);
    }

    [Fact]
    public void The_training_sampler_never_draws_a_validation_item_in_many_draws()
    {
        var split = new HeldOutSplit(0.2, LogicGenerators.HeldOutFamilies);
        var training = new TaskMixture(Sources(split, TaskSplit.Training), 7).Take(20_000);
        var validation = new TaskMixture(Sources(split, TaskSplit.Validation), 1_000_003).Take(5_000);

        Assert.Empty(training.Select(i => i.Id).Intersect(validation.Select(i => i.Id)));
        var datasetDraws = training.Where(i => i.Id.StartsWith("row-", StringComparison.Ordinal)).ToList();
        Assert.True(datasetDraws.Count > 8_000);
        Assert.All(datasetDraws, i => Assert.Equal(TaskSplit.Training, split.SideOf(i)));
        // Every training row is still drawn (epochs go over the training part), and only those.
        Assert.Equal(Dataset.Count(i => split.SideOf(i) == TaskSplit.Training), datasetDraws.Select(i => i.Id).Distinct().Count());
        Assert.All(validation.Where(i => i.Id.StartsWith("row-", StringComparison.Ordinal)), i => Assert.Equal(TaskSplit.Validation, split.SideOf(i)));
    }

    [Fact]
    public void Generator_seeds_of_the_two_sides_are_disjoint()
    {
        var split = new HeldOutSplit(0.2, LogicGenerators.HeldOutFamilies);
        var training = new TaskMixture(Sources(split, TaskSplit.Training), 7).Take(10_000).Where(i => i.Seed is not null).ToList();
        var validation = new TaskMixture(Sources(split, TaskSplit.Validation), 7).Take(10_000).Where(i => i.Seed is not null).ToList();
        Assert.True(training.Count > 4_000 && validation.Count > 4_000);
        Assert.All(training, i => Assert.True(i.Seed >= 0, $"training seed {i.Seed}"));
        Assert.All(validation, i => Assert.True(i.Seed < 0, $"validation seed {i.Seed}"));
        Assert.Empty(training.Select(i => i.Seed).Intersect(validation.Select(i => i.Seed)));
        // The map itself: the same random bits give a non-negative seed on one side and a negative one on the other.
        var random = new DeterministicRandom(5);
        for (int n = 0; n < 100_000; n++)
        {
            var bits = random.NextUInt64();
            int train = SeedDomains.Seed(TaskSplit.Training, bits), held = SeedDomains.Seed(TaskSplit.Validation, bits);
            Assert.True(train >= 0 && held < 0);
            Assert.Equal((TaskSplit.Training, TaskSplit.Validation), (SeedDomains.SideOf(train), SeedDomains.SideOf(held)));
        }
        Assert.Equal((0, int.MinValue), (SeedDomains.Seed(TaskSplit.Training, 1UL << 31), SeedDomains.Seed(TaskSplit.Validation, 1UL << 31)));
    }

    [Fact]
    public void Training_keeps_the_stream_of_runs_made_before_the_split()
    {
        // A generator source made without a split draws training seeds: the same tasks as before the split existed.
        var unsplit = new TaskMixture([BuiltInSources.Arithmetic(1.0)], 3).Take(50).Select(i => i.Id);
        var training = new TaskMixture([BuiltInSources.Arithmetic(1.0).On(HeldOutSplit.Default, TaskSplit.Training)!], 3).Take(50).Select(i => i.Id);
        Assert.Equal(unsplit, training);
    }

    [Fact]
    public void Held_out_families_never_appear_in_training_draws()
    {
        var split = new HeldOutSplit(0.1, ["countdown", "maze_shortest_path"]);
        var families = new TaskMixture(Sources(split, TaskSplit.Training), 11).Take(5_000).Select(i => i.Family).OfType<string>().ToHashSet();
        Assert.DoesNotContain("countdown", families);
        Assert.DoesNotContain("maze_shortest_path", families);
        Assert.Contains("graph_coloring", families); // not held out by this split
        Assert.Equal(LogicGenerators.Families.Count - 2, split.TrainingFamilies.Count);
    }

    [Fact]
    public void A_dataset_with_no_item_on_a_side_has_no_source_there_and_bad_splits_are_refused()
    {
        var split = new HeldOutSplit(0.5, []);
        var onlyTraining = Enumerable.Range(0, 200).Select(i => Item($"x{i}")).First(i => split.SideOf(i) == TaskSplit.Training);
        Assert.Null(TaskSource.FromItems("one", 1, [onlyTraining]).On(split, TaskSplit.Validation));
        Assert.NotNull(TaskSource.FromItems("one", 1, [onlyTraining]).On(split, TaskSplit.Training));
        Assert.Throws<ArgumentOutOfRangeException>(() => new HeldOutSplit(1.0, []));
        Assert.Contains("no_such_family", Assert.Throws<ArgumentException>(() => new HeldOutSplit(0.1, ["no_such_family"])).Message);
    }
}
