using System.Diagnostics;
using System.Globalization;

namespace ProRL.Training.Session;

/// <summary>
/// This process's resident memory: the current RSS and the peak (the kernel's high-water mark, VmHWM, on Linux). On
/// Linux the peak can be reset to the current RSS (<c>/proc/self/clear_refs</c>), so that a phase of work can be given
/// its own peak; elsewhere the peak is the process's peak so far.
/// </summary>
public static class ProcessMemory
{
    public readonly record struct Reading(long RssBytes, long PeakBytes);

    public static Reading Read()
    {
        const string status = "/proc/self/status";
        if (File.Exists(status))
        {
            long rss = 0, peak = 0;
            foreach (var line in File.ReadLines(status))
            {
                if (line.StartsWith("VmRSS:", StringComparison.Ordinal)) rss = Kilobytes(line);
                else if (line.StartsWith("VmHWM:", StringComparison.Ordinal)) peak = Kilobytes(line);
            }
            return new(rss, peak);
        }
        using var self = Process.GetCurrentProcess();
        return new(self.WorkingSet64, self.PeakWorkingSet64);
    }

    /// <summary>Resets the peak to the current RSS; false where the system cannot (the peak then keeps growing).</summary>
    public static bool ResetPeak()
    {
        try
        {
            File.WriteAllText("/proc/self/clear_refs", "5"); // Linux: "5" resets VmHWM
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or NotSupportedException)
        {
            return false;
        }
    }

    /// <summary>
    /// Returns the C heap's free pages to the system (glibc's malloc_trim; a no-op elsewhere). ONNX Runtime frees a
    /// step's intermediates with free(), and glibc keeps much of that memory resident for reuse, so the process's
    /// resident size creeps up step by step unless it is trimmed between steps.
    /// </summary>
    public static void TrimNativeHeap()
    {
        if (!OperatingSystem.IsLinux()) return;
        try { MallocTrim(0); }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException) { } // not glibc (musl): nothing to trim
    }

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "malloc_trim")]
    private static extern int MallocTrim(nuint pad);

    public static double Gib(long bytes) => bytes / (1024.0 * 1024 * 1024);

    private static long Kilobytes(string line) =>
        long.Parse(line.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) * 1024;
}
