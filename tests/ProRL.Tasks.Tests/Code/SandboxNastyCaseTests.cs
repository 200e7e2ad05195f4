using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using ProRL.Tasks.Sandbox;
using static ProRL.Tasks.Tests.Code.SandboxSetup;

namespace ProRL.Tasks.Tests.Code;

/// <summary>
/// Hostile programs in the real sandbox: each earns 0 within its limits and leaves the host unharmed. The cases run
/// concurrently inside each test to keep the suite fast.
/// </summary>
[Collection(SandboxSetup.Collection)]
public class SandboxNastyCaseTests
{
    private static readonly ProcessSandbox Sandbox = new(new ProcessSandboxOptions { MaxConcurrency = 8 });

    private static async Task<(double Reward, string Reason, TimeSpan Elapsed)> Score(string code, params string[] asserts)
    {
        var clock = Stopwatch.StartNew();
        var result = await Verifier(Sandbox).VerifyAsync(AssertTask(asserts.Length > 0 ? asserts : ["assert True"]), Fenced(code));
        return (result.Reward, result.Reason, clock.Elapsed);
    }

    [Fact]
    public async Task Infinite_loop_fork_bomb_and_memory_hog_earn_zero_within_their_limits()
    {
        var names = new[] { "loop", "fork bomb", "memory hog", "sleeper" };
        var outcomes = await Task.WhenAll(
            Score("while True:\n    pass"),
            Score("import os\nwhile True:\n    try:\n        os.fork()\n    except OSError:\n        pass"),
            Score("chunks = []\nwhile True:\n    chunks.append(bytearray(50 * 1024 * 1024))"),
            Score("import time\ntime.sleep(60)"));
        foreach (var (name, outcome) in names.Zip(outcomes))
        {
            Assert.True(outcome.Reward == 0.0, $"{name}: {outcome.Reason}");
            Assert.True(outcome.Elapsed < TimeSpan.FromSeconds(10), $"{name} took {outcome.Elapsed}");
        }
        Assert.Contains("time limit", outcomes[0].Reason + outcomes[3].Reason);
        // Nothing the sandbox started survives it.
        await Task.Delay(200);
        Assert.Equal(0, ProcessesOfSandboxUids());
    }

    [Fact]
    public async Task A_hundred_megabytes_of_output_is_cut_off()
    {
        var (reward, reason, elapsed) = await Score("import sys\nfor _ in range(100):\n    sys.stdout.write('x' * 1000000)", "assert True");
        Assert.Equal(0.0, reward);
        Assert.Contains("output exceeded", reason);
        Assert.True(elapsed < TimeSpan.FromSeconds(5), $"took {elapsed}");
    }

    [Fact]
    public async Task Sockets_cannot_reach_the_host_or_the_network()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        try
        {
            var port = ((IPEndPoint)listener.LocalEndpoint).Port;
            var code = "import socket\ndef reach(host, port):\n    try:\n        socket.create_connection((host, port), timeout=1).close()\n        return True\n    except OSError:\n        return False";
            var (reward, reason, _) = await Score(code, $"assert reach('127.0.0.1', {port})", "assert reach('1.1.1.1', 53)");
            Assert.True(reward == 0.0, reason);
            Assert.False(listener.Pending(), "the sandbox connected to a host port");
        }
        finally
        {
            listener.Stop();
        }
    }

    [Fact]
    public async Task Writing_outside_the_working_directory_fails_and_leaves_no_file()
    {
        var hostDir = Directory.CreateTempSubdirectory("prorl-host-").FullName;
        try
        {
            var target = Path.Combine(hostDir, "pwned.txt");
            var code = $"def attack(path):\n    with open(path, 'w') as f:\n        f.write('x')";
            var (reward, reason, _) = await Score(code, $"attack({System.Text.Json.JsonSerializer.Serialize(target)})", "attack('/etc/prorl-sandbox-probe')");
            Assert.True(reward == 0.0, reason);
            Assert.False(File.Exists(target));
            Assert.False(File.Exists("/etc/prorl-sandbox-probe"));
            // Writing inside the working directory is allowed.
            var (inside, insideReason, _) = await Score("open('out.txt', 'w').write('ok')", "assert open('out.txt').read() == 'ok'");
            Assert.True(inside == 1.0, insideReason);
        }
        finally
        {
            Directory.Delete(hostDir, recursive: true);
        }
    }

    [Fact]
    public async Task A_crash_earns_zero_and_a_syntax_error_says_so()
    {
        var outcomes = await Task.WhenAll(
            Score("import os\nos.abort()", "assert True"),
            Score("import ctypes\nctypes.string_at(0)", "assert True"),
            Score("def broken(:\n    pass", "assert True"));
        Assert.All(outcomes, o => Assert.Equal(0.0, o.Reward));
        Assert.Contains("syntax error", outcomes[2].Reason);
    }
}
