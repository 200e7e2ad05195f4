namespace ProRL.Tasks.Sandbox;

/// <summary>Resource limits for one sandboxed run.</summary>
public sealed record SandboxLimits
{
    public TimeSpan WallClock { get; init; } = TimeSpan.FromSeconds(10);
    public int CpuSeconds { get; init; } = 10;
    public long MemoryBytes { get; init; } = 512L << 20;
    /// <summary>Bytes of stdout plus stderr kept; more than this kills the run.</summary>
    public long MaxOutputBytes { get; init; } = 1L << 20;
    public long MaxFileBytes { get; init; } = 16L << 20;
    public int MaxProcesses { get; init; } = 16;

    public void Validate()
    {
        if (WallClock <= TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(WallClock), WallClock, "Sandbox wall-clock limit must be positive");
        if (CpuSeconds < 1) throw new ArgumentOutOfRangeException(nameof(CpuSeconds), CpuSeconds, "Sandbox CPU limit must be at least 1 s");
        if (MemoryBytes < 32L << 20) throw new ArgumentOutOfRangeException(nameof(MemoryBytes), MemoryBytes, "Sandbox memory limit must be at least 32 MiB (python needs it to start)");
        if (MaxOutputBytes < 1) throw new ArgumentOutOfRangeException(nameof(MaxOutputBytes), MaxOutputBytes, "Sandbox output limit must be positive");
        if (MaxFileBytes < 1) throw new ArgumentOutOfRangeException(nameof(MaxFileBytes), MaxFileBytes, "Sandbox file-size limit must be positive");
        if (MaxProcesses < 1) throw new ArgumentOutOfRangeException(nameof(MaxProcesses), MaxProcesses, "Sandbox process limit must be at least 1");
    }
}

/// <summary>Files to place in the fresh working directory, the python arguments, stdin, and limits.</summary>
public sealed record SandboxRequest(IReadOnlyDictionary<string, string> Files, IReadOnlyList<string> PythonArguments, string Stdin, SandboxLimits Limits);

public sealed record SandboxResult(int ExitCode, string Stdout, string Stderr, bool TimedOut, bool OutputLimitExceeded, TimeSpan Elapsed)
{
    public bool Completed => !TimedOut && !OutputLimitExceeded;
}

/// <summary>Runs python3 code in isolation. The code verifier depends only on this, so it can be tested with a fake.</summary>
public interface ICodeRunner
{
    /// <summary>One line that says what isolation is in force (for logs and reports).</summary>
    string IsolationDescription { get; }

    Task<SandboxResult> RunPythonAsync(SandboxRequest request, CancellationToken cancellationToken = default);
}

/// <summary>Whether code may run without namespace isolation.</summary>
public enum SandboxIsolation
{
    /// <summary>Bubblewrap, or the same view built with util-linux <c>unshare</c>; refuse to start when neither works.</summary>
    Require,
    /// <summary>No namespaces: rlimits (and, as root, an unprivileged uid) only. The code sees the host's filesystem.</summary>
    NoneUnsafe,
}

/// <summary>Which tool builds the namespaces under <see cref="SandboxIsolation.Require"/>.</summary>
public enum SandboxBackend
{
    /// <summary>Bubblewrap when installed, otherwise util-linux <c>unshare</c>.</summary>
    Auto,
    Bubblewrap,
    /// <summary>util-linux <c>unshare</c> + <c>pivot_root</c>; forced in tests so that the fallback is exercised where bwrap exists.</summary>
    Namespaces,
}

public sealed record ProcessSandboxOptions
{
    /// <summary>Environment variable that overrides <see cref="Backend"/> (<c>bubblewrap</c> or <c>namespaces</c>).</summary>
    public const string BackendVariable = "PRORL_SANDBOX_BACKEND";

    public SandboxIsolation Isolation { get; init; } = SandboxIsolation.Require;
    public SandboxBackend Backend { get; init; } = SandboxBackend.Auto;
    /// <summary>python3 executable; resolved on PATH when not rooted.</summary>
    public string Python { get; init; } = "python3";
    /// <summary>
    /// When the host runs as root, sandboxed code runs as uid/gid <c>UidBase + (pid mod 1000) × 100 + slot</c>: unprivileged,
    /// so the process limit binds, and distinct per concurrent run, so one run's fork bomb cannot starve another.
    /// </summary>
    public int UidBase { get; init; } = 200000;
    public int MaxConcurrency { get; init; } = System.Math.Max(1, Environment.ProcessorCount);
    /// <summary>Size of each private writable tmpfs (/tmp and the working directory) inside the sandbox.</summary>
    public int TmpfsMegabytes { get; init; } = 64;
    /// <summary>Receives the warning printed when isolation is switched off; stderr when null.</summary>
    public Action<string>? Warn { get; init; }
}
