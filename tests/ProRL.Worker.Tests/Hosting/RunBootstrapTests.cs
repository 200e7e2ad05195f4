using Microsoft.Extensions.Logging.Abstractions;
using ProRL.Worker.Hosting;
using ProRL.Worker.Options;
using ProRL.Worker.RunDirectory;
using ProRL.Worker.Tests.Options;

namespace ProRL.Worker.Tests.Hosting;

public sealed class RunBootstrapTests : IDisposable
{
    private readonly WorkerHostHarness _harness = new();

    public void Dispose() => _harness.Dispose();

    [Fact]
    public void Missing_model_is_generated_when_configured_and_refused_otherwise()
    {
        var path = _harness.Combine("generated");
        Assert.Throws<RunDirectoryException>(() => RunBootstrapService.EnsureModel(new ModelOptions { Path = path }, NullLogger.Instance));
        Assert.True(RunBootstrapService.EnsureModel(new ModelOptions { Path = path, CreateIfMissing = "tiny" }, NullLogger.Instance));
        Assert.True(File.Exists(Path.Combine(path, "genai_config.json")));
        Assert.True(File.Exists(Path.Combine(path, "model.onnx")));
        Assert.False(RunBootstrapService.EnsureModel(new ModelOptions { Path = path, CreateIfMissing = "tiny" }, NullLogger.Instance));
    }

    [Fact]
    public async Task Trainer_host_initialises_the_run_and_refuses_a_run_of_another_model()
    {
        Assert.Empty(await _harness.StartProblems("--Algorithm:ClipHigh=0.3"));

        var run = RunStore.Open(_harness.RunDirectory);
        var info = RunInfo.Load(run.RunInfoPath)!;
        Assert.Equal(_harness.ModelPath, info.ModelPath);
        Assert.Equal("0.3", (string)info.Configuration!["Algorithm"]!["ClipHigh"]!);
        Assert.Equal(info.ModelHash, run.Policy.ReadLatest()!.Property(ManifestProperties.ModelHash));
        Assert.Equal(0, run.Reference.ReadLatest()!.Version);
        Assert.Contains(run.Events.File.ReadAll().Records, e => (string?)e["type"] == EventTypes.RunStarted);

        Assert.Empty(await _harness.StartProblems()); // a restart resumes the same run
        Assert.Equal(info.RunId, RunInfo.Load(run.RunInfoPath)!.RunId);

        File.WriteAllText(Path.Combine(_harness.ModelPath, "model.onnx"), "other weights");
        var problem = Assert.Single(await _harness.StartProblems());
        Assert.Contains("Model:Path", problem);
        Assert.Contains("Run:Directory", problem);
    }
}
