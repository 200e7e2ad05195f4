using System.Diagnostics;
using ProRL.Cli.Runs;
using ProRL.Worker.Reporting.TensorBoard;
using ProRL.Worker.RunDirectory;
using Xunit.Abstractions;

namespace ProRL.EndToEnd.Tests;

/// <summary>
/// kill -9 at random points of the worker's step, then restart: the run directory stays consistent, the committed step
/// never goes back, no chunk is applied twice or lost, and the run finishes.
/// </summary>
public class CrashRecoveryTests(ITestOutputHelper output)
{
    private const int PromptsPerChunk = 2;
    private const int MinKills = 15;
    private const int MaxKills = 36; // headroom: on a loaded machine a phase can take several aims to be hit

    /// <summary>Phases that must have been hit by at least one kill (the issue's "different phases").</summary>
    private static readonly StepPhase[] RequiredPhases = [StepPhase.MidRollout, StepPhase.MidOptimizerStep, StepPhase.MidCheckpointWrite];

    /// <summary>
    /// Each kill aims at one phase: it waits until the run directory shows the worker in that phase (a request claimed by
    /// the rollout service; a rollout chunk claimed by the reward service; every scored chunk of the next step held by the
    /// trainer; a temporary trainer or policy version folder), then waits a random delay inside that phase's usual length
    /// and sends SIGKILL. "Anywhere" kills wait a random delay after the start. The first kill lands in the start-up
    /// (bootstrap, warm-up). The files left after the kill are the evidence of the phase actually hit; kills go on (at
    /// least <see cref="MinKills"/>) until each required phase was hit.
    /// </summary>
    private static readonly (string Name, StepPhase? Trigger, int MaxDelayMs)[] Aims =
    [
        ("anywhere", null, 4000),
        ("mid-rollout", StepPhase.MidRollout, 40), // a tiny model's rollout can end within 150 ms
        ("mid-scoring", StepPhase.MidScoring, 30),
        ("mid-optimizer-step", StepPhase.MidOptimizerStep, 150),
        ("mid-checkpoint-write", StepPhase.MidCheckpointWrite, 0),
        ("mid-policy-export", StepPhase.MidPolicyExport, 0),
    ];

    [Fact]
    public async Task Worker_killed_at_random_points_resumes_consistently_and_finishes_the_run()
    {
        var root = Directory.CreateTempSubdirectory("prorl-e2e-crash-").FullName;
        var run = Path.Combine(root, "run");
        var settings = SmallRun.Settings(TinyModel.Folder, run, PromptsPerChunk);
        var audit = new RunDirectoryAudit(run, PromptsPerChunk);
        var probe = new RunProbe(run, PromptsPerChunk);
        int seed = Environment.TickCount;
        var random = new Random(seed);
        output.WriteLine($"random seed {seed}");
        var hit = new Dictionary<StepPhase, int>();
        var watch = Stopwatch.StartNew();

        int kills = 0;
        for (; kills < MaxKills && (kills < MinKills || RequiredPhases.Any(p => !hit.ContainsKey(p))); kills++)
        {
            var aim = kills == 0 ? ("start-up", null, 1500) : Aims[kills % Aims.Length];
            var before = probe.Collect();
            using var worker = WorkerProcess.Start(settings, root);
            var started = Stopwatch.StartNew();
            if (aim.Trigger is { } trigger) await Polling.UntilAsync(() => probe.Phases(before).Contains(trigger) || worker.HasExited, TimeSpan.FromSeconds(40));
            await Task.Delay(random.Next(aim.MaxDelayMs + 1));
            Assert.False(worker.HasExited, $"the worker exited by itself (code {(worker.HasExited ? worker.ExitCode : 0)}):\n{worker.Output}");
            // `prorl runs show` on the live run, only where a few ms do not move the kill out of its aimed phase. The
            // worker takes its liveness lock after the start-up checks, so a kill aimed "anywhere" waits for it first.
            RunSummary? live = null;
            if (aim.Trigger is null && kills > 0)
            {
                await Polling.UntilAsync(() => worker.HasExited || RunSummary.Read(run).State.StartsWith("running", StringComparison.Ordinal),
                    TimeSpan.FromSeconds(30));
                live = RunSummary.Read(run);
            }
            worker.Kill();
            if (live is not null)
            {
                Assert.StartsWith("running (main: pid ", live.State);
                Assert.NotNull(live.Policy);
                Assert.NotNull(live.Reference);
                Assert.InRange(live.Step ?? 0, audit.CommittedStep, long.MaxValue);
            }

            var phases = probe.Phases(before);
            foreach (var phase in phases) hit[phase] = hit.GetValueOrDefault(phase) + 1;
            long previous = audit.CommittedStep;
            long step = audit.Check();
            output.WriteLine($"kill {kills + 1,2} aimed {aim.Name,-20} after {started.ElapsedMilliseconds,5} ms: " +
                             $"step {previous} -> {step}, evidence [{string.Join(", ", phases)}]");
        }
        output.WriteLine($"{kills} kills in {watch.Elapsed.TotalSeconds:F0} s; phases hit: " +
                         string.Join(", ", hit.OrderBy(h => h.Key).Select(h => $"{h.Key} ×{h.Value}")));
        Assert.True(kills >= MinKills);
        Assert.True(audit.CommittedStep >= 2, $"no RL step was committed across {kills} restarts");
        Assert.All(RequiredPhases, p => Assert.True(hit.ContainsKey(p), $"no kill landed in phase {p}"));

        // The last start runs to Run:MaxSteps and exits 0: training continued from what the kills left.
        long target = audit.CommittedStep + 2;
        settings["Run:MaxSteps"] = target.ToString(System.Globalization.CultureInfo.InvariantCulture);
        // The final run serves Prometheus on loopback: scrape it while it trains.
        int port = FreeLoopbackPort();
        settings["Telemetry:PrometheusPort"] = port.ToString(System.Globalization.CultureInfo.InvariantCulture);
        settings["Telemetry:PrometheusHost"] = "127.0.0.1";
        string scraped = "";
        using (var last = WorkerProcess.Start(settings, root))
        {
            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
            while (!last.HasExited && !scraped.Contains("prorl_trainer_step", StringComparison.Ordinal))
            {
                try { scraped = await http.GetStringAsync($"http://127.0.0.1:{port}/metrics"); }
                catch (Exception e) when (e is HttpRequestException or TaskCanceledException) { await Task.Delay(100); }
            }
            int exit = await last.WaitForExitAsync(TimeSpan.FromMinutes(2));
            Assert.True(exit == 0, $"the final run exited with {exit}:\n{last.Output}");
        }
        Assert.Contains("prorl_trainer_step", scraped);
        Assert.Contains("prorl_queue_depth", scraped);
        AssertTensorBoardHoldsEveryStepOnce(run);
        var summary = RunSummary.Read(run);
        Assert.Equal($"stopped: Run:MaxSteps ({target}) reached", summary.State);
        Assert.False(Assert.Single(summary.Hosts).Alive);
        Assert.Equal(target, summary.Step);
        Assert.Equal(target, summary.Policy?.Version);
        Assert.NotNull(summary.LastValidation);
        Assert.True(summary.DiskBytes > 0);
        Assert.Equal(target, audit.Check());
        Assert.Equal(target, ProRL.Worker.RunDirectory.RunStore.Open(run).Policy.ReadLatestPointer()); // a clean exit leaves no policy behind
        // Every step from the warm-up to the last has exactly one committed version with its ledger (checked by the audit).
        Assert.Equal(Enumerable.Range(1, (int)target).Select(i => (long)i), audit.Ledgers.Keys.Order());
        output.WriteLine($"final run reached step {target}; total {watch.Elapsed.TotalSeconds:F0} s");

        // The audit is not vacuous: one flipped byte in the committed optimizer state is caught.
        var largest = new DirectoryInfo(Path.Combine(run, "trainer", ProRL.Worker.RunDirectory.VersionStore.FolderName(target)))
            .EnumerateFiles("*", SearchOption.AllDirectories).MaxBy(f => f.Length)!;
        var bytes = File.ReadAllBytes(largest.FullName);
        bytes[bytes.Length / 2] ^= 0xFF;
        File.WriteAllBytes(largest.FullName, bytes);
        Assert.ThrowsAny<Xunit.Sdk.XunitException>(() => audit.Check());
        Directory.Delete(root, recursive: true);
    }

    /// <summary>
    /// Every process start wrote its own event file, and kills may have torn their tails: across all of them, each
    /// step of metrics.jsonl appears exactly once, with its value.
    /// </summary>
    private static void AssertTensorBoardHoldsEveryStepOnce(string run)
    {
        var files = EventFileLog.EventFiles(Path.Combine(run, TensorBoardReporter.FolderName));
        // A start killed before its TensorBoard service began leaves no file; the others each left one.
        Assert.True(files.Count >= 2, $"{files.Count} event file(s) after at least {MinKills + 1} starts");
        var written = files.SelectMany(EventFileLog.ReadEvents)
            .SelectMany(e => e.Summary?.Value.Where(v => v.Tag == "step_seconds").Select(v => (e.Step, v.SimpleValue)) ?? [])
            .ToList();
        var expected = RunStore.Open(run).Metrics.File.ReadAll().Records
            .Where(r => r["step_seconds"] is not null)
            .Select(r => ((long)r["step"]!, (float)(double)r["step_seconds"]!))
            .ToList();
        Assert.NotEmpty(expected);
        Assert.Equal(expected, written);
    }

    private static int FreeLoopbackPort()
    {
        var probe = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        probe.Start();
        int port = ((System.Net.IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        return port;
    }
}
