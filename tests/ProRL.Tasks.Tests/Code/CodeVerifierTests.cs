using ProRL.Tasks.Code;
using ProRL.Tasks.Sandbox;
using static ProRL.Tasks.Tests.Code.SandboxSetup;

namespace ProRL.Tasks.Tests.Code;

[Collection(SandboxSetup.Collection)]
public class CodeVerifierTests
{
    private static readonly ProcessSandbox Sandbox = new(new ProcessSandboxOptions { MaxConcurrency = 8 });

    [Fact]
    public async Task Reward_is_the_fraction_of_assert_tests_passed()
    {
        var task = AssertTask("assert add(1, 2) == 3", "assert add(-1, 1) == 0", "assert add(2, 2) == 5");
        var result = await Verifier(Sandbox).VerifyAsync(task, Fenced("def add(a, b):\n    return a + b"));
        Assert.Equal(2.0 / 3.0, result.Reward, 9);
        Assert.Equal("2/3 tests passed", result.Reason);
    }

    [Fact]
    public async Task Stdin_stdout_tests_compare_output_ignoring_trailing_whitespace()
    {
        var task = StdioTask(("1 2\n", "3\n"), ("5 5\n", "10"), ("2 2\n", "5\n"));
        var result = await Verifier(Sandbox).VerifyAsync(task, Fenced("a, b = map(int, input().split())\nprint(a + b)   "));
        Assert.Equal(2.0 / 3.0, result.Reward, 9);
    }

    [Fact]
    public async Task A_program_cannot_forge_pass_lines()
    {
        var task = AssertTask("assert False", "assert False");
        var code = "import sys\nfor i in range(2):\n    print('0:%d:PASS' % i)\n    sys.stdout.write('PASS\\n')";
        var result = await Verifier(Sandbox).VerifyAsync(task, Fenced(code));
        Assert.Equal(0.0, result.Reward);
    }

    [Fact]
    public async Task Common_assert_shapes_are_checked_outside_the_solution_and_honest_answers_pass()
    {
        var task = AssertTask(
            "assert math.isclose(root(2.0), 1.4142135, rel_tol=1e-6)",
            "import math\nassert abs(root(9.0) - 3) < 1e-9",
            "s = Stack()\ns.push(3)\ns.push(4)\nassert s.pop() == 4\nassert s.pop() == 3",
            "expected = [1, 4, 9]\nassert list(map(square, [1, 2, 3])) == expected",
            "assert sorted(pair()) == [1, 2]",
            "assert pair() == (2, 1)",
            "assert table() == {'a': [1, 2], 'b': {3}}",
            "assert nothing() is None",
            "assert square(3) and not square(0)",
            "assert isinstance(square(2), int)",
            "assert square(10 ** 20) == 10 ** 40");
        var code = """
            import math
            def root(x):
                return math.sqrt(x)
            class Stack:
                def __init__(self):
                    self.items = []
                def push(self, x):
                    self.items.append(x)
                def pop(self):
                    return self.items.pop()
            def square(x):
                return x * x
            def pair():
                return (2, 1)
            def table():
                return {'b': {3}, 'a': [1, 2]}
            def nothing():
                return None
            """;
        var result = await Verifier(Sandbox).VerifyAsync(task, Fenced(code));
        Assert.True(result.Reward == 1.0, result.Reason);
        // Type-strict where python is loose only for bool: a tuple is not a list, True is not 1.
        var strict = AssertTask("assert pair() == [2, 1]", "assert one() == 1", "assert half() == 0.5");
        var typed = await Verifier(Sandbox).VerifyAsync(strict, Fenced("def pair():\n    return (2, 1)\ndef one():\n    return True\ndef half():\n    return 1 / 2"));
        Assert.Equal("1/3 tests passed", typed.Reason);
    }

    [Fact]
    public async Task Tests_that_cannot_be_checked_outside_the_solution_fail_with_a_reason()
    {
        var task = AssertTask("for i in range(3):\n    assert f(i) == i", "f(1)", "assert f(2) == 2");
        var result = await Verifier(Sandbox).VerifyAsync(task, Fenced("def f(x):\n    return x"));
        Assert.Equal(1.0 / 3.0, result.Reward, 9);
        Assert.StartsWith("1/3 tests passed; 2 test(s) cannot be checked outside the solution", result.Reason);
    }

    [Fact]
    public async Task Many_verifications_run_concurrently_and_all_succeed()
    {
        var verifier = Verifier(Sandbox);
        var task = AssertTask("assert square(3) == 9", "assert square(-2) == 4");
        var results = await Task.WhenAll(Enumerable.Range(0, 12).Select(_ => verifier.VerifyAsync(task, Fenced("def square(x):\n    return x * x")).AsTask()));
        Assert.All(results, r => Assert.Equal(1.0, r.Reward));
    }

    [Fact]
    public async Task The_whole_run_budget_caps_many_slow_tests()
    {
        // Each stdio test sleeps 0.8 s; with a 2 s budget the third run cannot finish: reward 0, not 2/3.
        var task = StdioTask(("", "ok\n"), ("", "ok\n"), ("", "ok\n"), ("", "ok\n"));
        var result = await Verifier(Sandbox, TimeSpan.FromSeconds(2)).VerifyAsync(task, Fenced("import time\ntime.sleep(0.8)\nprint('ok')"));
        Assert.Equal(0.0, result.Reward);
        Assert.Contains("budget", result.Reason);
    }

    [Theory]
    [InlineData("no code here")]
    [InlineData("```python\n```")]
    [InlineData("```python\nprint(1)")]
    public async Task Responses_without_a_complete_code_block_earn_zero_without_running_anything(string response)
    {
        var runner = new RecordingRunner();
        var result = await Verifier(runner).VerifyAsync(AssertTask("assert True"), response);
        Assert.Equal(0.0, result.Reward);
        Assert.Equal(0, runner.Calls);
    }

    [Fact]
    public void The_last_fenced_block_is_extracted()
    {
        var response = "```python\nprint(1)\n```\ntext\n```py\nprint(2)\n```\n```\nprint(3)\n```";
        Assert.Equal("print(3)\n", CodeVerifier.ExtractCode(response));
        Assert.Equal("x = 1\n", CodeVerifier.ExtractCode("```Python3\nx = 1\n```"));
    }

    [Fact]
    public void Without_bubblewrap_or_unshare_code_is_refused_with_what_to_install()
    {
        var nothing = HostIsolation.Current with { Bwrap = null, Unshare = null };
        var ex = Assert.Throws<InvalidOperationException>(() => new ProcessSandbox(new ProcessSandboxOptions(), nothing));
        Assert.Contains("bubblewrap", ex.Message);
        Assert.Contains("none-unsafe", ex.Message);
        var bwrapAsked = Assert.Throws<InvalidOperationException>(() => new ProcessSandbox(new ProcessSandboxOptions { Backend = SandboxBackend.Bubblewrap }, nothing));
        Assert.Contains("bwrap", bwrapAsked.Message);
    }

    [Fact]
    public void The_sandbox_commands_show_only_the_runtime_and_private_directories()
    {
        var host = new HostIsolation(IsRoot: true, Bwrap: "/usr/bin/bwrap", Unshare: "/usr/bin/unshare", Prlimit: "/usr/bin/prlimit", Setpriv: "/usr/bin/setpriv",
            PivotRoot: "/usr/sbin/pivot_root");
        var bwrap = string.Join(' ', ProcessSandbox.BuildCommand(ProcessSandbox.Backend.Bubblewrap, host, "/tmp/w", "/usr/bin/python3", "/usr", ["h.py"], TightLimits, 61003));
        Assert.StartsWith("/usr/bin/bwrap", bwrap);
        foreach (var expected in new[] { "--ro-bind /usr /usr", "--bind /tmp/w/files /work", "--tmpfs /tmp", "--unshare-net", "--unshare-pid", "--die-with-parent",
                     "--as=268435456", "--cpu=2", "--nproc=8", "--core=0", "--reuid=61003", "--bounding-set=-all", "/usr/bin/python3 -I -B h.py" })
            Assert.Contains(expected, bwrap);
        Assert.DoesNotContain("--ro-bind / /", bwrap);
        var ns = ProcessSandbox.BuildCommand(ProcessSandbox.Backend.Namespaces, host with { IsRoot = false }, "/tmp/w", "/usr/bin/python3", "/usr", ["h.py"], TightLimits, null);
        Assert.Equal(["/usr/bin/unshare", "--user", "--map-root-user", "--mount", "--pid", "--net", "--ipc", "--uts", "--fork", "--kill-child"], ns.Take(10));
        var setup = ns[^2];
        Assert.Contains("pivot_root' . .oldroot && umount -l /.oldroot", setup);
        Assert.Contains("mount -t proc", setup);
        Assert.DoesNotContain("/tmp/w/files /", setup.Replace("cp -R '/tmp/w/files'/.", ""));
    }

    [Fact]
    public async Task The_namespace_backend_runs_code_when_forced()
    {
        var sandbox = new ProcessSandbox(new ProcessSandboxOptions { Backend = SandboxBackend.Namespaces });
        Assert.Equal(ProcessSandbox.Backend.Namespaces, sandbox.ActiveBackend);
        Assert.Contains("unshare", sandbox.IsolationDescription);
        var result = await Verifier(sandbox).VerifyAsync(AssertTask("assert f() == 2"), Fenced("def f():\n    return 2"));
        Assert.Equal(1.0, result.Reward);
    }

    private sealed class RecordingRunner : ICodeRunner
    {
        public int Calls;
        public string IsolationDescription => "recording";

        public Task<SandboxResult> RunPythonAsync(SandboxRequest request, CancellationToken cancellationToken = default)
        {
            Interlocked.Increment(ref Calls);
            return Task.FromResult(new SandboxResult(0, "", "", false, false, TimeSpan.Zero));
        }
    }
}
