using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace ProRL.Tasks.Sandbox;

/// <summary>
/// Runs python3 in a child process with hard limits, in a view of the filesystem that holds only the python runtime
/// (read-only), a private writable <c>/tmp</c> and working directory (tmpfs), a minimal <c>/dev</c> and a <c>/proc</c> of
/// its own PID namespace: the run directory, <c>$HOME</c>, the host's <c>/tmp</c> and <c>/dev/shm</c> and other processes
/// do not exist there. No network (an empty network namespace). Built by bubblewrap when installed, otherwise by
/// util-linux <c>unshare</c> + <c>pivot_root</c> (mount, PID, network, IPC, UTS namespaces; a user namespace when not
/// root). Always: rlimits via <c>prlimit</c>, no capabilities, no new privileges, a wall-clock limit, an output cap;
/// as root, an unprivileged per-slot uid whose leftovers are killed. When the PID namespace's first process exits, the
/// kernel kills the rest, so nothing the code forks outlives its run.
/// <para>
/// Windows is refused (no Job-object runner): switch the code domain off there.
/// </para>
/// </summary>
public sealed class ProcessSandbox : ICodeRunner
{
    private readonly ProcessSandboxOptions _options;
    private readonly HostIsolation _host;
    private readonly string _python;
    private readonly string _pythonPrefix;
    private readonly SemaphoreSlim _concurrency;
    private Backend _backend;

    /// <summary>How a run is isolated (resolved from the options, the environment and the host).</summary>
    public enum Backend { Bubblewrap, Namespaces, NoneUnsafe }

    /// <summary>Slots are process-wide: two sandboxes in one process must never share a uid (a fork bomb in one would starve the other).</summary>
    private static readonly ConcurrentQueue<int> FreeSlots = new();
    private static int _slotsCreated;
    public const int MaxSlots = 100;

    public const string InstallHint = "install the 'bubblewrap' package (or util-linux 'unshare', 'setpriv', 'prlimit', 'pivot_root' on a kernel that allows namespaces), " +
                                      "switch the code domain off, or set Sandbox:Isolation=none-unsafe to run code without isolation";

    public ProcessSandbox(ProcessSandboxOptions? options = null, HostIsolation? host = null)
    {
        if (!OperatingSystem.IsLinux())
            throw new PlatformNotSupportedException("the code sandbox runs on Linux only (no Windows isolation is implemented); switch the 'code' domain off in the Tasks mixture");
        _options = options ?? new ProcessSandboxOptions();
        if (_options.MaxConcurrency < 1)
            throw new ArgumentOutOfRangeException(nameof(options), _options.MaxConcurrency, "Sandbox:MaxConcurrency must be at least 1");
        if (_options.MaxConcurrency > MaxSlots) throw new ArgumentOutOfRangeException(nameof(options), _options.MaxConcurrency, $"Sandbox:MaxConcurrency must be at most {MaxSlots}");
        _host = host ?? HostIsolation.Current;
        if (_host.Prlimit is null) throw new InvalidOperationException("the code sandbox needs 'prlimit' (util-linux) on PATH");
        if (_host.Setpriv is null) throw new InvalidOperationException("the code sandbox needs 'setpriv' (util-linux) on PATH to drop privileges");
        _backend = ChooseBackend(_options, _host);
        (_python, _pythonPrefix) = ResolvePython(_options.Python, _host.IsRoot);
        _concurrency = new SemaphoreSlim(_options.MaxConcurrency);
        if (_backend == Backend.NoneUnsafe)
            (_options.Warn ?? (m => Console.Error.WriteLine(m)))(
                "warning: Sandbox:Isolation=none-unsafe: code answers run without namespaces and can read the host's files, the run directory included.");
        else if (SelfTest() is { } failure)
        {
            // A bubblewrap that cannot run here (a container without user namespaces, an old version) is not the end:
            // the namespace backend gives the same view. Only a backend chosen explicitly is held to.
            var forced = _options.Backend != SandboxBackend.Auto || !string.IsNullOrWhiteSpace(Environment.GetEnvironmentVariable(ProcessSandboxOptions.BackendVariable));
            if (_backend != Backend.Bubblewrap || forced || _host.Unshare is null || _host.PivotRoot is null) throw new InvalidOperationException(failure);
            (_options.Warn ?? (m => Console.Error.WriteLine(m)))($"warning: {failure}; using util-linux namespaces instead of bubblewrap");
            _backend = Backend.Namespaces;
            if (SelfTest() is { } second) throw new InvalidOperationException(second);
        }
    }

    public Backend ActiveBackend => _backend;

    public string IsolationDescription => _backend switch
    {
        Backend.Bubblewrap => "bubblewrap (private filesystem view, no network, pid namespace)",
        Backend.Namespaces => "unshare namespaces (private filesystem view, no network, pid namespace)",
        _ => "NO ISOLATION (none-unsafe)",
    } + " + rlimits" + (_host.IsRoot ? " + unprivileged uid" : "");

    private static Backend ChooseBackend(ProcessSandboxOptions options, HostIsolation host)
    {
        if (options.Isolation == SandboxIsolation.NoneUnsafe) return Backend.NoneUnsafe;
        var wanted = options.Backend;
        var forced = Environment.GetEnvironmentVariable(ProcessSandboxOptions.BackendVariable);
        if (!string.IsNullOrWhiteSpace(forced))
            wanted = forced.Trim().ToLowerInvariant() switch
            {
                "bubblewrap" or "bwrap" => SandboxBackend.Bubblewrap,
                "namespaces" or "unshare" => SandboxBackend.Namespaces,
                "auto" => SandboxBackend.Auto,
                _ => throw new InvalidOperationException($"{ProcessSandboxOptions.BackendVariable}='{forced}' must be bubblewrap, namespaces or auto"),
            };
        var namespacesPossible = host.Unshare is not null && host.PivotRoot is not null;
        return wanted switch
        {
            SandboxBackend.Bubblewrap when host.HasBubblewrap => Backend.Bubblewrap,
            SandboxBackend.Bubblewrap => throw new InvalidOperationException("the bubblewrap sandbox backend was asked for but 'bwrap' is not installed; " + InstallHint),
            SandboxBackend.Namespaces when namespacesPossible => Backend.Namespaces,
            SandboxBackend.Auto when host.HasBubblewrap => Backend.Bubblewrap,
            SandboxBackend.Auto when namespacesPossible => Backend.Namespaces,
            _ => throw new InvalidOperationException("code cannot be isolated on this host: neither 'bwrap' nor util-linux 'unshare' + 'pivot_root' was found; " + InstallHint),
        };
    }

    /// <summary>Runs python once in the real sandbox, so that a host that forbids namespaces is found at start-up; null when it works.</summary>
    private string? SelfTest()
    {
        var probe = "import os, sys\nprint(os.getcwd(), os.path.exists('/proc/1'), os.path.exists('/etc/passwd'), len(os.listdir('/')) < 20)";
        SandboxResult result;
        try
        {
            result = RunPythonAsync(new SandboxRequest(new Dictionary<string, string> { ["probe.py"] = probe }, ["probe.py"], "",
                new SandboxLimits { WallClock = TimeSpan.FromSeconds(20) })).GetAwaiter().GetResult();
        }
        catch (Exception ex) when (ex is IOException or System.ComponentModel.Win32Exception or InvalidOperationException)
        {
            return $"the {_backend} code sandbox could not start ({ex.Message}); " + InstallHint;
        }
        return result.ExitCode == 0 && result.Stdout.Trim() == "/work True False True"
            ? null
            : $"the {_backend} code sandbox failed its self-test (exit {result.ExitCode}: {Last(result.Stderr)} {Last(result.Stdout)}); " + InstallHint;
    }

    private static string Last(string text) => text.Trim().Split('\n').LastOrDefault() ?? "";

    public async Task<SandboxResult> RunPythonAsync(SandboxRequest request, CancellationToken cancellationToken = default)
    {
        request.Limits.Validate();
        await _concurrency.WaitAsync(cancellationToken).ConfigureAwait(false);
        var slot = TakeSlot();
        var workDir = Directory.CreateTempSubdirectory("prorl-sandbox-").FullName;
        try
        {
            var uid = _host.IsRoot ? FirstUid(_options.UidBase) + slot : (int?)null;
            var filesDir = Path.Combine(workDir, "files");
            // Without namespaces the unprivileged uid reaches its files through this folder: searchable, not listable.
            if (_backend == Backend.NoneUnsafe && OperatingSystem.IsLinux())
                File.SetUnixFileMode(workDir, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute);
            Directory.CreateDirectory(filesDir);
            Directory.CreateDirectory(Path.Combine(workDir, "root"));
            PrepareFiles(filesDir, request.Files, uid, chownDir: _backend != Backend.Namespaces);
            var command = BuildCommand(_backend, _host, workDir, _python, _pythonPrefix, request.PythonArguments, request.Limits, uid, _options.TmpfsMegabytes);
            return await RunAsync(command, _backend == Backend.NoneUnsafe ? filesDir : workDir, request.Stdin, request.Limits, uid, cancellationToken).ConfigureAwait(false);
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

    /// <summary>Directories of the host bound read-only into the sandbox (the python runtime and the libraries it loads).</summary>
    private static readonly string[] RuntimeDirs = ["/usr", "/bin", "/sbin", "/lib", "/lib64", "/lib32", "/libx32"];
    private static readonly string[] RuntimeFiles = ["/etc/ld.so.cache", "/etc/ld.so.conf", "/etc/localtime"];
    private static readonly string[] Devices = ["null", "zero", "full", "random", "urandom"];

    /// <summary>
    /// The full argv. Namespaces: <c>unshare … sh -c SETUP</c>, where SETUP (trusted, before any untrusted code) builds
    /// the new root on a tmpfs, pivots into it, unmounts the old root and execs <c>prlimit … setpriv … python</c>.
    /// </summary>
    public static IReadOnlyList<string> BuildCommand(Backend backend, HostIsolation host, string workDir, string python, string pythonPrefix,
        IReadOnlyList<string> pythonArguments, SandboxLimits limits, int? uid, int tmpfsMegabytes = 64)
    {
        string Num(long value) => value.ToString(CultureInfo.InvariantCulture);
        var filesDir = Path.Combine(workDir, "files");
        var tail = new List<string>
        {
            host.Prlimit!, $"--as={Num(limits.MemoryBytes)}", $"--cpu={Num(limits.CpuSeconds)}", $"--fsize={Num(limits.MaxFileBytes)}",
            "--core=0", "--nofile=64", $"--nproc={Num(limits.MaxProcesses)}", "--",
            host.Setpriv!,
        };
        if (uid is { } u) tail.AddRange([$"--reuid={Num(u)}", $"--regid={Num(u)}", "--clear-groups"]);
        // Unprivileged bubblewrap already runs without capabilities (and could not drop its bounding set).
        if (uid is not null || backend != Backend.Bubblewrap) tail.AddRange(["--inh-caps=-all", "--bounding-set=-all"]);
        tail.AddRange(["--no-new-privs", "--", python, "-I", "-B"]);
        tail.AddRange(pythonArguments);

        var argv = new List<string>();
        switch (backend)
        {
            case Backend.Bubblewrap:
                argv.AddRange([host.Bwrap!, "--unshare-net", "--unshare-pid", "--unshare-ipc", "--unshare-uts", "--die-with-parent", "--new-session"]);
                if (!host.IsRoot) argv.Add("--unshare-user");
                foreach (var dir in RuntimeDirs.Where(Directory.Exists))
                {
                    if (new DirectoryInfo(dir).LinkTarget is { } target) argv.AddRange(["--symlink", target, dir]);
                    else argv.AddRange(["--ro-bind", dir, dir]);
                }
                if (!IsUnder(pythonPrefix, "/usr")) argv.AddRange(["--ro-bind", pythonPrefix, pythonPrefix]);
                foreach (var file in RuntimeFiles) argv.AddRange(["--ro-bind-try", file, file]);
                argv.AddRange(["--proc", "/proc", "--dev", "/dev", "--tmpfs", "/dev/shm", "--tmpfs", "/tmp", "--bind", filesDir, "/work", "--chdir", "/work",
                    "--clearenv", "--setenv", "PATH", "/usr/local/bin:/usr/bin:/bin", "--setenv", "HOME", "/tmp", "--setenv", "LANG", "C.UTF-8", "--"]);
                argv.AddRange(tail);
                return argv;
            case Backend.Namespaces:
                argv.Add(host.Unshare!);
                if (!host.IsRoot) argv.AddRange(["--user", "--map-root-user"]);
                argv.AddRange(["--mount", "--pid", "--net", "--ipc", "--uts", "--fork", "--kill-child", "--propagation", "private", "--",
                    "/bin/sh", "-c", NamespaceSetup(workDir, pythonPrefix, uid, host.PivotRoot!, tmpfsMegabytes, tail), "sandbox-setup"]);
                return argv;
            default:
                argv.AddRange(tail);
                return argv;
        }
    }

    private static bool IsUnder(string path, string dir) => path == dir || path.StartsWith(dir + "/", StringComparison.Ordinal);

    private static string Quote(string s) => "'" + s.Replace("'", "'\\''") + "'";

    /// <summary>The shell script that builds the sandbox's root inside fresh namespaces (runs as root there, before the code).</summary>
    private static string NamespaceSetup(string workDir, string pythonPrefix, int? uid, string pivotRoot, int tmpfsMegabytes, IReadOnlyList<string> exec)
    {
        var root = Path.Combine(workDir, "root");
        var files = Path.Combine(workDir, "files");
        var size = $"size={tmpfsMegabytes.ToString(CultureInfo.InvariantCulture)}m";
        var sb = new StringBuilder("set -e\n");
        void Line(string line) => sb.Append(line).Append('\n');
        var r = Quote(root);
        Line($"mount -t tmpfs -o mode=0755,nosuid,nodev,size=16m tmpfs {r}");
        void BindRo(string source, bool isFile)
        {
            var target = Quote(root + source);
            Line(isFile ? $"mkdir -p {Quote(root + Path.GetDirectoryName(source))} && touch {target}" : $"mkdir -p {target}");
            Line($"mount --rbind {Quote(source)} {target}");
            Line($"mount -o remount,bind,ro,nosuid,nodev {target}");
        }
        foreach (var dir in RuntimeDirs.Where(Directory.Exists))
        {
            if (new DirectoryInfo(dir).LinkTarget is { } target) Line($"ln -s {Quote(target)} {Quote(root + dir)}");
            else BindRo(dir, isFile: false);
        }
        if (!IsUnder(pythonPrefix, "/usr")) BindRo(pythonPrefix, isFile: false);
        foreach (var file in RuntimeFiles.Where(File.Exists)) BindRo(file, isFile: true);
        Line($"mkdir -p {r}/dev {r}/proc {r}/tmp {r}/work {r}/.oldroot");
        foreach (var dev in Devices) Line($"touch {r}/dev/{dev} && mount --bind /dev/{dev} {r}/dev/{dev}");
        Line($"ln -s /proc/self/fd {r}/dev/fd");
        Line($"mount -t proc -o nosuid,nodev,noexec proc {r}/proc");
        Line($"mount -t tmpfs -o mode=1777,nosuid,nodev,{size} tmpfs {r}/tmp");
        Line($"mount -t tmpfs -o mode=0755,nosuid,nodev,{size} tmpfs {r}/work");
        Line($"cp -R {Quote(files)}/. {r}/work/");
        if (uid is { } u) Line($"chown -R {u.ToString(CultureInfo.InvariantCulture)}:{u.ToString(CultureInfo.InvariantCulture)} {r}/work");
        // pivot_root, not chroot: the old root is unmounted, so even a process with capabilities in the namespace cannot climb out.
        Line($"cd {r} && {Quote(pivotRoot)} . .oldroot && umount -l /.oldroot && rmdir /.oldroot");
        Line("mount -o remount,bind,ro,nosuid,nodev /");
        Line("cd /work");
        Line("exec " + string.Join(' ', exec.Select(Quote)));
        return sb.ToString();
    }

    private static void PrepareFiles(string dir, IReadOnlyDictionary<string, string> files, int? uid, bool chownDir)
    {
        foreach (var (name, content) in files)
        {
            if (name.Contains('/') || name.Contains('\\') || name is "." or "..") throw new ArgumentException($"sandbox file name '{name}' must be a plain name", nameof(files));
            File.WriteAllText(Path.Combine(dir, name), content, new UTF8Encoding(false));
            if (uid is { } u && chownDir) HostIsolation.Chown(Path.Combine(dir, name), u);
        }
        if (OperatingSystem.IsLinux()) File.SetUnixFileMode(dir, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        if (uid is { } owner && chownDir) HostIsolation.Chown(dir, owner);
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
        psi.Environment["HOME"] = "/tmp";
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

    /// <summary>
    /// The python executable (a pyenv shim resolves to the interpreter it runs) and its installation prefix, which the
    /// sandbox binds read-only when it lies outside /usr.
    /// </summary>
    private static (string Python, string Prefix) ResolvePython(string python, bool mustBeWorldExecutable)
    {
        var candidates = new List<string?> { HostIsolation.FindOnPath(python) };
        if (mustBeWorldExecutable) candidates.AddRange(["/usr/bin/python3", "/usr/local/bin/python3"]); // pyenv under /root is not reachable by an unprivileged uid
        foreach (var candidate in candidates.Where(c => c is not null))
        {
            if (mustBeWorldExecutable && !HostIsolation.IsWorldExecutable(candidate!)) continue;
            var psi = new ProcessStartInfo(candidate!) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
            foreach (var a in new[] { "-I", "-c", "import sys; print(sys.executable); print(sys.base_prefix)" }) psi.ArgumentList.Add(a);
            try
            {
                using var p = Process.Start(psi)!;
                var lines = p.StandardOutput.ReadToEnd().Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
                if (!p.WaitForExit(20_000) || p.ExitCode != 0 || lines.Length < 2) continue;
                var executable = mustBeWorldExecutable ? candidate! : lines[0];
                return (executable, lines[1]);
            }
            catch (System.ComponentModel.Win32Exception) { }
        }
        throw new InvalidOperationException($"Sandbox:Python '{python}' not found or does not run" + (mustBeWorldExecutable ? " (or not executable by an unprivileged user)" : ""));
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
