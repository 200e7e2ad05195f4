using System.Text.Json.Nodes;
using ProRL.Evaluation.TaskSelection;
using ProRL.Tasks.Datasets;
using ProRL.Tasks.Logic;
using ProRL.Tasks.Model;

namespace ProRL.Evaluation.Tests;

public class TaskSetBuilderTests
{
    private static Task<IReadOnlyList<EvaluationProblem>> Build(string spec, int? problems = 3, int seed = 5, int minDifficulty = 0, int maxDifficulty = 0) =>
        TaskSetBuilder.BuildAsync(TaskSpec.Parse(spec),
            new TaskSelectionOptions { ProblemsPerSource = problems, Seed = seed, MinDifficulty = minDifficulty, MaxDifficulty = maxDifficulty });

    [Fact]
    public async Task FamilyGivesThatManyProblemsOfThatFamily()
    {
        var problems = await Build("logic:maze");
        Assert.Equal(3, problems.Count);
        Assert.All(problems, p => Assert.Equal(("maze_shortest_path", "logic:maze_shortest_path", TaskDomains.Logic), (p.Task.Family, p.Source, p.Task.Domain)));
        Assert.Equal(3, problems.Select(p => p.Task.Id).Distinct().Count());
    }

    [Fact]
    public async Task DomainCoversEveryLogicFamilyIncludingHeldOut()
    {
        var problems = await Build("logic", problems: 2);
        Assert.Equal(LogicGenerators.Families.Count * 2, problems.Count);
        Assert.True(LogicGenerators.HeldOutFamilies.Count > 0);
        Assert.Superset(LogicGenerators.HeldOutFamilies.ToHashSet(), problems.Select(p => p.Task.Family!).ToHashSet());
    }

    [Fact]
    public async Task HeldOutGroupHasOnlyHeldOutFamilies()
    {
        var problems = await Build("logic:held-out", problems: 1);
        Assert.Equal(LogicGenerators.HeldOutFamilies.Order(), problems.Select(p => p.Task.Family!).Order());
    }

    [Fact]
    public async Task SameSeedSameProblemsOtherSeedOtherProblems()
    {
        var a = (await Build("logic:digit_sum", seed: 1)).Select(p => p.Task.Prompt).ToList();
        var b = (await Build("logic:digit_sum", seed: 1)).Select(p => p.Task.Prompt).ToList();
        var c = (await Build("logic:digit_sum", seed: 2)).Select(p => p.Task.Prompt).ToList();
        Assert.Equal(a, b);
        Assert.NotEqual(a, c);
    }

    [Fact]
    public async Task OverlappingEntriesKeepEachProblemOnce()
    {
        var problems = await Build("logic:maze_shortest_path,logic");
        Assert.Equal(LogicGenerators.Families.Count * 3, problems.Count);
        Assert.Equal(problems.Count, problems.Select(p => p.Task.Id).Distinct().Count());
    }

    [Fact]
    public async Task DifficultiesCycleThroughTheRangeCappedByTheFamily()
    {
        var problems = await Build("math:arithmetic", problems: 4, minDifficulty: 1, maxDifficulty: 2);
        Assert.Equal([1, 2, 1, 2], problems.Select(p => p.Task.Difficulty!.Value));
        var capped = TaskSetBuilder.Difficulty(new TaskSelectionOptions { MinDifficulty = 3, MaxDifficulty = 9 }, 5, familyMax: 4);
        Assert.Equal(4, capped);
    }

    [Fact]
    public async Task SampleSetsAndFilesTakeTheFirstItems()
    {
        var samples = await Build("stem", problems: 2);
        Assert.Equal(SampleSets.Load(TaskDomains.Stem).Take(2).Select(t => t.Id), samples.Select(p => p.Task.Id));
        Assert.All(samples, p => Assert.Equal("stem:samples", p.Source));

        using var dir = new TempDirectory();
        var file = dir.Sub("mine.jsonl");
        File.WriteAllLines(file, Enumerable.Range(0, 5).Select(i =>
            new JsonObject { ["id"] = $"q{i}", ["domain"] = "math", ["prompt"] = $"What is {i}+1?", ["answer"] = $"{i + 1}" }.ToJsonString()));
        var fromFile = await Build(file, problems: null);
        Assert.Equal(["q0", "q1", "q2", "q3", "q4"], fromFile.Select(p => p.Task.Id));
        Assert.All(fromFile, p => Assert.Equal("file:mine.jsonl", p.Source));
    }

    [Fact]
    public async Task ConflictingIdsAcrossFilesAreAnError()
    {
        using var dir = new TempDirectory();
        var a = dir.Sub("a.jsonl");
        var b = dir.Sub("b.jsonl");
        File.WriteAllText(a, """{"id": "same", "domain": "math", "prompt": "1+1?", "answer": "2"}""");
        File.WriteAllText(b, """{"id": "same", "domain": "math", "prompt": "2+2?", "answer": "4"}""");
        var e = await Assert.ThrowsAsync<InvalidDataException>(() => Build($"{a},{b}"));
        Assert.Contains("'same'", e.Message);
        Assert.Contains("file:b.jsonl", e.Message);
    }

    [Fact]
    public async Task DatasetWithoutReadableRowsIsAnError()
    {
        using var dir = new TempDirectory();
        var file = dir.Sub("bad.jsonl");
        File.WriteAllText(file, "not json\n");
        var e = await Assert.ThrowsAsync<InvalidDataException>(() => Build(file));
        Assert.Contains("bad.jsonl", e.Message);
    }
}
