using System.Text.Json.Nodes;
using ProRL.Cli;
using ProRL.Cli.Runs;
using ProRL.Worker.RunDirectory;
using ProRL.Worker.Services.Training;
using ProRL.Worker.Services.Validation;
using ProRL.Worker.Telemetry;

namespace ProRL.EndToEnd.Tests.Runs;

/// <summary>`prorl runs list/show` on a run directory written through the run-directory APIs, as the worker writes it.</summary>
public sealed class RunsCommandTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("prorl-runs-").FullName;

    public void Dispose()
    {
        try { Directory.Delete(_root, recursive: true); } catch (IOException) { }
    }

    private RunStore MakeRun(string name)
    {
        var model = Directory.CreateDirectory(Path.Combine(_root, "model-" + name)).FullName;
        File.WriteAllBytes(Path.Combine(model, "model.onnx"), new byte[1000]);
        var run = RunStore.Open(Path.Combine(_root, "runs", name));
        run.EnsureRunInfo(RunInfo.New(model, "abc", null));
        run.Events.Append(EventTypes.RunStarted, 0, "worker started");
        run.EnsureInitialVersions(model);
        for (long step = 1; step <= 3; step++)
        {
            run.Policy.Commit(step, f => RunStore.CopyFolder(model, f), new Dictionary<string, string> { ["phase"] = "rl" });
            run.Trainer.Commit(step, f => new TrainerState(step, TrainerState.RlPhase, ProRL.Tasks.Mixture.MixturePosition.Start.ToJson(), 0).WriteTo(f));
            run.Metrics.Append(step, new Dictionary<string, double> { [MetricNames.RewardMean] = 0.5 }, "rl");
        }
        run.Reference.Commit(2, f => RunStore.CopyFolder(model, f), new Dictionary<string, string>
        {
            [ManifestProperties.SourcePolicyVersion] = "2",
            [ManifestProperties.ResetRule] = "Schedule",
        });
        run.Events.Append(EventTypes.ReferenceReset, 2, "scheduled reset", new JsonObject { ["rule"] = "Schedule" });
        new ValidationResult(3, 4, 2, new Dictionary<string, double> { ["1"] = 0.25, ["2"] = 0.5 }, 0.3, new Dictionary<string, double>()).Save(run);
        // A commit in progress (temporary folder) and a version folder newer than LATEST are not committed state.
        Directory.CreateDirectory(Path.Combine(run.Policy.Folder, ".tmp-v000004-x"));
        Directory.CreateDirectory(Path.Combine(run.Policy.Folder, VersionStore.FolderName(5)));
        return run;
    }

    [Fact]
    public void Show_reports_committed_state_resets_validation_and_disk_use()
    {
        var run = MakeRun("a");
        var s = RunSummary.Read(run.Root);
        Assert.Equal("running (from the logs: no liveness files)", s.State);
        Assert.Equal(3, s.Step);
        Assert.Equal("rl", s.Phase);
        Assert.Equal(3, s.Policy!.Version);
        Assert.Equal((2L, 2L, "Schedule"), (s.Reference!.Version, s.Reference.SourcePolicyVersion!.Value, s.Reference.ResetRule!));
        var reset = Assert.Single(s.Resets);
        Assert.Equal((2L, "Schedule", "scheduled reset"), (reset.Step, reset.Rule!, reset.Message));
        Assert.Equal(3, s.LastValidation!.Step);
        Assert.Equal(0.5, s.LastValidation.PassAtK["2"]);
        Assert.True(s.DiskBytesByEntry["policy"] >= 4 * 1000, "four committed policy copies of a 1000-byte model");
        Assert.Equal(s.DiskBytesByEntry.Values.Sum(), s.DiskBytes);

        // The last event decides: a stop recorded after the start, or a start long without activity.
        run.Events.Append(EventTypes.RunStopped, 3, "Run:MaxSteps (3) reached");
        Assert.Equal("stopped: Run:MaxSteps (3) reached", RunSummary.Read(run.Root).State);
        run.Events.Append(EventTypes.RunStarted, 3, "worker started");
        Assert.StartsWith("not running", RunSummary.Read(run.Root, DateTimeOffset.UtcNow.AddHours(1)).State);

        // A worker holding its liveness file is running whatever the logs say; once it lets go, it is not.
        using (HostLiveness.Hold(run.Root, new HostRecord("main", 4242, "box", DateTimeOffset.UtcNow, ["trainer"])))
        {
            Assert.Equal("running (main: pid 4242 on box)", RunSummary.Read(run.Root).State);
            Assert.True(Assert.Single(RunSummary.Read(run.Root).Hosts).Alive);
        }
        Assert.StartsWith("not running (no worker holds its liveness file", RunSummary.Read(run.Root).State);
        Assert.False(Assert.Single(RunSummary.Read(run.Root).Hosts).Alive);

        Assert.Equal(0, CliApp.Build().Run(["runs", "show", run.Root]));
        Assert.Equal(0, CliApp.Build().Run(["runs", "show", run.Root, "--json"]));
    }

    [Fact]
    public void List_finds_run_directories_and_show_refuses_other_folders()
    {
        MakeRun("a");
        MakeRun("b");
        Directory.CreateDirectory(Path.Combine(_root, "runs", "not-a-run"));
        Assert.Equal(["a", "b"], RunSummary.FindRuns(Path.Combine(_root, "runs")).Select(Path.GetFileName));
        Assert.Equal(0, CliApp.Build().Run(["runs", "list", Path.Combine(_root, "runs")]));
        var notRun = Path.Combine(_root, "runs", "not-a-run");
        Assert.Throws<RunDirectoryException>(() => RunSummary.Read(notRun));
        Assert.False(Directory.Exists(Path.Combine(notRun, "policy")), "reading must not create a run directory");
    }
}
