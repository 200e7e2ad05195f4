using System.Diagnostics;
using Xunit.Abstractions;

namespace ProRL.EndToEnd.Tests;

/// <summary>SIGTERM (systemd's stop): the worker finishes or abandons its step, exits 0 within the grace period, and
/// leaves a run directory that the next start resumes.</summary>
public class ShutdownTests(ITestOutputHelper output)
{
    private const int PromptsPerChunk = 2;
    private const int GracePeriodSeconds = 10;

    [Theory]
    [InlineData(StepPhase.MidRollout)]
    [InlineData(StepPhase.MidOptimizerStep)]
    public async Task Sigterm_mid_step_exits_0_within_the_grace_period_with_a_consistent_run_directory(StepPhase phase)
    {
        var root = Directory.CreateTempSubdirectory("prorl-e2e-sigterm-").FullName;
        var run = Path.Combine(root, "run");
        var settings = SmallRun.Settings(TinyModel.Folder, run, PromptsPerChunk);
        settings["Shutdown:GracePeriodSeconds"] = GracePeriodSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
        var probe = new RunProbe(run, PromptsPerChunk);
        var audit = new RunDirectoryAudit(run, PromptsPerChunk);

        // Two stops in a row on the same run: the second also proves that the first left a directory the worker resumes.
        for (int stop = 1; stop <= 2; stop++)
        {
            long before = audit.CommittedStep;
            using var worker = WorkerProcess.Start(settings, root);
            // Past the warm-up and at least one RL step of this start, then inside the next step's phase.
            bool reached = false;
            await Polling.UntilAsync(() => worker.HasExited || (reached = probe.CommittedStep >= Math.Max(2, before + 1) && probe.In(phase)),
                TimeSpan.FromSeconds(60));
            Assert.False(worker.HasExited, $"the worker exited before the signal:\n{worker.Output}");
            Assert.True(reached, $"the worker never reached {phase}:\n{worker.Output}");

            var watch = Stopwatch.StartNew();
            worker.Terminate();
            int exit = await worker.WaitForExitAsync(TimeSpan.FromSeconds(GracePeriodSeconds + 20));
            watch.Stop();
            long step = audit.Check();
            output.WriteLine($"stop {stop} at {phase}: exit {exit} after {watch.Elapsed.TotalSeconds:F2} s, step {before} -> {step}");
            Assert.True(exit == 0, $"exit code {exit} after SIGTERM:\n{worker.Output}");
            Assert.True(watch.Elapsed < TimeSpan.FromSeconds(GracePeriodSeconds),
                $"the worker took {watch.Elapsed.TotalSeconds:F1} s to stop, more than Shutdown:GracePeriodSeconds ({GracePeriodSeconds})");
            Assert.Contains("Application is shutting down", worker.Output);
            Assert.True(step > before, $"no step was committed between the starts ({before} -> {step})");
        }
        Directory.Delete(root, recursive: true);
    }
}
