using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using ProRL.Onnx.IO;
using ProRL.Worker.Hosting;
using ProRL.Worker.Options;
using ProRL.Worker.RunDirectory;

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
}
