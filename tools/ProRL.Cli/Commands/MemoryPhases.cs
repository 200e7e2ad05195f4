using System.Diagnostics;
using System.Globalization;
using ProRL.Training.Session;

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

    public static string Gib(long bytes) => ProcessMemory.Gib(bytes).ToString("F2", CultureInfo.InvariantCulture) + " GiB";

    private static (long Rss, long Peak) ReadStatus()
    {
        var reading = ProcessMemory.Read();
        return (reading.RssBytes, reading.PeakBytes);
    }

    private static bool ResetHighWaterMark() => ProcessMemory.ResetPeak();
}
