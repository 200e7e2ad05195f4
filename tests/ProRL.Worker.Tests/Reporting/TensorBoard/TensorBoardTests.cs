using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
using ProRL.Worker.Reporting.TensorBoard;
using ProRL.Worker.RunDirectory;
using ProRL.Worker.Services.Validation;
using ProRL.Worker.Telemetry;

namespace ProRL.Worker.Tests.Reporting.TensorBoard;

public sealed class TensorBoardTests : IDisposable
{
    private readonly TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    // Steps far from those of other tests: the distributions hand-off is process-wide and test classes run in parallel.
    private const long B = 70_000;

    private static void AppendSteps(RunStore run, int from, int to)
    {
        for (int s = from; s <= to; s++)
            run.Metrics.Append(B + s, new Dictionary<string, double>
            {
                [MetricNames.RewardMean] = 0.25 * s,
                [MetricNames.Kl] = 1e-3 * s,
                ["reward/math"] = 0.5,
                [MetricNames.Entropy] = double.NaN, // written as null: no scalar
            }, "rl");
    }

    [Fact]
    public void Crc32c_matches_the_published_check_value()
    {
        // RFC 3720 B.4 / the CRC catalogue's check value for CRC-32C of "123456789".
        Assert.Equal(0xE3069283u, TfRecord.Crc32C("123456789"u8));
        Assert.Equal(0u, TfRecord.Crc32C([]) ^ 0u);
        var framed = TfRecord.Frame([1, 2, 3]);
        Assert.Equal([1, 2, 3], TfRecord.ReadAll(framed).Single());
        framed[^1] ^= 1;
        Assert.Empty(TfRecord.ReadAll(framed));
    }

    [Fact]
    public void Python_reader_parses_scalars_text_histograms_and_a_restart_appends_without_duplicates()
    {
        var run = RunStore.Open(_temp.Path);
        AppendSteps(run, 1, 3);
        run.Events.Append(EventTypes.ReferenceReset, B + 2, "reference reset to policy v2", new JsonObject { ["rule"] = "KlAbove" });
        run.Events.Append(EventTypes.PolicyCommitted, B + 2, "not a reset: not written");
        new ValidationResult(B + 2, 8, 4, new Dictionary<string, double> { ["1"] = 0.375, ["4"] = 0.75 }, 0.4,
            new Dictionary<string, double> { ["math"] = 0.4 },
            new HeldOutFamiliesResult(6, new Dictionary<string, double> { ["1"] = 0.125, ["4"] = 0.5 }, 0.15,
                new Dictionary<string, double> { ["cryptarithm"] = 0.0, ["graph_coloring"] = 0.25 })).Save(run);

        string firstFile;
        using (var reporter = new TensorBoardReporter(run))
        {
            firstFile = reporter.EventFilePath;
            // Step 4's distributions arrive before its commit; step 9's belong to a step never committed.
            TrainingDistributions.Publish(B + 4, [-1.0, 0.0, 0.5, 0.5], [3, 7, 7, 10]);
            TrainingDistributions.Publish(B + 9, [1.0], [1]);
            reporter.Pump();
            AppendSteps(run, 4, 4);
            reporter.Pump();
        }
        // A crash tears the tail of the first file: a half-written record for step 5.
        AppendSteps(run, 5, 5);
        var torn = TfRecord.Frame(new byte[40]);
        using (var f = new FileStream(firstFile, FileMode.Append)) f.Write(torn.AsSpan(0, 20));

        AppendSteps(run, 6, 6);
        run.Events.Append(EventTypes.ReferenceReset, B + 6, "second reset");
        string secondFile;
        using (var restarted = new TensorBoardReporter(run))
        {
            secondFile = restarted.EventFilePath;
            restarted.Pump();
        }
        Assert.NotEqual(firstFile, secondFile);

        var files = ReadWithPython(EventFileLog.EventFiles(Path.Combine(run.Root, TensorBoardReporter.FolderName)));
        Assert.Equal(2, files.Count);
        Assert.Equal("torn", (string?)files[0]["status"]);
        Assert.Equal("ok", (string?)files[1]["status"]);
        foreach (var file in files)
        {
            var first = file["records"]![0]!;
            Assert.Equal("brain.Event:2", (string?)first["file_version"]);
        }

        var records = files.SelectMany(f => f["records"]!.AsArray()).Where(r => (string?)r!["what"] == "summary").ToList();
        var values = records.SelectMany(r => r!["values"]!.AsArray().Select(v => (Step: (long)r["step"]! - B, Value: v!))).ToList();

        // Every metrics step exactly once across both files, with the metrics.jsonl values (as float32).
        var reward = values.Where(v => (string?)v.Value["tag"] == MetricNames.RewardMean).ToList();
        Assert.Equal([1L, 2, 3, 4, 5, 6], reward.Select(v => v.Step));
        Assert.All(reward, v => Assert.Equal(0.25 * v.Step, (double)v.Value["value"]!, 6));
        Assert.Equal([1L, 2, 3, 4, 5, 6], values.Where(v => (string?)v.Value["tag"] == "kl").Select(v => v.Step));
        Assert.DoesNotContain(values, v => (string?)v.Value["tag"] is MetricNames.Entropy or "phase" or "time");

        var pass = values.Where(v => ((string?)v.Value["tag"])!.StartsWith("validation/pass@", StringComparison.Ordinal)).ToList();
        Assert.Equal(["validation/pass@1", "validation/pass@4"], pass.Select(v => (string?)v.Value["tag"]));
        Assert.All(pass, v => Assert.Equal(2, v.Step));
        Assert.Equal(0.375, (double)pass[0].Value["value"]!, 6);
        // The held-out families apart, overall and per family.
        var families = values.Where(v => ((string?)v.Value["tag"])!.StartsWith("validation/heldout_families/", StringComparison.Ordinal))
            .ToDictionary(v => (string)v.Value["tag"]!, v => (double)v.Value["value"]!);
        Assert.Equal(["validation/heldout_families/cryptarithm/pass@1", "validation/heldout_families/graph_coloring/pass@1",
            "validation/heldout_families/mean_reward", "validation/heldout_families/pass@1", "validation/heldout_families/pass@4"], families.Keys.Order());
        Assert.Equal(0.125, families["validation/heldout_families/pass@1"], 6);
        Assert.Equal(0.25, families["validation/heldout_families/graph_coloring/pass@1"], 6);

        var resets = values.Where(v => (string?)v.Value["tag"] == "events/reference_reset").ToList();
        Assert.Equal([2L, 6], resets.Select(v => v.Step));
        Assert.All(resets, v => Assert.Equal("text", (string?)v.Value["plugin"]));
        Assert.StartsWith("reference reset to policy v2", (string?)resets[0].Value["strings"]![0]);
        Assert.Contains("KlAbove", (string?)resets[0].Value["strings"]![0]);
        Assert.DoesNotContain(values, v => (string?)v.Value["tag"] == "events/policy_committed");

        var adv = values.Single(v => (string?)v.Value["tag"] == TensorBoardReporter.AdvantagesTag);
        Assert.Equal(4, adv.Step);
        Assert.Equal(4.0, (double)adv.Value["num"]!);
        Assert.Equal(-1.0, (double)adv.Value["min"]!);
        Assert.Equal(0.0, (double)adv.Value["sum"]!);
        Assert.Equal(1.5, (double)adv.Value["sum_squares"]!);
        Assert.Equal(4.0, adv.Value["bucket"]!.AsArray().Sum(b => (double)b!));
        var lengths = values.Single(v => (string?)v.Value["tag"] == TensorBoardReporter.ResponseLengthTag);
        Assert.Equal(10.0, (double)lengths.Value["max"]!);
        Assert.DoesNotContain(values, v => v.Step == 9);
    }

    /// <summary>Runs tf_events_reader.py with Debian's python3-protobuf on a reader module that protoc compiles here.</summary>
    private List<JsonNode> ReadWithPython(IReadOnlyList<string> files)
    {
        var here = Path.Combine(AppContext.BaseDirectory, "Reporting", "TensorBoard");
        var generated = Directory.CreateDirectory(_temp.Combine("pb")).FullName;
        Run("protoc", [$"--proto_path={here}", $"--python_out={generated}", Path.Combine(here, "reader_event.proto")]);
        var python = File.Exists("/usr/bin/python3") ? "/usr/bin/python3" : "python3";
        var json = Run(python, [Path.Combine(here, "tf_events_reader.py"), generated, .. files]);
        return JsonNode.Parse(json)!.AsArray().Select(n => n!).ToList();
    }

    private static string Run(string program, IEnumerable<string> arguments)
    {
        var start = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in arguments) start.ArgumentList.Add(a);
        Process process;
        try
        {
            process = Process.Start(start)!;
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new InvalidOperationException(
                $"'{program}' is not installed: the TensorBoard reader test needs Debian's protobuf-compiler and python3-protobuf (.ci/run installs them).", e);
        }
        using (process)
        {
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            Assert.True(process.WaitForExit(60_000), $"{program} did not finish within 60 s");
            Assert.True(process.ExitCode == 0, $"{program} exited with {process.ExitCode}: {stderr.Result}");
            return stdout.Result;
        }
    }
}
