using ProRL.Tasks.Code;
using ProRL.Tasks.Model;
using ProRL.Tasks.Sandbox;

namespace ProRL.Tasks.Tests.Code;

/// <summary>Tight limits so that every nasty case ends within a few seconds.</summary>
internal static class SandboxSetup
{
    /// <summary>Sandbox tests share one collection so that "no process survives" checks see only their own runs.</summary>
    public const string Collection = "sandbox";

    public static readonly SandboxLimits TightLimits = new()
    {
        WallClock = TimeSpan.FromSeconds(3),
        CpuSeconds = 2,
        MemoryBytes = 256L << 20,
        MaxOutputBytes = 64 << 10,
        MaxFileBytes = 1 << 20,
        MaxProcesses = 8,
    };

    public static CodeVerifier Verifier(ICodeRunner runner, TimeSpan? budget = null) =>
        new(runner, new CodeVerifierOptions { Limits = TightLimits, TotalBudget = budget ?? TimeSpan.FromSeconds(20), MaxConcurrency = 8 });

    public static TaskItem AssertTask(params string[] asserts) => new()
    {
        Id = "code-test", Domain = TaskDomains.Code, Prompt = "p", Tests = asserts.Select(CodeTest.AssertStatement).ToList(),
    };

    public static TaskItem StdioTask(params (string Input, string Output)[] tests) => new()
    {
        Id = "code-io", Domain = TaskDomains.Code, Prompt = "p", Tests = tests.Select(t => CodeTest.StdIo(t.Input, t.Output)).ToList(),
    };

    public static string Fenced(string code) => $"Here is my solution:\n```python\n{code}\n```\n";

    /// <summary>Processes owned by this process's sandbox uids (when the host runs as root): none may outlive a run.</summary>
    public static int ProcessesOfSandboxUids()
    {
        var first = ProcessSandbox.FirstUid(new ProcessSandboxOptions().UidBase);
        return ProcessTable.CountOwnedBy(uid => uid >= first && uid < first + ProcessSandbox.MaxSlots);
    }
}
