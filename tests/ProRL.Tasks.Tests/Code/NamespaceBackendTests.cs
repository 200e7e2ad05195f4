using System.Diagnostics;
using ProRL.Tasks.Sandbox;

namespace ProRL.Tasks.Tests.Code;

/// <summary>
/// The util-linux namespace backend as a non-root user would get it (a user namespace, no uid switch). CI runs as root,
/// so the command is started through <c>setpriv</c> as the unprivileged user "nobody".
/// </summary>
public class NamespaceBackendTests
{
    [Fact]
    public async Task The_user_namespace_variant_runs_python_in_a_private_view_for_a_non_root_user()
    {
        var host = HostIsolation.Current;
        if (!OperatingSystem.IsLinux())
        {
            Assert.Fail("the code sandbox is Linux only");
            return;
        }
        Assert.True(host.IsRoot && host.Unshare is not null && host.PivotRoot is not null,
            "this test needs Linux, root (to become 'nobody') and util-linux unshare/pivot_root");
        var workDir = Directory.CreateTempSubdirectory("prorl-userns-").FullName;
        try
        {
            var files = Directory.CreateDirectory(Path.Combine(workDir, "files")).FullName;
            Directory.CreateDirectory(Path.Combine(workDir, "root"));
            File.WriteAllText(Path.Combine(files, "probe.py"),
                $"import os\nprint(os.getcwd(), os.path.exists('/proc/1'), os.path.exists({System.Text.Json.JsonSerializer.Serialize(workDir)}), " +
                "os.path.exists('/etc/passwd'), os.getuid())\nopen('/tmp/x', 'w').write('ok')\n");
            foreach (var path in new[] { workDir, files, Path.Combine(workDir, "root"), Path.Combine(files, "probe.py") })
                File.SetUnixFileMode(path, (UnixFileMode)Convert.ToInt32("755", 8));
            var nonRoot = host with { IsRoot = false };
            var argv = ProcessSandbox.BuildCommand(ProcessSandbox.Backend.Namespaces, nonRoot, workDir, "/usr/bin/python3", "/usr", ["probe.py"],
                new SandboxLimits { MaxProcesses = 64 }, uid: null);
            var psi = new ProcessStartInfo(host.Setpriv!) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            foreach (var a in new[] { "--reuid=65534", "--regid=65534", "--clear-groups", "--" }.Concat(argv)) psi.ArgumentList.Add(a);
            psi.Environment["PATH"] = "/usr/local/bin:/usr/bin:/bin";
            using var p = Process.Start(psi)!;
            var stdout = p.StandardOutput.ReadToEndAsync();
            var stderr = p.StandardError.ReadToEndAsync();
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
            await p.WaitForExitAsync(timeout.Token);
            Assert.True(p.ExitCode == 0, $"exit {p.ExitCode}: {await stderr}");
            // cwd /work, own pid namespace, host run directory and /etc/passwd invisible, "root" only inside the user namespace.
            Assert.Equal("/work True False False 0", (await stdout).Trim());
        }
        finally
        {
            Directory.Delete(workDir, recursive: true);
        }
    }
}
