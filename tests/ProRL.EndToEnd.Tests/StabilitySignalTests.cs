using System.Text.Json.Nodes;
using Xunit.Abstractions;

namespace ProRL.EndToEnd.Tests;

/// <summary>
/// The stability machinery in a real run. Algorithm:KlControl=adaptive is wired into the update: each RL step's
/// coefficient (metrics kl_coef) follows from the previous step's coefficient and measured KL by Ziegler et al.'s rule,
/// β ← β·(1 + clip(KL/target − 1, ±0.2)·n/H). And an entropy_collapse event is written once, at the step where the
/// entropy has stayed under the floor for the configured number of steps.
/// </summary>
public class StabilitySignalTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Adaptive_kl_control_sets_each_steps_coefficient_and_a_collapse_is_reported_once()
    {
        const double target = 1e-4, initial = 0.05;
        const int horizon = 32;
        var root = Directory.CreateTempSubdirectory("prorl-e2e-adaptive-kl-").FullName;
        var run = Path.Combine(root, "run");
        var settings = SmallRun.Settings(TinyModel.Folder, run, promptsPerChunk: 2);
        settings["Run:MaxSteps"] = "5";
        settings["Algorithm:KlControl"] = "adaptive";
        settings["Algorithm:KlCoef"] = initial.ToString("R", System.Globalization.CultureInfo.InvariantCulture);
        settings["Algorithm:KlTarget"] = target.ToString("R", System.Globalization.CultureInfo.InvariantCulture);
        settings["Algorithm:KlHorizon"] = horizon.ToString(System.Globalization.CultureInfo.InvariantCulture);
        settings["ReferenceReset:EveryNSteps"] = "";
        settings["ReferenceReset:Enabled"] = "false";
        settings["Algorithm:EntropyFloor"] = "100"; // every step is under it: the event comes at the second RL step
        settings["Algorithm:EntropyCollapseSteps"] = "2";
        settings["Training:Recompute"] = "layers"; // the worker path of layer recomputation: warm-up and RL graphs
        settings["Training:HeadChunks"] = "3"; // and of the sliced head
        using (var worker = WorkerProcess.Start(settings, root))
        {
            int exit = await worker.WaitForExitAsync(TimeSpan.FromMinutes(2));
            output.WriteLine(worker.Output);
            Assert.True(exit == 0, $"the worker exited with {exit}");
        }

        var rows = File.ReadAllLines(Path.Combine(run, "metrics.jsonl")).Select(l => JsonNode.Parse(l)!)
            .Where(r => r["kl_coef"] is not null).ToList();
        Assert.True(rows.Count >= 3, $"{rows.Count} RL steps recorded");
        Assert.Equal(initial, rows[0]["kl_coef"]!.GetValue<double>(), 12);
        for (int i = 1; i < rows.Count; i++)
        {
            double previous = rows[i - 1]["kl_coef"]!.GetValue<double>();
            double kl = rows[i - 1]["kl"]!.GetValue<double>();
            int samples = (int)rows[i - 1]["samples"]!.GetValue<double>();
            double expected = Math.Max(0, previous * (1 + Math.Clamp(kl / target - 1, -0.2, 0.2) * samples / horizon));
            double actual = rows[i]["kl_coef"]!.GetValue<double>();
            Assert.True(Math.Abs(actual - expected) <= 1e-9 * Math.Max(1, expected), $"step {i}: kl_coef {actual}, expected {expected} (kl {kl})");
        }
        Assert.Contains(rows.Skip(1), r => Math.Abs(r["kl_coef"]!.GetValue<double>() - initial) > 1e-6); // it moved

        var collapses = File.ReadAllLines(Path.Combine(run, "events.jsonl")).Select(l => JsonNode.Parse(l)!)
            .Where(e => e["type"]?.GetValue<string>() == "entropy_collapse").ToList();
        var collapse = Assert.Single(collapses);
        Assert.Equal(rows[1]["step"]!.GetValue<long>(), collapse["step"]!.GetValue<long>());

        // Training:Recompute reached both graphs the worker built (the warm-up's and the RL head's), and was applied.
        var manifests = Directory.GetFiles(Path.Combine(run, "artifacts"), ProRL.Training.Artifacts.ArtifactsManifest.FileName, SearchOption.AllDirectories)
            .Select(ProRL.Training.Artifacts.ArtifactsManifest.Load).ToList();
        Assert.Equal(2, manifests.Count);
        Assert.All(manifests, m => Assert.Equal(ProRL.Training.Autodiff.RecomputeMode.Layers, m.Recompute));
        Assert.All(manifests, m => Assert.Null(m.RecomputeNote));
        Assert.All(manifests, m => Assert.Equal(3, m.HeadChunks));

        // Each step's phases are timed, and they account for its wall time without exceeding it.
        string[] phases = ["time/reset_decision", "time/rollout_and_scoring_wait", "time/old_and_ref_logprobs", "time/forward_backward",
            "time/optimizer", "time/export", "time/commit"];
        foreach (var row in rows)
        {
            var seconds = phases.Select(p => row[p]?.GetValue<double>() ?? double.NaN).ToArray();
            Assert.All(seconds, t => Assert.True(t >= 0, $"step {row["step"]}: a phase time is {t}"));
            Assert.True(seconds[2] > 0 && seconds[3] > 0 && seconds[5] > 0, $"step {row["step"]}: eval, training and export must take time");
            double step = row["step_seconds"]!.GetValue<double>();
            Assert.True(seconds.Sum() <= step * 1.01 + 1e-3, $"step {row["step"]}: phases sum to {seconds.Sum()} s, the step took {step} s");
            if (!OperatingSystem.IsLinux()) continue;
            // Each phase's peak resident memory: a worker process holds at least its runtime, and less than the machine.
            double total = GC.GetGCMemoryInfo().TotalAvailableMemoryBytes / (1024.0 * 1024 * 1024);
            var peaks = phases.Where(p => p != "time/export").Select(p => row["peak_rss_gib/" + p["time/".Length..]]?.GetValue<double>() ?? double.NaN).ToArray();
            Assert.All(peaks, g => Assert.True(g > 0.02 && g < total, $"step {row["step"]}: a phase's peak RSS is {g} GiB"));
            Assert.Equal(peaks.Max(), row["peak_rss_gib"]!.GetValue<double>());
        }
        Directory.Delete(root, recursive: true);
    }
}
