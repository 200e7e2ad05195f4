using Microsoft.Extensions.Logging;
using ProRL.Onnx.IO;
using ProRL.Worker.RunDirectory;

namespace ProRL.Worker.Hosting;

/// <summary>
/// Failures that a run meets because of its environment or its input, not because of a bug: a full disk, a file that
/// cannot be read or opened, a run directory in an unexpected state, a sandbox that cannot start. They are logged as one
/// line with the path and what to do; the stack trace is only useful to developers, so it is added at Debug level only.
/// Anything else is logged with its stack trace, since it is a bug to report.
/// </summary>
public static class ExpectedFailures
{
    /// <summary>ENOSPC on Linux, ERROR_DISK_FULL / ERROR_HANDLE_DISK_FULL on Windows.</summary>
    public static bool IsDiskFull(Exception e) =>
        e is DiskFullException ||
        (e is IOException io && (IsDiskFullCode(io.HResult) || io.Message.Contains("No space left on device", StringComparison.Ordinal))) ||
        (e.InnerException is { } inner && IsDiskFull(inner));

    /// <summary>
    /// On Unix .NET puts the errno in HResult (28 = ENOSPC; 39 there is ENOTEMPTY, not a full disk); on Windows it is
    /// 0x8007xxxx with ERROR_DISK_FULL (112) or ERROR_HANDLE_DISK_FULL (39).
    /// </summary>
    private static bool IsDiskFullCode(int hresult) =>
        OperatingSystem.IsWindows() ? unchecked((uint)hresult) >> 16 == 0x8007 && (hresult & 0xFFFF) is 112 or 39 : hresult == 28;

    /// <summary>What to do about an expected failure; null when <paramref name="e"/> is not one.</summary>
    public static string? Advice(Exception e) => e switch
    {
        DiskFullException => "The run resumes from its last commit when restarted.",
        ProRL.Rollout.Engine.PromptTooLongException =>
            "Keep prompts within the context: lower Tasks:MaxDifficulty, shorten the dataset's prompts, or use a model with a longer context_length.",
        _ when IsDiskFull(e) => "Free space on that disk (or lower Run:Keep*Versions); the run resumes from its last commit on restart.",
        RunDirectoryException => "Check the run directory; the run resumes from its last committed version on restart.",
        OnnxFormatException or InvalidDataException => "The file is damaged or not what it should be; replace it (e.g. copy the export again).",
        UnauthorizedAccessException => "Give the worker's user access to that path.",
        FileNotFoundException or DirectoryNotFoundException => "Restore the file or fix the option that names it.",
        IOException => "Check the disk and the path; the run resumes from its last commit on restart.",
        PlatformNotSupportedException => "Switch off what this platform cannot run (see the message).",
        _ when e.GetType().FullName?.StartsWith("Microsoft.ML.OnnxRuntime", StringComparison.Ordinal) == true =>
            "ONNX Runtime could not open the model version; check that the model folder (or the version named) is complete.",
        _ => null,
    };

    /// <summary>
    /// Logs <paramref name="e"/> under <paramref name="what"/> (e.g. "The trainer stopped"): one line with the message and
    /// the advice for an expected failure (with its stack trace at Debug level only), the full exception otherwise.
    /// </summary>
    public static void Log(ILogger logger, LogLevel level, Exception e, string what)
    {
        var advice = Advice(e);
        if (advice is null)
        {
            logger.Log(level, e, "{What}: {Message}", what, e.Message);
            return;
        }
        var message = OneLine(e.Message);
        if (logger.IsEnabled(LogLevel.Debug)) logger.Log(level, e, "{What}: {Message} {Advice}", what, message, advice);
        else logger.Log(level, "{What}: {Message} {Advice}", what, message, advice);
    }

    private static string OneLine(string message) => message.ReplaceLineEndings(" ").Trim();
}

/// <summary>The run directory's disk cannot hold the next version and <c>Run:DiskFullPolicy</c> is <c>exit</c>.</summary>
public sealed class DiskFullException(string message) : IOException(message);
