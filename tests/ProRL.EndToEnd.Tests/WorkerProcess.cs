using System.Diagnostics;
using System.Text;

namespace ProRL.EndToEnd.Tests;

/// <summary>
/// The worker as a separate OS process (as systemd runs it), configured by environment variables the way a service
/// unit would; so that tests can SIGKILL it at any instant and run several at once on one run directory.
/// </summary>
internal sealed class WorkerProcess : IDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();

    private WorkerProcess(Process process) => _process = process;

    public static string RepositoryRoot { get; } = FindRoot();

    /// <summary>The built ProRL.Worker.dll of the same configuration as this test assembly.</summary>
    public static string WorkerDll
    {
        get
        {
            var configuration = new DirectoryInfo(AppContext.BaseDirectory).Parent!.Name; // bin/<Configuration>/net10.0/
            var dll = Path.Combine(RepositoryRoot, "src", "ProRL.Worker", "bin", configuration, "net10.0", "ProRL.Worker.dll");
            return File.Exists(dll) ? dll : throw new FileNotFoundException($"Build the worker first: '{dll}' is missing.", dll);
        }
    }

    public static WorkerProcess Start(IReadOnlyDictionary<string, string> settings, string workingDirectory)
    {
        var info = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        info.ArgumentList.Add(WorkerDll);
        info.Environment["DOTNET_ENVIRONMENT"] = "Production";
        foreach (var (key, value) in settings) info.Environment[key.Replace(":", "__")] = value;
        var process = new Process { StartInfo = info, EnableRaisingEvents = true };
        var worker = new WorkerProcess(process);
        process.OutputDataReceived += (_, e) => worker.Append(e.Data);
        process.ErrorDataReceived += (_, e) => worker.Append(e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return worker;
    }

    private void Append(string? line)
    {
        if (line is null) return;
        lock (_output) _output.AppendLine(line);
    }

    public string Output
    {
        get { lock (_output) return _output.ToString(); }
    }

    public bool HasExited => _process.HasExited;
    public int ExitCode => _process.ExitCode;
    public int Id => _process.Id;

    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        try { await _process.WaitForExitAsync(cts.Token); }
        catch (OperationCanceledException)
        {
            Kill();
            throw new TimeoutException($"The worker did not exit within {timeout}. Output:\n{Output}");
        }
        _process.WaitForExit(); // drain the output handlers
        return _process.ExitCode;
    }

    /// <summary>SIGKILL: no handler runs, exactly like a power cut of the process.</summary>
    public void Kill()
    {
        if (!_process.HasExited) _process.Kill(entireProcessTree: true);
        _process.WaitForExit();
    }

    /// <summary>SIGTERM, as systemd stops a service.</summary>
    public void Terminate()
    {
        if (!_process.HasExited) Process.Start("kill", ["-TERM", _process.Id.ToString()])!.WaitForExit();
    }

    public void Dispose()
    {
        Kill();
        _process.Dispose();
    }

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "ProRL.Onnx.sln"))) return dir.FullName;
        throw new InvalidOperationException("ProRL.Onnx.sln not found above the test assembly.");
    }
}
