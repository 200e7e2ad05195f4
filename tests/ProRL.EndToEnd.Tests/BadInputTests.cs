using System.Text.Json.Nodes;
using Xunit.Abstractions;

namespace ProRL.EndToEnd.Tests;

/// <summary>Bad input met by a real worker process: refused at start-up with exit 2, or counted while training.</summary>
public class BadInputTests(ITestOutputHelper output)
{
    private const string GoodRow = """{"domain": "math", "prompt": "What is 2+3? Answer in \\boxed{}.", "answer": "5"}""";

    [Fact]
    public async Task Malformed_dataset_rows_are_counted_in_metrics_and_logged_once_per_file()
    {
        var root = Directory.CreateTempSubdirectory("prorl-e2e-badrows-").FullName;
        var dataset = Path.Combine(root, "train.jsonl");
        var lines = Enumerable.Repeat(GoodRow, 20).ToArray();
        lines[6] = """{"domain": "math", "prompt": 12, "answer": "5"}"""; // line 7: 1 of 20, under Tasks:MaxSkippedFraction
        File.WriteAllLines(dataset, lines);
        var settings = SmallRun.Settings(TinyModel.Folder, Path.Combine(root, "run"), promptsPerChunk: 4);
        settings["Run:MaxSteps"] = "2";
        settings["Sft:Steps"] = "0";
        settings["Services:Validation"] = "false";
        settings["Validation:EveryNSteps"] = "0"; // nothing validates: the stall and drop rules have no results to wait for
        settings["Tasks:Datasets:0:Path"] = dataset;
        // The dataset alone: every family of the shipped mixture off.
        foreach (var family in new[] { "digit_sum", "sequence_continuation", "base_conversion", "letter_counting" })
            settings[$"Tasks:Mixture:logic/{family}"] = "0";

        using var worker = WorkerProcess.Start(settings, root);
        int exit = await worker.WaitForExitAsync(TimeSpan.FromMinutes(3));
        output.WriteLine(worker.Output);
        Assert.Equal(0, exit);

        var steps = File.ReadLines(Path.Combine(root, "run", "metrics.jsonl")).Select(l => JsonNode.Parse(l)!.AsObject())
            .Where(r => (string?)r["phase"] == "rl").ToList();
        Assert.Equal(2, steps.Count);
        Assert.All(steps, s => Assert.Equal(1.0, (double)s["data/skipped_rows"]!));
        // The trainer says it once per file (not per step), with the file and the line.
        var warnings = worker.Output.Split('\n').Where(l => l.Contains("Skipped rows are counted as data/skipped_rows", StringComparison.Ordinal)).ToList();
        var warning = Assert.Single(warnings);
        Assert.Contains(dataset, warning);
        Assert.Contains("line 7", warning);
    }

    [Fact]
    public async Task Prorl_verb_refuses_a_broken_model_folder_with_the_same_lines_and_exit_2()
    {
        var root = Directory.CreateTempSubdirectory("prorl-e2e-cli-").FullName;
        var model = Path.Combine(root, "model");
        Directory.CreateDirectory(model);
        foreach (var file in Directory.EnumerateFiles(TinyModel.Folder)) File.Copy(file, Path.Combine(model, Path.GetFileName(file)));
        File.Delete(Path.Combine(model, "tokenizer.json"));
        var start = new System.Diagnostics.ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = root };
        foreach (var arg in new[] { Path.Combine(AppContext.BaseDirectory, "prorl.dll"), "generate", "--model", model, "--prompt", "hi" })
            start.ArgumentList.Add(arg);
        using var process = System.Diagnostics.Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(1));
        await process.WaitForExitAsync(timeout.Token);
        var text = await stdout + await stderr;
        output.WriteLine(text);
        Assert.Equal(2, process.ExitCode);
        Assert.Contains("Invalid input:", text);
        Assert.Contains("--model: " + Path.Combine(model, "tokenizer.json") + ": missing", text);
    }

    [Fact]
    public async Task Truncated_model_data_exits_2_with_one_line_and_initialises_nothing()
    {
        var root = Directory.CreateTempSubdirectory("prorl-e2e-badmodel-").FullName;
        var model = Path.Combine(root, "model");
        Directory.CreateDirectory(model);
        foreach (var file in Directory.EnumerateFiles(TinyModel.Folder)) File.Copy(file, Path.Combine(model, Path.GetFileName(file)));
        var data = Path.Combine(model, "model.onnx.data");
        File.WriteAllBytes(data, File.ReadAllBytes(data)[..4096]);
        var run = Path.Combine(root, "run");

        using var worker = WorkerProcess.Start(SmallRun.Settings(model, run, promptsPerChunk: 4), root);
        int exit = await worker.WaitForExitAsync(TimeSpan.FromMinutes(1));
        output.WriteLine(worker.Output);
        Assert.Equal(2, exit);
        Assert.Contains("Invalid configuration:", worker.Output);
        Assert.Contains("Model:Path: " + data, worker.Output);
        Assert.DoesNotContain("   at ", worker.Output);
        Assert.False(Directory.Exists(run), "the run directory was created from a broken model");
    }
}
