using System.Diagnostics;
using ProRL.Training.Session;

namespace ProRL.Worker.Trainer;

/// <summary>
/// Wall seconds and the process's peak resident memory of the named phases of a trainer step. Each <see cref="Lap"/>
/// closes the phase running since the last one: its time is added to the phase's total and, where the system can reset
/// the peak (Linux), the peak since the last lap raises the phase's peak. Peaks are the whole process's, so services that
/// share the process (rollouts in a single-process worker) count too.
/// </summary>
public sealed class PhaseMeter
{
    private readonly Stopwatch _watch = Stopwatch.StartNew();
    private readonly bool _peaks = ProcessMemory.ResetPeak();
    private readonly Dictionary<string, double> _seconds = new(StringComparer.Ordinal);
    private readonly Dictionary<string, long> _peakBytes = new(StringComparer.Ordinal);

    public IReadOnlyDictionary<string, double> Seconds => _seconds;
    /// <summary>Peak RSS per phase; empty where peaks cannot be reset.</summary>
    public IReadOnlyDictionary<string, long> PeakBytes => _peakBytes;

    /// <summary>Closes the phase since the last lap as <paramref name="phase"/> (null: a phase measured elsewhere).</summary>
    public void Lap(string? phase)
    {
        if (phase is not null)
        {
            _seconds[phase] = _seconds.GetValueOrDefault(phase) + _watch.Elapsed.TotalSeconds;
            if (_peaks) _peakBytes[phase] = Math.Max(_peakBytes.GetValueOrDefault(phase), ProcessMemory.Read().PeakBytes);
        }
        if (_peaks) ProcessMemory.ResetPeak();
        _watch.Restart();
    }

    /// <summary>Adds <paramref name="seconds"/> to a phase measured inside another one (and takes them from that one).</summary>
    public void Move(string from, string to, double seconds)
    {
        _seconds[from] = _seconds.GetValueOrDefault(from) - seconds;
        _seconds[to] = _seconds.GetValueOrDefault(to) + seconds;
    }

    /// <summary>Adds another meter's phases (the update's, measured by the updater) to this one's.</summary>
    public void Add(PhaseMeter other)
    {
        foreach (var (phase, seconds) in other._seconds) _seconds[phase] = _seconds.GetValueOrDefault(phase) + seconds;
        foreach (var (phase, bytes) in other._peakBytes) _peakBytes[phase] = Math.Max(_peakBytes.GetValueOrDefault(phase), bytes);
    }
}
