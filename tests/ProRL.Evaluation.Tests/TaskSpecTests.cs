using ProRL.Evaluation.TaskSelection;

namespace ProRL.Evaluation.Tests;

public class TaskSpecTests
{
    [Fact]
    public void ParsesDomainsFamiliesGroupsAndFiles()
    {
        using var dir = new TempDirectory();
        var file = dir.Sub("set.jsonl");
        File.WriteAllText(file, "");
        var spec = TaskSpec.Parse($"logic, logic:maze,logic:held-out, math:arithmetic,stem:samples,{file}");
        Assert.Equal(
            [TaskSpecKind.Domain, TaskSpecKind.Family, TaskSpecKind.Family, TaskSpecKind.Family, TaskSpecKind.Family, TaskSpecKind.File],
            spec.Entries.Select(e => e.Kind));
        // A prefix naming one family resolves to it.
        Assert.Equal(("logic", "maze_shortest_path"), (spec.Entries[1].Domain, spec.Entries[1].Family));
        Assert.Equal("held-out", spec.Entries[2].Family);
        Assert.Equal(Path.GetFullPath(file), spec.Entries[5].Path);
    }

    [Theory]
    [InlineData("chemistry", "Unknown domain 'chemistry'")]
    [InlineData("logic:mazes", "Unknown family 'mazes' of domain 'logic'")]
    [InlineData("logic:", "Unknown family '' of domain 'logic'")]
    [InlineData("logic:b", "ambiguous: it could be base_conversion, boolean_sat")]
    [InlineData("math:maze", "Unknown family 'maze' of domain 'math'")]
    [InlineData("logic,,math", "empty entry")]
    [InlineData("logic,", "empty entry")]
    [InlineData("  ", "empty")]
    [InlineData("data/tasks.csv", "not a dataset")]
    public void BadEntriesAreNamedInTheError(string spec, string expected)
    {
        var e = Assert.ThrowsAny<ArgumentException>(() => TaskSpec.Parse(spec));
        Assert.Contains(expected, e.Message);
    }

    [Fact]
    public void UnknownFamilyErrorListsTheKnownOnes()
    {
        var e = Assert.Throws<ArgumentException>(() => TaskSpec.Parse("logic:nope"));
        Assert.Contains("maze", e.Message);
        Assert.Contains("held-out", e.Message);
    }

    [Fact]
    public void MissingDatasetFileIsNamed()
    {
        var e = Assert.Throws<FileNotFoundException>(() => TaskSpec.Parse("logic,/no/such/dir/set.parquet"));
        Assert.Contains("/no/such/dir/set.parquet", e.Message);
    }
}
