using System.Diagnostics;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.RegularExpressions;
using ProRL.Tasks.Model;
using ProRL.Tasks.Sandbox;
using ProRL.Tasks.Verification;

namespace ProRL.Tasks.Code;

public sealed record CodeVerifierOptions
{
    /// <summary>Limits of each python run (one per stdin/stdout test, one for all assert tests).</summary>
    public SandboxLimits Limits { get; init; } = new();
    /// <summary>Wall-clock budget of the whole verification; when it runs out the reward is 0.</summary>
    public TimeSpan TotalBudget { get; init; } = TimeSpan.FromSeconds(30);
    /// <summary>How many verifications run at once (each may run several python processes, one at a time).</summary>
    public int MaxConcurrency { get; init; } = System.Math.Max(1, Environment.ProcessorCount);
}

/// <summary>
/// Extracts the last fenced code block and runs it against the task's tests in an <see cref="ICodeRunner"/>.
/// Reward = fraction of tests passed; 0 on a syntax error or when the whole run exceeds its budget.
/// </summary>
public sealed partial class CodeVerifier : IVerifier
{
    private readonly ICodeRunner _runner;
    private readonly CodeVerifierOptions _options;
    private readonly SemaphoreSlim _concurrency;

    public CodeVerifier(ICodeRunner runner, CodeVerifierOptions? options = null)
    {
        _runner = runner;
        _options = options ?? new CodeVerifierOptions();
        _options.Limits.Validate();
        if (_options.MaxConcurrency < 1) throw new ArgumentOutOfRangeException(nameof(options), _options.MaxConcurrency, "Sandbox:MaxConcurrency must be at least 1");
        if (_options.TotalBudget <= TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(options), _options.TotalBudget, "Sandbox:TotalBudget must be positive");
        _concurrency = new SemaphoreSlim(_options.MaxConcurrency);
    }

    public string Domain => TaskDomains.Code;

    /// <summary>The content of the last fenced block (<c>```python</c>, <c>```py</c> or plain <c>```</c>), or null.</summary>
    public static string? ExtractCode(string response)
    {
        var last = FencedBlock().Matches(response).LastOrDefault();
        return last?.Groups["code"].Value;
    }

    public async ValueTask<VerificationResult> VerifyAsync(TaskItem task, string response, CancellationToken cancellationToken = default)
    {
        if (task.Tests is not { Count: > 0 } tests) return VerificationResult.Wrong("task has no tests");
        var code = ExtractCode(response);
        if (code is null || code.Trim().Length == 0) return VerificationResult.Malformed("no fenced code block found");
        await _concurrency.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var clock = Stopwatch.StartNew();
            var asserts = tests.Where(t => t.IsAssert).Select(t => t.Assert!).ToList();
            var stdio = tests.Where(t => !t.IsAssert).ToList();
            var passed = 0;
            if (asserts.Count > 0)
            {
                var outcome = await RunAssertsAsync(code, asserts, Remaining(clock), cancellationToken).ConfigureAwait(false);
                if (outcome.Fatal is not null) return outcome.Fatal;
                passed += outcome.Passed;
            }
            foreach (var test in stdio)
            {
                var outcome = await RunStdioAsync(code, test, Remaining(clock), cancellationToken).ConfigureAwait(false);
                if (outcome.Fatal is not null) return outcome.Fatal;
                passed += outcome.Passed;
            }
            var fraction = passed / (double)tests.Count;
            return new VerificationResult(fraction, $"{passed}/{tests.Count} tests passed") { Fraction = fraction, ExtractedAnswer = code };
        }
        finally
        {
            _concurrency.Release();
        }
    }

    private sealed record Outcome(int Passed, VerificationResult? Fatal = null);

    private TimeSpan Remaining(Stopwatch clock) => _options.TotalBudget - clock.Elapsed;

    private SandboxLimits LimitsWithin(TimeSpan remaining) =>
        _options.Limits with { WallClock = remaining < _options.Limits.WallClock ? remaining : _options.Limits.WallClock };

    private async Task<Outcome> RunAssertsAsync(string code, IReadOnlyList<string> asserts, TimeSpan remaining, CancellationToken ct)
    {
        if (remaining <= TimeSpan.Zero) return new Outcome(0, OverBudget());
        var nonce = NewNonce();
        var files = new Dictionary<string, string>
        {
            [CodeHarness.SolutionFile] = code,
            [CodeHarness.HarnessFile] = CodeHarness.Source,
            [CodeHarness.TestsFile] = JsonSerializer.Serialize(asserts),
        };
        var result = await _runner.RunPythonAsync(new SandboxRequest(files, [CodeHarness.HarnessFile, nonce, "asserts"], "", LimitsWithin(remaining)), ct).ConfigureAwait(false);
        if (Fatal(result, nonce, remaining) is { } fatal) return new Outcome(0, fatal);
        var passed = Regex.Matches(result.Stdout, $@"^{nonce}:(\d+):PASS$", RegexOptions.Multiline)
            .Select(m => int.Parse(m.Groups[1].Value)).Where(i => i < asserts.Count).Distinct().Count();
        if (passed == 0 && result.ExitCode != 0)
            return new Outcome(0, VerificationResult.Wrong($"0/{asserts.Count} tests passed; exit code {result.ExitCode}: {LastLine(result.Stderr)}"));
        return new Outcome(passed);
    }

    private async Task<Outcome> RunStdioAsync(string code, CodeTest test, TimeSpan remaining, CancellationToken ct)
    {
        if (remaining <= TimeSpan.Zero) return new Outcome(0, OverBudget());
        var nonce = NewNonce();
        var files = new Dictionary<string, string> { [CodeHarness.SolutionFile] = code, [CodeHarness.HarnessFile] = CodeHarness.Source };
        var result = await _runner.RunPythonAsync(new SandboxRequest(files, [CodeHarness.HarnessFile, nonce, "run"], test.Input ?? "", LimitsWithin(remaining)), ct).ConfigureAwait(false);
        if (Fatal(result, nonce, remaining) is { } fatal) return new Outcome(0, fatal);
        var ok = result.ExitCode == 0 && result.Completed && NormalizeOutput(result.Stdout) == NormalizeOutput(test.Output ?? "");
        return new Outcome(ok ? 1 : 0);
    }

    /// <summary>A syntax error, an exhausted budget or flooding output ends the verification with reward 0.</summary>
    private VerificationResult? Fatal(SandboxResult result, string nonce, TimeSpan remaining)
    {
        if (result.ExitCode == CodeHarness.SyntaxErrorExitCode && result.Stderr.Contains(nonce + ":SYNTAX", StringComparison.Ordinal))
            return VerificationResult.Malformed("syntax error: " + SyntaxMessage(result.Stderr, nonce));
        if (result.OutputLimitExceeded) return VerificationResult.Wrong($"output exceeded {_options.Limits.MaxOutputBytes} bytes");
        if (result.TimedOut) return remaining <= _options.Limits.WallClock ? OverBudget() : VerificationResult.Wrong($"time limit ({_options.Limits.WallClock.TotalSeconds:0.#} s) exceeded");
        return null;
    }

    private VerificationResult OverBudget() => VerificationResult.Wrong($"the run exceeded its total budget of {_options.TotalBudget.TotalSeconds:0.#} s");

    private static string SyntaxMessage(string stderr, string nonce)
    {
        var line = stderr.Split('\n').FirstOrDefault(l => l.StartsWith(nonce + ":SYNTAX:", StringComparison.Ordinal)) ?? "";
        return line.Length > nonce.Length + 8 ? line[(nonce.Length + 8)..] : "invalid python";
    }

    /// <summary>Line endings unified, trailing spaces and trailing blank lines ignored.</summary>
    public static string NormalizeOutput(string text) =>
        string.Join('\n', text.Replace("\r\n", "\n").Split('\n').Select(l => l.TrimEnd())).TrimEnd('\n');

    private static string LastLine(string text)
    {
        var line = text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).LastOrDefault() ?? "";
        return line.Length <= 120 ? line : line[..117] + "...";
    }

    private static string NewNonce() => Convert.ToHexString(RandomNumberGenerator.GetBytes(12));

    [GeneratedRegex(@"```[ \t]*(?:python3?|py)?[ \t]*\r?\n(?<code>.*?)```", RegexOptions.Singleline | RegexOptions.IgnoreCase)]
    private static partial Regex FencedBlock();
}
