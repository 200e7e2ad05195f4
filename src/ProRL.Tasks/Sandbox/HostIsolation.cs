using System.Globalization;
using System.Runtime.InteropServices;

namespace ProRL.Tasks.Sandbox;

/// <summary>
/// The isolation tools this Linux host has, found once per process. Whether they actually work (a container may forbid
/// namespaces) is checked by <see cref="ProcessSandbox"/>'s start-up self-test, which runs python in the real sandbox.
/// </summary>
public sealed partial record HostIsolation(bool IsRoot, string? Bwrap, string? Unshare, string? Prlimit, string? Setpriv, string? PivotRoot)
{
    private static readonly Lazy<HostIsolation> Probed = new(Probe);

    public static HostIsolation Current => Probed.Value;

    public bool HasBubblewrap => Bwrap is not null;

    private static HostIsolation Probe()
    {
        var isRoot = OperatingSystem.IsLinux() && NativeMethods.geteuid() == 0;
        return new HostIsolation(isRoot, FindOnPath("bwrap"), FindOnPath("unshare"), FindOnPath("prlimit"), FindOnPath("setpriv"),
            FindOnPath("pivot_root") ?? FindOnPath("/usr/sbin/pivot_root") ?? FindOnPath("/sbin/pivot_root"));
    }

    public static string? FindOnPath(string program)
    {
        if (Path.IsPathRooted(program)) return File.Exists(program) ? program : null;
        var path = Environment.GetEnvironmentVariable("PATH") ?? "/usr/bin:/bin";
        return path.Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Select(dir => Path.Combine(dir, program))
            .FirstOrDefault(File.Exists);
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
