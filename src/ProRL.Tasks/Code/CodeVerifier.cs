using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
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
/// Extracts the last fenced code block and checks it against the task's tests, with the verdict formed outside the
/// solution's process. Assert tests: a trusted planner splits each assert into the calls that touch the solution and
/// the expected side; the solution's process evaluates only the calls and returns their values serialised as plain
/// data; the parent compares them (or a trusted judge process evaluates the rest of the assert on the rebuilt values).
/// stdin/stdout tests: the parent compares the program's stdout with an expected output that never enters the sandbox.
/// Reward = fraction of tests passed; 0 on a syntax error, an output flood, or when a run exceeds its time budget.
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

    /// <summary>The hacks this verifier is tested against (tests/ProRL.Tasks.Tests/RedTeam).</summary>
    public static IReadOnlyList<HackClass> HackClasses { get; } =
    [
        new("code/report-forging", "printing pass lines, a harness nonce from argv, or forged result lines on any descriptor"),
        new("code/always-equal", "returning an object whose __eq__ or __bool__ always says yes, or a subclass of a plain type"),
        new("code/expected-output-leak", "printing or returning expected outputs read from the run directory, host files or /proc"),
        new("code/exit-tricks", "sys.exit, os._exit or SystemExit raised from __del__ before or during the tests"),
        new("code/builtins-patch", "monkey-patching builtins, json or AssertionError inside the solution's process"),
        new("code/test-helper-reach", "calling a reference helper or reading an expected constant that the test itself defines"),
        new("code/atexit", "an atexit handler that reports success after the tests"),
        new("code/fork-outlives-run", "a forked child that stays behind to write results or hold the run open"),
        new("code/timing-budget", "answering some tests and then hanging, so that a timed-out run might keep partial credit"),
        new("code/output-flood", "megabytes of stderr or stdout"),
        new("code/host-write", "writing to the host's /tmp or /dev/shm to leave state behind"),
        new("code/network", "connecting to the host or the network"),
    ];

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
            var asserts = tests.Where(t => t.IsAssert).Select(t => t.Assert!).ToList();
            var stdio = tests.Where(t => !t.IsAssert).ToList();
            // Planning is trusted work on the task, not the solution's time: it does not count against the budget.
            var plan = await PlanAsync(code, asserts, cancellationToken).ConfigureAwait(false);
            if (plan.Fatal is not null) return plan.Fatal;
            var clock = Stopwatch.StartNew();
            var passed = 0;
            if (asserts.Count > 0)
            {
                var outcome = await RunAssertsAsync(code, plan.Tests!, Remaining(clock), cancellationToken).ConfigureAwait(false);
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
            var unverifiable = plan.Tests!.Where(t => t.TryGetProperty("error", out _)).Select(t => t.GetProperty("error").GetString()).ToList();
            var reason = $"{passed}/{tests.Count} tests passed"
                         + (unverifiable.Count > 0 ? $"; {unverifiable.Count} test(s) cannot be checked outside the solution ({unverifiable[0]})" : "");
            return new VerificationResult(fraction, reason) { Fraction = fraction, ExtractedAnswer = code };
        }
        finally
        {
            _concurrency.Release();
        }
    }

    private sealed record Outcome(int Passed, VerificationResult? Fatal = null);

    private sealed record Plan(IReadOnlyList<JsonElement>? Tests, VerificationResult? Fatal);

    private TimeSpan Remaining(Stopwatch clock) => _options.TotalBudget - clock.Elapsed;

    private SandboxLimits LimitsWithin(TimeSpan remaining) =>
        _options.Limits with { WallClock = remaining < _options.Limits.WallClock ? remaining : _options.Limits.WallClock };

    private static Dictionary<string, string> Files(string? code) => code is null
        ? new() { [CodeHarness.HarnessFile] = CodeHarness.Source }
        : new() { [CodeHarness.HarnessFile] = CodeHarness.Source, [CodeHarness.SolutionFile] = code };

    /// <summary>Syntax check of the solution and the split of each assert test, in a process that never runs the solution.</summary>
    private async Task<Plan> PlanAsync(string code, IReadOnlyList<string> asserts, CancellationToken ct)
    {
        var job = JsonSerializer.Serialize(new { solution = code, tests = asserts });
        var result = await _runner.RunPythonAsync(new SandboxRequest(Files(null), [CodeHarness.HarnessFile, "plan"], job, _options.Limits), ct).ConfigureAwait(false);
        JsonElement? plan = result.ExitCode == 0 && result.Completed ? PlainValue.Parse(result.Stdout) : null;
        if (plan is not { ValueKind: JsonValueKind.Object } p || !p.TryGetProperty("tests", out var tests) || tests.GetArrayLength() != asserts.Count)
            return new Plan(null, VerificationResult.Wrong($"the test planner failed (exit {result.ExitCode}): {LastLine(result.Stderr)}"));
        if (p.GetProperty("syntax") is { ValueKind: JsonValueKind.String } syntax)
            return new Plan(null, VerificationResult.Malformed("syntax error: " + syntax.GetString()));
        return new Plan(tests.EnumerateArray().ToList(), null);
    }

    private async Task<Outcome> RunAssertsAsync(string code, IReadOnlyList<JsonElement> plans, TimeSpan remaining, CancellationToken ct)
    {
        if (remaining <= TimeSpan.Zero) return new Outcome(0, OverBudget());
        // The solution's process gets only the steps that evaluate its calls: no expected value, no verdict.
        var steps = plans.Select(t => t.TryGetProperty("child", out var c) ? c : JsonDocument.Parse("[]").RootElement).ToList();
        var result = await _runner.RunPythonAsync(
            new SandboxRequest(Files(code), [CodeHarness.HarnessFile, "probe"], JsonSerializer.Serialize(steps), LimitsWithin(remaining)), ct).ConfigureAwait(false);
        if (Fatal(result, remaining) is { } fatal) return new Outcome(0, fatal);
        var values = ReadProbeValues(result.Stdout, plans.Count);

        var verdicts = new bool[plans.Count][];
        var judged = new List<int>();
        for (var t = 0; t < plans.Count; t++)
        {
            if (!plans[t].TryGetProperty("checks", out var checks)) { verdicts[t] = [false]; continue; }
            var list = checks.EnumerateArray().ToList();
            verdicts[t] = list.Select(c => c.TryGetProperty("eq", out var probe) && c.TryGetProperty("expected", out var expected)
                && values[t].TryGetValue(probe.GetInt32(), out var actual) && actual is { } v && PlainValue.Equal(v, expected)).ToArray();
            if (list.Any(c => c.TryGetProperty("template", out _))) judged.Add(t);
        }
        if (judged.Count > 0)
        {
            var judge = await JudgeAsync(plans, values, judged, ct).ConfigureAwait(false);
            foreach (var (t, ok) in judge)
            {
                var list = plans[t].GetProperty("checks").EnumerateArray().ToList();
                var k = 0;
                for (var i = 0; i < list.Count; i++)
                    if (list[i].TryGetProperty("template", out _)) verdicts[t][i] = k < ok.Count && ok[k++];
            }
        }
        var passed = verdicts.Count(v => v.Length > 0 && v.All(x => x));
        return new Outcome(passed);
    }

    /// <summary>
    /// Values per test and probe. Lines that do not parse are ignored; a probe reported twice with different values
    /// counts as missing (forged lines cannot override the harness's own).
    /// </summary>
    private static Dictionary<int, JsonElement?>[] ReadProbeValues(string stdout, int tests)
    {
        var values = Enumerable.Range(0, tests).Select(_ => new Dictionary<int, JsonElement?>()).ToArray();
        foreach (var line in stdout.Split('\n'))
        {
            if (line.Length == 0 || line[0] != '{' || PlainValue.Parse(line) is not { ValueKind: JsonValueKind.Object } o) continue;
            if (!o.TryGetProperty("t", out var te) || !te.TryGetInt32(out var t) || t < 0 || t >= tests) continue;
            if (!o.TryGetProperty("p", out var pe) || !pe.TryGetInt32(out var p) || !o.TryGetProperty("v", out var v)) continue;
            if (values[t].TryGetValue(p, out var seen)) { if (seen is not { } s || !PlainValue.Equal(s, v)) values[t][p] = null; }
            else values[t][p] = v;
        }
        return values;
    }

    /// <summary>Asserts other than <c>probe == value</c> are evaluated by a trusted process on the rebuilt plain values.</summary>
    private async Task<List<(int Test, List<bool> Ok)>> JudgeAsync(IReadOnlyList<JsonElement> plans, Dictionary<int, JsonElement?>[] values,
        IReadOnlyList<int> judged, CancellationToken ct)
    {
        var job = new JsonObject
        {
            ["tests"] = new JsonArray(judged.Select(t => (JsonNode?)new JsonObject
            {
                ["judge"] = JsonNode.Parse(plans[t].GetProperty("judge").GetRawText()),
                ["checks"] = new JsonArray(plans[t].GetProperty("checks").EnumerateArray().Where(c => c.TryGetProperty("template", out _))
                    .Select(c => JsonNode.Parse(c.GetRawText())).ToArray()),
            }).ToArray()),
            ["values"] = new JsonArray(judged.Select(t => (JsonNode?)new JsonObject(values[t].Where(kv => kv.Value is not null)
                .Select(kv => KeyValuePair.Create(kv.Key.ToString(CultureInfo.InvariantCulture), JsonNode.Parse(kv.Value!.Value.GetRawText()))))).ToArray()),
        };
        var result = await _runner.RunPythonAsync(new SandboxRequest(Files(null), [CodeHarness.HarnessFile, "judge"], job.ToJsonString(), _options.Limits), ct)
            .ConfigureAwait(false);
        var verdicts = result.ExitCode == 0 && result.Completed ? PlainValue.Parse(result.Stdout) : null;
        if (verdicts is not { ValueKind: JsonValueKind.Array } v || v.GetArrayLength() != judged.Count) return [];
        return judged.Zip(v.EnumerateArray(), (t, ok) => (t, ok.ValueKind == JsonValueKind.Array
            ? ok.EnumerateArray().Select(x => x.ValueKind == JsonValueKind.True).ToList()
            : [])).ToList();
    }

    private async Task<Outcome> RunStdioAsync(string code, CodeTest test, TimeSpan remaining, CancellationToken ct)
    {
        if (remaining <= TimeSpan.Zero) return new Outcome(0, OverBudget());
        var result = await _runner.RunPythonAsync(new SandboxRequest(Files(code), [CodeHarness.HarnessFile, "run"], test.Input ?? "", LimitsWithin(remaining)), ct)
            .ConfigureAwait(false);
        if (Fatal(result, remaining) is { } fatal) return new Outcome(0, fatal);
        var ok = result.ExitCode == 0 && result.Completed && NormalizeOutput(result.Stdout) == NormalizeOutput(test.Output ?? "");
        return new Outcome(ok ? 1 : 0);
    }

    /// <summary>An exhausted budget or flooding output ends the verification with reward 0.</summary>
    private VerificationResult? Fatal(SandboxResult result, TimeSpan remaining)
    {
        if (result.OutputLimitExceeded) return VerificationResult.Wrong($"output exceeded {_options.Limits.MaxOutputBytes} bytes");
        if (result.TimedOut) return remaining <= _options.Limits.WallClock ? OverBudget() : VerificationResult.Wrong($"time limit ({_options.Limits.WallClock.TotalSeconds:0.#} s) exceeded");
        return null;
    }

    private VerificationResult OverBudget() => VerificationResult.Wrong($"the run exceeded its total budget of {_options.TotalBudget.TotalSeconds:0.#} s");

    /// <summary>Line endings unified, trailing spaces and trailing blank lines ignored.</summary>
    public static string NormalizeOutput(string text) =>
        string.Join('\n', text.Replace("\r\n", "\n").Split('\n').Select(l => l.TrimEnd())).TrimEnd('\n');

    private static string LastLine(string text)
    {
        var line = text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).LastOrDefault() ?? "";
        return line.Length <= 120 ? line : line[..117] + "...";
    }

    [GeneratedRegex(@"```[ \t]*(?:python3?|py)?[ \t]*\r?\n(?<code>.*?)```", RegexOptions.Singleline | RegexOptions.IgnoreCase)]
    private static partial Regex FencedBlock();
}
