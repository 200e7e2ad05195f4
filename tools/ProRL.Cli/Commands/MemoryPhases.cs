using System.Diagnostics;
using System.Globalization;

namespace ProRL.Cli.Commands;

/// <summary>
/// Resident memory by phase of a benchmark: the RSS at the end of each phase, the peak RSS within it and the managed
/// heap. On Linux the kernel's high-water mark (VmHWM) is reset between phases (<c>/proc/self/clear_refs</c>), so each
/// peak is that phase's own; elsewhere each peak is the process's peak so far.
/// </summary>
internal sealed class MemoryPhases
{
    public sealed record Phase(string Name, long RssBytes, long PeakBytes, long ManagedBytes, double Seconds);

    private readonly List<Phase> _phases = [];
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly bool _perPhasePeaks;
    private readonly Action<Phase>? _onPhase;

    /// <param name="onPhase">Called as each phase ends (a run killed for memory still shows the phases before).</param>
    public MemoryPhases(Action<Phase>? onPhase = null)
    {
        _onPhase = onPhase;
        _perPhasePeaks = ResetHighWaterMark();
    }

    public IReadOnlyList<Phase> Phases => _phases;
    /// <summary>The process's peak RSS over every phase so far.</summary>
    public long PeakBytes => _phases.Count == 0 ? 0 : _phases.Max(p => p.PeakBytes);
    public bool PerPhasePeaks => _perPhasePeaks;

    /// <summary>Closes the phase that ends now.</summary>
    public void End(string name)
    {
        var (rss, peak) = ReadStatus();
        var phase = new Phase(name, rss, peak, GC.GetTotalMemory(forceFullCollection: false), _clock.Elapsed.TotalSeconds);
        _phases.Add(phase);
        _onPhase?.Invoke(phase);
        _clock.Restart();
        if (_perPhasePeaks) ResetHighWaterMark();
    }

    public static string Gib(long bytes) => (bytes / (1024.0 * 1024 * 1024)).ToString("F2", CultureInfo.InvariantCulture) + " GiB";

    private static (long Rss, long Peak) ReadStatus()
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
            return (rss, peak);
        }
        using var self = Process.GetCurrentProcess();
        return (self.WorkingSet64, self.PeakWorkingSet64);
    }

    private static long Kilobytes(string line) =>
        long.Parse(line.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) * 1024;

    /// <summary>Linux resets VmHWM to the current RSS when "5" is written to clear_refs.</summary>
    private static bool ResetHighWaterMark()
    {
        try
        {
            File.WriteAllText("/proc/self/clear_refs", "5");
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or NotSupportedException)
        {
            return false;
        }
    }
}
