using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;

namespace ProRL.Tasks.Sandbox;

/// <summary>What this Linux host offers for isolation, probed once per process.</summary>
public sealed partial record HostIsolation(bool IsRoot, string? Bwrap, bool UnshareWorks, string? Prlimit, string? Setpriv)
{
    private static readonly Lazy<HostIsolation> Probed = new(Probe);

    public static HostIsolation Current => Probed.Value;

    public bool HasBubblewrap => Bwrap is not null;

    private static HostIsolation Probe()
    {
        var isRoot = OperatingSystem.IsLinux() && NativeMethods.geteuid() == 0;
        var bwrap = FindOnPath("bwrap");
        // bwrap may be installed but unusable (no user namespaces in a container): test it before trusting it.
        if (bwrap is not null && !Succeeds(bwrap, ["--ro-bind", "/", "/", "--dev", "/dev", "--unshare-net", "--unshare-pid", "--die-with-parent", "true"]))
            bwrap = null;
        var unshare = FindOnPath("unshare");
        var unshareArgs = isRoot ? new[] { "--net", "--pid", "--fork", "--kill-child", "true" } : ["--map-root-user", "--net", "--pid", "--fork", "--kill-child", "true"];
        var unshareWorks = unshare is not null && Succeeds(unshare, unshareArgs);
        return new HostIsolation(isRoot, bwrap, unshareWorks, FindOnPath("prlimit"), isRoot ? FindOnPath("setpriv") : null);
    }

    public static string? FindOnPath(string program)
    {
        if (Path.IsPathRooted(program)) return File.Exists(program) ? program : null;
        var path = Environment.GetEnvironmentVariable("PATH") ?? "/usr/bin:/bin";
        return path.Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Select(dir => Path.Combine(dir, program))
            .FirstOrDefault(File.Exists);
    }

    private static bool Succeeds(string program, IEnumerable<string> arguments)
    {
        try
        {
            var psi = new ProcessStartInfo(program) { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
            foreach (var a in arguments) psi.ArgumentList.Add(a);
            using var p = Process.Start(psi)!;
            if (!p.WaitForExit(10_000)) { p.Kill(true); return false; }
            return p.ExitCode == 0;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return false;
        }
    }

    /// <summary>True when every directory on the way to <paramref name="path"/> is searchable, and the file executable, by anyone.</summary>
    public static bool IsWorldExecutable(string path)
    {
        if (!OperatingSystem.IsLinux()) return false;
        try
        {
            var real = new FileInfo(path).ResolveLinkTarget(true)?.FullName ?? Path.GetFullPath(path);
            if ((File.GetUnixFileMode(real) & UnixFileMode.OtherExecute) == 0) return false;
            for (var dir = Path.GetDirectoryName(real); !string.IsNullOrEmpty(dir); dir = Path.GetDirectoryName(dir))
                if ((File.GetUnixFileMode(dir) & UnixFileMode.OtherExecute) == 0) return false;
            return true;
        }
        catch (IOException) { return false; }
        catch (UnauthorizedAccessException) { return false; }
    }

    internal static void Chown(string path, int uid)
    {
        if (NativeMethods.chown(path, (uint)uid, (uint)uid) != 0)
            throw new IOException($"chown {path} to {uid.ToString(CultureInfo.InvariantCulture)} failed (errno {Marshal.GetLastPInvokeError()})");
    }

    private static partial class NativeMethods
    {
        [LibraryImport("libc", SetLastError = true)]
        internal static partial uint geteuid();

        [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
        internal static partial int chown(string path, uint owner, uint group);
    }
}
