using ProRL.Tasks.Mixture;
using ProRL.Tasks.Model;

namespace ProRL.Tasks.Tests.Mixture;

public class TaskMixtureTests
{
    private static TaskItem Item(string id) => new() { Id = id, Domain = TaskDomains.Math, Prompt = id, Answer = "1" };

    private static IReadOnlyList<TaskSource> Sources() =>
    [
        TaskSource.FromItems("a", 3.0, Enumerable.Range(0, 5).Select(i => Item($"a{i}")).ToList()),
        TaskSource.FromItems("b", 1.0, Enumerable.Range(0, 3).Select(i => Item($"b{i}")).ToList()),
        BuiltInSources.Logic(1.0),
    ];

    [Fact]
    public void The_same_seed_gives_the_same_sequence_and_another_seed_a_different_one()
    {
        var first = new TaskMixture(Sources(), 42).Take(50).Select(t => t.Id).ToList();
        Assert.Equal(first, new TaskMixture(Sources(), 42).Take(50).Select(t => t.Id));
        Assert.NotEqual(first, new TaskMixture(Sources(), 43).Take(50).Select(t => t.Id));
    }

    [Fact]
    public void Resuming_from_a_saved_position_continues_the_same_sequence()
    {
        var uninterrupted = new TaskMixture(Sources(), 7).Take(60).Select(t => t.Id).ToList();
        var before = new TaskMixture(Sources(), 7);
        var head = before.Take(23).Select(t => t.Id).ToList();
        var saved = before.Position.ToJson();
        var resumed = new TaskMixture(Sources(), 7, MixturePosition.FromJson(saved));
        Assert.Equal(uninterrupted, head.Concat(resumed.Take(37).Select(t => t.Id)));
        Assert.Equal(60, resumed.Step);
    }

    [Fact]
    public void Draws_follow_the_weights()
    {
        var mixture = new TaskMixture(Sources(), 1);
        var counts = mixture.Take(5000).GroupBy(t => t.Id[0]).ToDictionary(g => g.Key, g => g.Count());
        Assert.InRange(counts['a'], 2800, 3200);            // 3/5 of 5000
        Assert.InRange(counts['b'], 850, 1150);             // 1/5
        Assert.InRange(counts['l'], 850, 1150);             // generated logic ids start with "logic-"
    }

    [Fact]
    public void Each_epoch_of_a_dataset_visits_every_item_once()
    {
        var mixture = new TaskMixture([TaskSource.FromItems("only", 1, Enumerable.Range(0, 7).Select(i => Item($"x{i}")).ToList())], 3);
        var draws = mixture.Take(21).Select(t => t.Id).ToList();
        for (var epoch = 0; epoch < 3; epoch++)
            Assert.Equal(7, draws.Skip(epoch * 7).Take(7).Distinct().Count());
        Assert.NotEqual(draws.Take(7), draws.Skip(7).Take(7)); // reshuffled per epoch
    }

    [Theory]
    [InlineData("{")]
    [InlineData("""{"step": 3, "drawn": {"a": 1}}""")]
    [InlineData("""{"step": -1, "drawn": {}}""")]
    public void A_corrupt_position_is_rejected(string json) =>
        Assert.Throws<FormatException>(() => MixturePosition.FromJson(json));

    [Fact]
    public void Bad_sources_are_rejected_with_their_name()
    {
        Assert.Contains("'zero'", Assert.Throws<ArgumentOutOfRangeException>(() => TaskSource.FromItems("zero", 0, [Item("x")])).Message);
        Assert.Contains("'empty'", Assert.Throws<ArgumentException>(() => TaskSource.FromItems("empty", 1, [])).Message);
        var position = new MixturePosition(1, new Dictionary<string, long> { ["gone"] = 1 });
        Assert.Contains("gone", Assert.Throws<ArgumentException>(() => new TaskMixture(Sources(), 1, position)).Message);
    }

    [Fact]
    public void The_default_mixture_covers_every_domain()
    {
        var domains = new TaskMixture(BuiltInSources.DefaultMixture(), 5).Take(400).Select(t => t.Domain).ToHashSet();
        Assert.Equal(TaskDomains.All.ToHashSet(), domains);
    }

    [Fact]
    public void Held_out_families_never_appear_in_the_default_logic_source()
    {
        var families = new TaskMixture([BuiltInSources.Logic()], 9).Take(500).Select(t => t.Family!).ToHashSet();
        Assert.Empty(families.Intersect(ProRL.Tasks.Logic.LogicGenerators.HeldOutFamilies));
        Assert.True(families.Count >= 8);
    }
}
