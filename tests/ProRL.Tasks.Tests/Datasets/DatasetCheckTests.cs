using ProRL.Tasks.Datasets;

namespace ProRL.Tasks.Tests.Datasets;

public sealed class DatasetCheckTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("prorl-dataset-check-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private const string Good = """{"domain": "math", "prompt": "1+1?", "answer": "2"}""";

    private string Write(string name, params string[] lines)
    {
        var path = Path.Combine(_dir, name);
        File.WriteAllLines(path, lines);
        return path;
    }

    [Fact]
    public void Summary_counts_rows_and_shows_the_first_skipped_lines_with_reasons()
    {
        var path = Write("a.jsonl", [.. Enumerable.Repeat(Good, 18), "{", "[1]"]);
        var report = DatasetCheck.Inspect(path, maxSkippedFraction: 0.1);
        Assert.True(report.Usable);
        Assert.Equal((18, 2), (report.RowsRead, report.RowsSkipped));
        Assert.StartsWith($"{path}: 18 rows read, 2 skipped (line 19: ", report.Summary());
        Assert.Contains("line 20: line is not a JSON object", report.Summary());
    }

    [Fact]
    public void Share_of_skipped_rows_above_the_limit_refuses_the_file()
    {
        var path = Write("b.jsonl", [.. Enumerable.Repeat(Good, 8), "{", "{"]); // 2 of 10 = 0.2
        Assert.True(DatasetCheck.Inspect(path, 0.2).Usable);
        var refused = DatasetCheck.Inspect(path, 0.19);
        var problem = Assert.Single(refused.Problems);
        Assert.Contains("2 of 10 rows are malformed", problem);
        Assert.Contains("Tasks:MaxSkippedFraction", problem);
    }

    [Fact]
    public void File_without_a_usable_row_is_refused_even_when_skipping_is_allowed()
    {
        var path = Write("c.jsonl", "nope");
        Assert.Contains("no usable task rows", Assert.Single(DatasetCheck.Inspect(path, 1.0).Problems));
    }

    [Fact]
    public void Missing_and_unreadable_files_are_refused_naming_them()
    {
        var missing = Path.Combine(_dir, "missing.jsonl");
        Assert.Contains(missing, Assert.Single(DatasetCheck.Inspect(missing, 0.1).Problems));
        var parquet = Path.Combine(_dir, "broken.parquet");
        File.WriteAllBytes(parquet, [1, 2, 3, 4, 5]);
        var problem = Assert.Single(DatasetCheck.Inspect(parquet, 0.1).Problems);
        Assert.Contains(parquet, problem);
        Assert.Contains("cannot be read", problem);
    }
}
