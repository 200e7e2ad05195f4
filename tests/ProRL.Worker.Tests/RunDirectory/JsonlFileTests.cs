using System.Text;
using System.Text.Json.Nodes;
using ProRL.Worker.RunDirectory;

namespace ProRL.Worker.Tests.RunDirectory;

public sealed class JsonlFileTests : IDisposable
{
    private readonly TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void Appended_records_read_back_one_per_line()
    {
        var file = new JsonlFile(_temp.Combine("m.jsonl"));
        file.Append(new JsonObject { ["step"] = 1, ["kl"] = 0.5 });
        file.Append(new { step = 2, kl = 0.25 });

        var result = file.ReadAll();
        Assert.Equal([1, 2], result.Records.Select(r => (int)r["step"]!));
        Assert.Equal(0.25, (double)result.Records[1]["kl"]!);
        Assert.Empty(result.SkippedLines);
        Assert.Equal(2, File.ReadAllLines(file.Path).Length);
    }

    [Fact]
    public void Torn_last_line_is_skipped_and_the_next_append_starts_a_fresh_line()
    {
        var file = new JsonlFile(_temp.Combine("m.jsonl"));
        file.Append(new JsonObject { ["step"] = 1 });
        File.AppendAllText(file.Path, "{\"step\":2,\"kl\":0.");      // crash mid-write

        var torn = file.ReadAll();
        Assert.Equal([1], torn.Records.Select(r => (int)r["step"]!));
        Assert.Empty(torn.SkippedLines);                              // an unfinished last line is not an error

        file.Append(new JsonObject { ["step"] = 3 });
        var after = file.ReadAll();
        Assert.Equal([1, 3], after.Records.Select(r => (int)r["step"]!));
        Assert.Equal([2], after.SkippedLines);                        // the fragment is now a complete, invalid line 2
    }

    [Fact]
    public void Missing_file_reads_as_empty()
    {
        var result = new JsonlFile(_temp.Combine("absent.jsonl")).ReadAll();
        Assert.Empty(result.Records);
        Assert.Equal(0, result.NextOffset);
    }

    [Fact]
    public void Follower_returns_each_complete_record_once()
    {
        var file = new JsonlFile(_temp.Combine("m.jsonl"));
        var follower = new JsonlFollower(file);
        Assert.Empty(follower.ReadNew());

        file.Append(new JsonObject { ["step"] = 1 });
        File.AppendAllText(file.Path, "{\"step\":2");                 // being written right now
        Assert.Equal([1], follower.ReadNew().Select(r => (int)r["step"]!));
        File.AppendAllText(file.Path, "}\n");
        Assert.Equal([2], follower.ReadNew().Select(r => (int)r["step"]!));
        Assert.Empty(follower.ReadNew());
    }

    [Fact]
    public void Concurrent_appends_never_interleave()
    {
        var path = _temp.Combine("events.jsonl");
        Parallel.For(0, 8, w =>
        {
            var file = new JsonlFile(path);
            for (int i = 0; i < 50; i++) file.Append(new JsonObject { ["w"] = w, ["i"] = i, ["pad"] = new string('x', 300) });
        });
        var result = new JsonlFile(path).ReadAll();
        Assert.Equal(400, result.Records.Count);
        Assert.Empty(result.SkippedLines);
    }

    [Fact]
    public void Metrics_log_writes_the_step_and_non_finite_values_as_null()
    {
        var log = new MetricsLog(_temp.Combine("metrics.jsonl"));
        log.Append(7, new Dictionary<string, double> { [MetricNames.Kl] = 0.1, [MetricNames.Entropy] = double.NaN }, phase: "rl");
        var record = Assert.Single(log.File.ReadAll().Records);
        Assert.Equal(7, (long)record[MetricNames.Step]!);
        Assert.Equal(0.1, (double)record[MetricNames.Kl]!);
        Assert.True(record.ContainsKey(MetricNames.Entropy));
        Assert.Null(record[MetricNames.Entropy]);
        Assert.Equal("rl", (string)record[MetricNames.Phase]!);
    }

    [Fact]
    public void Event_log_records_type_step_message_and_data()
    {
        var log = new EventLog(_temp.Combine("events.jsonl"));
        log.Append(EventTypes.ReferenceReset, 40, "stall rule fired", new JsonObject { ["rule"] = "stall" });
        var record = Assert.Single(log.File.ReadAll().Records);
        Assert.Equal(EventTypes.ReferenceReset, (string)record["type"]!);
        Assert.Equal(40, (long)record["step"]!);
        Assert.Equal("stall", (string)record["data"]!["rule"]!);
        Assert.EndsWith("\n", Encoding.UTF8.GetString(File.ReadAllBytes(log.File.Path)));
    }
}
