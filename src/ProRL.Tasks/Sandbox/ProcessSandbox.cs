using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace ProRL.Tasks.Sandbox;

/// <summary>
/// Runs python3 in a child process with a fresh temporary working directory and hard limits. On Linux:
/// <list type="bullet">
/// <item>with bubblewrap: read-only view of the whole filesystem, a private <c>/tmp</c>, only the working directory
/// writable, new network (no interfaces but a down loopback), PID, IPC and UTS namespaces, killed with its parent;</item>
/// <item>without it (one warning): a new network and PID namespace via <c>unshare</c> when that works;</item>
/// <item>always: rlimits via <c>prlimit</c> (address space, CPU seconds, file size, open files, processes, no core
/// dumps), a wall-clock limit, an output cap; as root, the code runs as an unprivileged per-slot uid (so the process
/// limit binds and files outside the working directory are not writable) and leftovers of that uid are killed.</item>
/// </list>
/// Not on Windows: a Job-object runner (memory and active-process limits, kill on close) is not implemented, so this
/// class refuses to start there and the code domain must be switched off.
/// </summary>
public sealed class ProcessSandbox : ICodeRunner
{
    private static int _warned;
    private readonly ProcessSandboxOptions _options;
    private readonly HostIsolation _host;
    private readonly string _python;
    private readonly SemaphoreSlim _concurrency;

    /// <summary>Slots are process-wide: two sandboxes in one process must never share a uid (a fork bomb in one would starve the other).</summary>
    private static readonly ConcurrentQueue<int> FreeSlots = new();
    private static int _slotsCreated;
    public const int MaxSlots = 100;

    public ProcessSandbox(ProcessSandboxOptions? options = null, HostIsolation? host = null)
    {
        if (!OperatingSystem.IsLinux())
            throw new PlatformNotSupportedException("the code sandbox runs on Linux only; on this OS switch the 'code' domain off (Tasks mixture)");
        _options = options ?? new ProcessSandboxOptions();
        if (_options.MaxConcurrency < 1)
            throw new ArgumentOutOfRangeException(nameof(options), _options.MaxConcurrency, "Sandbox:MaxConcurrency must be at least 1");
        _host = host ?? HostIsolation.Current;
        if (_host.Prlimit is null) throw new InvalidOperationException("the code sandbox needs 'prlimit' (util-linux) on PATH");
        if (_host.IsRoot && _host.Setpriv is null) throw new InvalidOperationException("running as root, the code sandbox needs 'setpriv' (util-linux) to drop privileges");
        if (!_host.HasBubblewrap)
        {
            if (_options.Isolation == SandboxIsolation.RequireBubblewrap)
                throw new InvalidOperationException("Sandbox:Isolation is RequireBubblewrap but 'bwrap' is missing or unusable; install the 'bubblewrap' package");
            if (Interlocked.Exchange(ref _warned, 1) == 0)
                (_options.Warn ?? (m => Console.Error.WriteLine(m)))(
                    "warning: bubblewrap (bwrap) not found; code runs with rlimits" + (_host.UnshareWorks ? " and a network/PID namespace" : " only (no network isolation)") +
                    ", without a read-only filesystem view: isolation is weaker. Install the 'bubblewrap' package.");
        }
        _python = ResolvePython(_options.Python, _host.IsRoot);
        if (_options.MaxConcurrency > MaxSlots) throw new ArgumentOutOfRangeException(nameof(options), _options.MaxConcurrency, $"Sandbox:MaxConcurrency must be at most {MaxSlots}");
        _concurrency = new SemaphoreSlim(_options.MaxConcurrency);
    }

    public string IsolationDescription =>
        (_host.HasBubblewrap ? "bubblewrap (read-only fs, no network, pid namespace)" : _host.UnshareWorks ? "unshare (no network, pid namespace)" : "no namespaces")
        + " + rlimits" + (_host.IsRoot ? " + unprivileged uid" : "");

    public async Task<SandboxResult> RunPythonAsync(SandboxRequest request, CancellationToken cancellationToken = default)
    {
        request.Limits.Validate();
        await _concurrency.WaitAsync(cancellationToken).ConfigureAwait(false);
        var slot = TakeSlot();
        var workDir = Directory.CreateTempSubdirectory("prorl-sandbox-").FullName;
        try
        {
            var uid = _host.IsRoot ? FirstUid(_options.UidBase) + slot : (int?)null;
            PrepareWorkDir(workDir, request.Files, uid);
            var command = BuildCommand(_host, workDir, _python, request.PythonArguments, request.Limits, uid);
            return await RunAsync(command, workDir, request.Stdin, request.Limits, uid, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            TryDelete(workDir);
            if (slot >= 0) FreeSlots.Enqueue(slot);
            _concurrency.Release();
        }
    }

    /// <summary>
    /// The first sandbox uid of this process: a block of <see cref="MaxSlots"/> uids chosen by process id, so that two
    /// hosts on one machine (say the CLI and the worker) rarely share uids.
    /// </summary>
    public static int FirstUid(int uidBase) => uidBase + Environment.ProcessId % 1000 * MaxSlots;

    private static int TakeSlot()
    {
        if (FreeSlots.TryDequeue(out var slot)) return slot;
        var fresh = Interlocked.Increment(ref _slotsCreated) - 1;
        // More concurrent runs than slots can only happen with several sandboxes whose caps add up past MaxSlots.
        if (fresh >= MaxSlots) throw new InvalidOperationException($"more than {MaxSlots} concurrent sandbox runs in one process");
        return fresh;
    }

    /// <summary>The full argv: [bwrap … | unshare …] prlimit … [setpriv …] python args.</summary>
    public static IReadOnlyList<string> BuildCommand(HostIsolation host, string workDir, string python, IReadOnlyList<string> pythonArguments,
        SandboxLimits limits, int? uid)
    {
        var argv = new List<string>();
        if (host.HasBubblewrap)
        {
            argv.AddRange([host.Bwrap!, "--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc", "--tmpfs", "/tmp",
                "--bind", workDir, workDir, "--chdir", workDir,
                "--unshare-net", "--unshare-pid", "--unshare-ipc", "--unshare-uts", "--die-with-parent", "--new-session",
                "--clearenv", "--setenv", "PATH", "/usr/local/bin:/usr/bin:/bin", "--setenv", "HOME", workDir, "--setenv", "LANG", "C.UTF-8"]);
            if (!host.IsRoot) argv.Add("--unshare-user");
            argv.Add("--");
        }
        else if (host.UnshareWorks)
        {
            argv.AddRange(["unshare", "--net", "--pid", "--fork", "--kill-child"]);
            if (!host.IsRoot) argv.Add("--map-root-user");
            argv.Add("--");
        }
        string Limit(long value) => value.ToString(CultureInfo.InvariantCulture);
        argv.AddRange([host.Prlimit!, $"--as={Limit(limits.MemoryBytes)}", $"--cpu={Limit(limits.CpuSeconds)}", $"--fsize={Limit(limits.MaxFileBytes)}",
            "--core=0", "--nofile=64", $"--nproc={Limit(limits.MaxProcesses)}", "--"]);
        if (uid is { } u)
            argv.AddRange([host.Setpriv!, $"--reuid={Limit(u)}", $"--regid={Limit(u)}", "--clear-groups", "--inh-caps=-all", "--"]);
        argv.AddRange([python, "-I", "-B"]);
        argv.AddRange(pythonArguments);
        return argv;
    }

    private static void PrepareWorkDir(string workDir, IReadOnlyDictionary<string, string> files, int? uid)
    {
        foreach (var (name, content) in files)
        {
            if (name.Contains('/') || name.Contains('\\') || name is "." or "..") throw new ArgumentException($"sandbox file name '{name}' must be a plain name", nameof(files));
            File.WriteAllText(Path.Combine(workDir, name), content, new UTF8Encoding(false));
            if (uid is { } u) HostIsolation.Chown(Path.Combine(workDir, name), u);
        }
        if (OperatingSystem.IsLinux()) File.SetUnixFileMode(workDir, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        if (uid is { } owner) HostIsolation.Chown(workDir, owner);
    }

    private async Task<SandboxResult> RunAsync(IReadOnlyList<string> command, string workDir, string stdin, SandboxLimits limits, int? uid,
        CancellationToken cancellationToken)
    {
        var psi = new ProcessStartInfo(command[0])
        {
            WorkingDirectory = workDir,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var a in command.Skip(1)) psi.ArgumentList.Add(a);
        psi.Environment.Clear();
        psi.Environment["PATH"] = "/usr/local/bin:/usr/bin:/bin";
        psi.Environment["HOME"] = workDir;
        psi.Environment["LANG"] = "C.UTF-8";

        var clock = Stopwatch.StartNew();
        using var process = await ProcessLauncher.StartAsync(psi).ConfigureAwait(false);
        using var budget = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        budget.CancelAfter(limits.WallClock);
        var output = new OutputBudget(limits.MaxOutputBytes, budget);
        var stdoutTask = output.PumpAsync(process.StandardOutput.BaseStream);
        var stderrTask = output.PumpAsync(process.StandardError.BaseStream);
        _ = FeedStdinAsync(process, stdin);

        var timedOut = false;
        try
        {
            await process.WaitForExitAsync(budget.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            timedOut = !output.Exceeded;
            Kill(process, uid);
            await process.WaitForExitAsync(CancellationToken.None).ConfigureAwait(false);
            cancellationToken.ThrowIfCancellationRequested();
        }
        var stdout = await stdoutTask.ConfigureAwait(false);
        var stderr = await stderrTask.ConfigureAwait(false);
        // Children that outlived the main program (daemonised, or orphaned by an unexpected kill) die with the run.
        if (uid is { } owner && ProcessTable.AnyOwnedBy(owner)) KillAllOf(owner);
        return new SandboxResult(process.ExitCode, stdout, stderr, timedOut, output.Exceeded, clock.Elapsed);
    }

    private static async Task FeedStdinAsync(Process process, string stdin)
    {
        try
        {
            await process.StandardInput.WriteAsync(stdin).ConfigureAwait(false);
            process.StandardInput.Close();
        }
        catch (IOException) { /* the program exited or closed stdin without reading it all */ }
        catch (InvalidOperationException) { }
    }

    private void Kill(Process process, int? uid)
    {
        try { process.Kill(entireProcessTree: true); }
        catch (Exception ex) when (ex is InvalidOperationException or System.ComponentModel.Win32Exception or AggregateException)
        {
            // Already exited, or the tree changed while it was walked (a fork bomb): the uid sweep below finishes the job.
        }
        if (uid is { } u) KillAllOf(u);
    }

    /// <summary>
    /// Kills every process of the slot uid (kill -1 as that uid) and waits until the kernel has reaped them, so that
    /// the next run on this slot does not start over a full process limit (a killed fork bomb takes a moment to die).
    /// </summary>
    private void KillAllOf(int uid)
    {
        var psi = new ProcessStartInfo(_host.Setpriv!) { UseShellExecute = false, RedirectStandardError = true };
        foreach (var a in new[] { $"--reuid={uid}", $"--regid={uid}", "--clear-groups", "kill", "-9", "-1" }) psi.ArgumentList.Add(a);
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < TimeSpan.FromSeconds(5))
        {
            using (var p = Process.Start(psi)) p?.WaitForExit(5000);
            if (!ProcessTable.AnyOwnedBy(uid)) return;
            Thread.Sleep(20);
        }
    }

    private static string ResolvePython(string python, bool mustBeWorldExecutable)
    {
        var candidates = new List<string?> { HostIsolation.FindOnPath(python) };
        if (mustBeWorldExecutable) candidates.AddRange(["/usr/bin/python3", "/usr/local/bin/python3"]); // pyenv under /root is not reachable by an unprivileged uid
        var found = candidates.FirstOrDefault(c => c is not null && (!mustBeWorldExecutable || HostIsolation.IsWorldExecutable(c)));
        return found ?? throw new InvalidOperationException($"Sandbox:Python '{python}' not found" + (mustBeWorldExecutable ? " (or not executable by an unprivileged user)" : ""));
    }

    private static void TryDelete(string dir)
    {
        try { Directory.Delete(dir, recursive: true); }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }

    /// <summary>Shared stdout+stderr byte budget; exceeding it cancels the run.</summary>
    private sealed class OutputBudget(long maxBytes, CancellationTokenSource cancel)
    {
        private long _total;
        public bool Exceeded { get; private set; }

        public async Task<string> PumpAsync(Stream stream)
        {
            var kept = new MemoryStream();
            var buffer = new byte[16384];
            try
            {
                int n;
                while ((n = await stream.ReadAsync(buffer).ConfigureAwait(false)) > 0)
                {
                    var total = Interlocked.Add(ref _total, n);
                    if (total > maxBytes)
                    {
                        Exceeded = true;
                        await cancel.CancelAsync().ConfigureAwait(false);
                        break;
                    }
                    kept.Write(buffer, 0, n);
                }
            }
            catch (IOException) { }
            catch (ObjectDisposedException) { }
            return Encoding.UTF8.GetString(kept.GetBuffer(), 0, (int)kept.Length);
        }
    }
}
