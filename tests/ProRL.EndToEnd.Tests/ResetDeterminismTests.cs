using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using ProRL.Worker.RunDirectory;
using Xunit.Abstractions;

namespace ProRL.EndToEnd.Tests;

/// <summary>
/// Reset decisions are the trainer's, taken between steps from committed state: a run killed (SIGKILL) on the way and
/// resumed ends exactly where the uninterrupted run with the same seed and configuration ends — the same reset steps,
/// the same reference versions, the same policy weights and optimizer state, byte for byte.
/// </summary>
public class ResetDeterminismTests(ITestOutputHelper output)
{
    private const int PromptsPerChunk = 2;
    private const int MaxSteps = 8; // the warm-up (step 1) and 7 RL steps

    /// <summary>
    /// ProRL v1 resets (reference and optimizer). <c>period</c>: every 3 steps after the warm-up's reference v1, so after
    /// steps 4 and 7. <c>kl-share</c>: whenever the last committed step's KL share of the loss exceeds 1e-6 (the minimum
    /// gap of 2 steps allowing), the trigger that used to be lost between a commit and its metrics row. The stall and drop
    /// rules stay on in both, so the decisions after steps 3 and 6 wait for the validation of v3 and v6.
    /// <c>validation-stall</c>: validation of every version, and a stall after one evaluation that does not beat the one
    /// before by more than 1 (which no score can), so resets after steps 3, 5 and 7, each decided from validation results
    /// the trainer waited for. One kill lands
    /// just after the first reset committed its reference (the decision is redone on restart from the trainer state
    /// before it), another after step 6 committed (in the validation wait or the step after it).
    /// </summary>
    [Theory]
    [InlineData("period")]
    [InlineData("kl-share")]
    [InlineData("validation-stall")]
    public async Task A_run_killed_and_resumed_makes_the_same_resets_and_ends_with_identical_weights(string trigger)
    {
        var root = Directory.CreateTempSubdirectory("prorl-e2e-determinism-").FullName;
        var straight = await RunAsync(root, "straight", trigger, kills: []);
        var killed = await RunAsync(root, "killed", trigger, kills:
        [
            run => (new VersionStore(Path.Combine(run, "reference")).ReadLatestPointer() ?? 0) > 1,
            run => (new VersionStore(Path.Combine(run, "trainer")).ReadLatestPointer() ?? 0) >= 6,
        ]);

        var (straightResets, killedResets) = (ResetSteps(straight), ResetSteps(killed));
        output.WriteLine($"{trigger}: reset steps uninterrupted [{string.Join(", ", straightResets)}], killed [{string.Join(", ", killedResets)}]");
        if (trigger == "period") Assert.Equal([4L, 7L], straightResets);
        if (trigger == "validation-stall") Assert.Equal([3L, 5L, 7L], straightResets);
        Assert.True(straightResets.Count >= 2, "fewer than two resets: the comparison would prove little");
        var rule = trigger switch { "period" => "Period", "kl-share" => "KlShare", _ => "ValidationStall" };
        Assert.All(Events(straight, EventTypes.ReferenceReset), e => Assert.Equal(rule, (string?)e["data"]!["rule"]));
        Assert.Equal(straightResets, killedResets);
        Assert.Equal(straightResets, OptimizerResetSteps(straight));
        Assert.Equal(OptimizerResetSteps(straight), OptimizerResetSteps(killed));

        var references = Versions(straight, "reference");
        Assert.Equal(references, Versions(killed, "reference"));
        Assert.Equal(straightResets, references.Keys.Where(v => v > 1));
        Assert.Equal(Files(straight, "policy", MaxSteps), Files(killed, "policy", MaxSteps));
        Assert.Equal(Files(straight, "trainer", MaxSteps), Files(killed, "trainer", MaxSteps));
        // Each trainer state names the reference it trained against: the same in both runs, step by step.
        Assert.Equal(ReferencePerStep(straight), ReferencePerStep(killed));
        Directory.Delete(root, recursive: true);
    }

    /// <summary>ProRL v2 through the same trainer-side decision: the period rule alone, the optimizer state kept.</summary>
    [Fact]
    public async Task ProRL_v2_resets_only_the_reference_every_period()
    {
        var root = Directory.CreateTempSubdirectory("prorl-e2e-v2-").FullName;
        var run = Path.Combine(root, "run");
        var settings = SmallRun.Settings(TinyModel.Folder, run, PromptsPerChunk);
        settings["Run:MaxSteps"] = "6";
        settings["Run:KeepPolicyVersions"] = "1000";
        settings["Run:KeepReferenceVersions"] = "1000";
        settings["ReferenceReset:StallEvaluations"] = "";
        settings["ReferenceReset:DropDelta"] = "";
        settings["ReferenceReset:KlShareThreshold"] = "";
        settings["ReferenceReset:EveryNSteps"] = "2";
        settings["ReferenceReset:MinGapSteps"] = "0";
        settings["ReferenceReset:ResetOptimizer"] = "false";
        using (var worker = WorkerProcess.Start(settings, root))
        {
            int exit = await worker.WaitForExitAsync(TimeSpan.FromMinutes(3));
            Assert.True(exit == 0, $"the worker exited with {exit}:\n{worker.Output}");
        }

        Assert.Equal([3L, 5L], ResetSteps(run)); // the warm-up's reference v1, then every 2 steps
        Assert.Empty(OptimizerResetSteps(run));
        Assert.All(Events(run, EventTypes.ReferenceReset), e => Assert.Equal(("Period", false), ((string)e["data"]!["rule"]!, (bool)e["data"]!["resetOptimizer"]!)));
        var store = RunStore.Open(run);
        foreach (var version in new[] { 3L, 5L })
        {
            var reference = store.Reference.TryOpen(version, VerifyLevel.Checksums, out var problem);
            Assert.True(reference is not null, problem);
            Assert.Equal(("false", "Period"), (reference.Property(ManifestProperties.ResetOptimizer), reference.Property(ManifestProperties.ResetRule)));
            Assert.Equal(Files(run, "policy", version), Files(run, "reference", version)); // a copy of that policy version
        }
        Assert.Equal([1L, 1L, 1L, 3L, 3L, 5L], Enumerable.Range(1, 6)
            .Select(step => ProRL.Worker.Services.Training.TrainerState.ReadFrom(Path.Combine(run, "trainer", VersionStore.FolderName(step))).ReferenceVersion));
        Directory.Delete(root, recursive: true);
    }

    /// <summary>Runs to <see cref="MaxSteps"/>, SIGKILLing the worker once each condition holds, then restarting it.</summary>
    private async Task<string> RunAsync(string root, string name, string trigger, IReadOnlyList<Func<string, bool>> kills)
    {
        var run = Path.Combine(root, name);
        var settings = SmallRun.Settings(TinyModel.Folder, run, PromptsPerChunk);
        settings["Run:Seed"] = "7";
        settings["Run:MaxSteps"] = MaxSteps.ToString(CultureInfo.InvariantCulture);
        settings["Run:KeepPolicyVersions"] = "1000";
        settings["Run:KeepReferenceVersions"] = "1000";
        settings["ReferenceReset:EveryNSteps"] = trigger == "period" ? "3" : "";
        settings["ReferenceReset:KlShareThreshold"] = trigger == "kl-share" ? "0.000001" : "";
        settings["ReferenceReset:MinGapSteps"] = "2";
        if (trigger == "validation-stall")
        {
            settings["Validation:EveryNSteps"] = "1";
            settings["ReferenceReset:StallEvaluations"] = "1";
            settings["ReferenceReset:MinImprovement"] = "1";
            settings["ReferenceReset:DropDelta"] = "";
        }
        settings["ReferenceReset:ResetOptimizer"] = "true";
        foreach (var kill in kills)
        {
            using var worker = WorkerProcess.Start(settings, root);
            await Polling.UntilAsync(() => kill(run) || worker.HasExited, TimeSpan.FromSeconds(90));
            Assert.False(worker.HasExited, $"the worker exited before the kill (code {(worker.HasExited ? worker.ExitCode : 0)}):\n{worker.Output}");
            worker.Kill();
            output.WriteLine($"{name}: killed at trainer v{new VersionStore(Path.Combine(run, "trainer")).ReadLatestPointer()}, " +
                             $"reference v{new VersionStore(Path.Combine(run, "reference")).ReadLatestPointer()}");
        }
        using var last = WorkerProcess.Start(settings, root);
        int exit = await last.WaitForExitAsync(TimeSpan.FromMinutes(3));
        Assert.True(exit == 0, $"{name}: the worker exited with {exit}:\n{last.Output}");
        return run;
    }

    private static List<JsonObject> Events(string run, string type) =>
        RunStore.Open(run).Events.File.ReadAll().Records.Where(e => (string?)e["type"] == type).ToList();

    private static List<long> ResetSteps(string run) => Events(run, EventTypes.ReferenceReset).Select(e => (long)e["step"]!).ToList();

    private static List<long> OptimizerResetSteps(string run) => Events(run, EventTypes.OptimizerReset).Select(e => (long)e["step"]!).ToList();

    /// <summary>Every committed version of a store with the SHA-256 of each of its files (the manifest, which holds times, aside).</summary>
    private static SortedDictionary<long, string> Versions(string run, string store)
    {
        var versions = new SortedDictionary<long, string>();
        foreach (var folder in Directory.EnumerateDirectories(Path.Combine(run, store), "v*"))
        {
            if (!long.TryParse(Path.GetFileName(folder)[1..], CultureInfo.InvariantCulture, out var version)) continue;
            versions[version] = string.Join("; ", Files(run, store, version).Select(f => $"{f.Key}={f.Value}"));
        }
        return versions;
    }

    private static SortedDictionary<string, string> Files(string run, string store, long version)
    {
        var folder = Path.Combine(run, store, VersionStore.FolderName(version));
        var files = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var file in Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories))
        {
            var relative = Path.GetRelativePath(folder, file);
            if (relative == VersionManifest.FileName) continue;
            files[relative] = Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(file)));
        }
        Assert.NotEmpty(files);
        return files;
    }

    private static List<long> ReferencePerStep(string run) =>
        Enumerable.Range(1, MaxSteps)
            .Select(step => ProRL.Worker.Services.Training.TrainerState.ReadFrom(Path.Combine(run, "trainer", VersionStore.FolderName(step))).ReferenceVersion)
            .ToList();
}
