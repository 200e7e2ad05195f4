using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;

namespace ProRL.Worker.Tests.Hosting;

public sealed class WorkerProcessTests : IDisposable
{
    private readonly TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "ProRL.Onnx.sln"))) return dir.FullName;
        throw new InvalidOperationException("Repository root not found above " + AppContext.BaseDirectory);
    }

    [Fact]
    public async Task Invalid_option_stops_the_worker_process_with_exit_code_2_and_a_message_naming_it()
    {
        var start = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = _temp.Path,
            RedirectStandardError = true,
            RedirectStandardOutput = true,
        };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "ProRL.Worker.dll"));
        start.ArgumentList.Add($"--Run:Directory={_temp.Combine("run")}");
        start.ArgumentList.Add("--Algorithm:ClipHigh=0.1");
        using var process = Process.Start(start)!;
        var stderr = process.StandardError.ReadToEndAsync();
        var stdout = process.StandardOutput.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await process.WaitForExitAsync(timeout.Token);

        Assert.Equal(2, process.ExitCode);
        var message = await stderr;
        Assert.Contains("Invalid configuration", message);
        Assert.Contains("Algorithm:ClipHigh", message);
        Assert.DoesNotContain("   at ", message + await stdout); // a message, not a stack trace
    }

    private async Task<(int ExitCode, string Output)> RunWorker(IDictionary<string, string> environment, params string[] args)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = _temp.Path,
            RedirectStandardError = true,
            RedirectStandardOutput = true,
        };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "ProRL.Worker.dll"));
        foreach (var arg in args) start.ArgumentList.Add(arg);
        foreach (var (key, value) in environment) start.Environment[key] = value;
        using var process = Process.Start(start)!;
        var stderr = process.StandardError.ReadToEndAsync();
        var stdout = process.StandardOutput.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, await stdout + await stderr);
    }

    [Fact]
    public async Task Malformed_environment_settings_file_exits_2_naming_file_line_and_column()
    {
        // appsettings.<Environment>.json is read from the worker's folder; a unique environment name keeps this file
        // away from every other test.
        var environment = "Broken" + Guid.NewGuid().ToString("N")[..8];
        var file = Path.Combine(AppContext.BaseDirectory, $"appsettings.{environment}.json");
        File.WriteAllText(file, "{\n  \"Run\": {\n    \"Seed\": 3\n  \n");
        try
        {
            var (exit, output) = await RunWorker(new Dictionary<string, string> { ["DOTNET_ENVIRONMENT"] = environment },
                $"--Run:Directory={_temp.Combine("run")}");
            Assert.Equal(2, exit);
            Assert.Contains("Invalid configuration:", output);
            Assert.Contains(file + ":5:1:", output);
            Assert.DoesNotContain("   at ", output);
            Assert.False(Directory.Exists(_temp.Combine("run")));
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public async Task Mostly_malformed_dataset_exits_2_naming_the_file_and_lines()
    {
        var dataset = _temp.Combine("train.jsonl");
        File.WriteAllLines(dataset, ["not json", """{"domain": "math", "prompt": "1+1?", "answer": "2"}""", """{"domain": "math", "prompt": 3}""", """{"domain": "math"}"""]);
        var (exit, output) = await RunWorker(new Dictionary<string, string>(),
            $"--Run:Directory={_temp.Combine("run")}", $"--Model:Path={_temp.Combine("model")}", $"--Tasks:Datasets:0:Path={dataset}");
        Assert.Equal(2, exit);
        Assert.Contains($"Tasks:Datasets:0:Path: {dataset}: 3 of 4 rows are malformed", output);
        Assert.Contains("line 1:", output);
        Assert.False(Directory.Exists(_temp.Combine("run")));
    }

    [Fact]
    public void Systemd_unit_notifies_restarts_on_failure_and_waits_longer_than_the_grace_period()
    {
        var unit = File.ReadAllText(Path.Combine(RepositoryRoot(), "tools", "service", "prorl-worker.service"));
        Assert.Matches(new Regex(@"^Type=notify$", RegexOptions.Multiline), unit);
        Assert.Matches(new Regex(@"^Restart=on-failure$", RegexOptions.Multiline), unit);
        Assert.Matches(new Regex(@"^KillSignal=SIGTERM$", RegexOptions.Multiline), unit);
        Assert.Matches(new Regex(@"^WorkingDirectory=/", RegexOptions.Multiline), unit);
        int Value(string pattern) => int.Parse(new Regex(pattern, RegexOptions.Multiline).Match(unit).Groups[1].Value, CultureInfo.InvariantCulture);
        Assert.True(Value(@"^TimeoutStopSec=(\d+)$") > Value(@"^Environment=Shutdown__GracePeriodSeconds=(\d+)$"));
    }

    [Fact]
    public void Windows_install_script_creates_the_service_with_recovery_actions()
    {
        var script = File.ReadAllText(Path.Combine(RepositoryRoot(), "tools", "service", "install-windows-service.ps1"));
        Assert.Contains("New-Service", script);
        Assert.Matches(new Regex(@"sc\.exe failure \$ServiceName reset= \d+ actions= restart/"), script);
        Assert.Contains("Run__Directory=", script);
    }
}
