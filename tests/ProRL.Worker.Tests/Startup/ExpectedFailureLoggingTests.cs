using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using ProRL.Onnx.IO;
using ProRL.Worker.Hosting;
using ProRL.Worker.Options;
using ProRL.Worker.RunDirectory;
using ProRL.Worker.Services.ReferenceReset;

namespace ProRL.Worker.Tests.Startup;

public sealed class ExpectedFailureLoggingTests : IDisposable
{
    private readonly TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    public static TheoryData<Exception> Expected() =>
    [
        new IOException("No space left on device : '/runs/a/policy/.tmp-v000003'", 28),
        new RunDirectoryException("/runs/a/policy/v000005: no manifest.json"),
        new OnnxFormatException("/runs/a/policy/v000004/model.onnx is not a valid ONNX model"),
        new UnauthorizedAccessException("Access to the path '/runs/a' is denied."),
        new ProRL.Rollout.Engine.PromptTooLongException("A prompt has 67 tokens, and the model's context_length ('/runs/a/model/genai_config.json') is 64."),
    ];

    [Theory]
    [MemberData(nameof(Expected))]
    public void Expected_failure_is_one_line_with_advice_and_no_stack_trace(Exception failure)
    {
        var logger = new CapturingLogger<ExpectedFailureLoggingTests>(LogLevel.Information);
        ExpectedFailures.Log(logger, LogLevel.Critical, failure, "The trainer stopped");
        var entry = Assert.Single(logger.Entries);
        Assert.Null(entry.Exception);
        Assert.DoesNotContain('\n', entry.Message);
        Assert.Contains("/runs/a", entry.Message);
        Assert.Contains(ExpectedFailures.Advice(failure)!, entry.Message);
    }

    [Fact]
    public void Debug_level_adds_the_stack_trace()
    {
        var logger = new CapturingLogger<ExpectedFailureLoggingTests>(LogLevel.Debug);
        var failure = new RunDirectoryException("/runs/a/policy/v000005: no manifest.json");
        ExpectedFailures.Log(logger, LogLevel.Critical, failure, "The trainer stopped");
        Assert.Same(failure, Assert.Single(logger.Entries).Exception);
    }

    [Fact]
    public void Unexpected_failure_keeps_its_stack_trace()
    {
        var logger = new CapturingLogger<ExpectedFailureLoggingTests>(LogLevel.Information);
        var bug = new NullReferenceException("a bug");
        ExpectedFailures.Log(logger, LogLevel.Critical, bug, "The trainer stopped");
        Assert.Same(bug, Assert.Single(logger.Entries).Exception);
    }

    [Fact]
    public async Task Policy_latest_naming_a_missing_version_is_logged_once_not_at_every_poll()
    {
        var run = RunStore.Open(_temp.Combine("run"));
        var model = _temp.Combine("model");
        Directory.CreateDirectory(model);
        File.WriteAllText(Path.Combine(model, "model.onnx"), "weights");
        run.EnsureInitialVersions(model);
        File.WriteAllText(Path.Combine(run.Policy.Folder, VersionStore.LatestFileName), "v000005\n");

        var logger = new CapturingLogger<ReferenceResetService>(LogLevel.Information);
        var service = new ReferenceResetService(
            Microsoft.Extensions.Options.Options.Create(new ServicesOptions()),
            Microsoft.Extensions.Options.Options.Create(new RunOptions { Directory = run.Root, PollIntervalMilliseconds = 10 }),
            Microsoft.Extensions.Options.Options.Create(new ReferenceResetOptions { EveryNSteps = 1, MinGapSteps = 0 }),
            logger);
        await service.StartAsync(CancellationToken.None);
        // Wait for the first report (a loaded machine may take a while), then for many more polls of 10 ms.
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        while (!logger.Entries.Any(e => e.Level >= LogLevel.Warning) && DateTime.UtcNow < deadline) await Task.Delay(20);
        await Task.Delay(500);
        await service.StopAsync(CancellationToken.None);

        var warning = Assert.Single(logger.Entries, e => e.Level >= LogLevel.Warning);
        Assert.Null(warning.Exception);
        Assert.Contains("v000005", warning.Message);
    }
}
