using System.Globalization;
using Google.Protobuf;
using ProRL.Worker.Reporting.TensorBoard.Proto;

namespace ProRL.Worker.Reporting.TensorBoard;

/// <summary>
/// A TensorBoard log folder (<c>RUN/tensorboard/</c>) written by one process. Each process start opens a new event file
/// (a crash can tear only the tail of the previous one), and <see cref="LastStep"/> reports, per tag, the newest step the
/// folder's earlier files already hold, so that a restarted writer skips what it wrote before the crash.
/// </summary>
public sealed class EventFileLog : IDisposable
{
    public const string FileVersion = "brain.Event:2";
    public const string FilePrefix = "events.out.tfevents.";

    private readonly Dictionary<string, long> _lastStep = new(StringComparer.Ordinal);
    private readonly FileStream _stream;

    private EventFileLog(string folder, string path)
    {
        Folder = folder;
        Path = path;
        _stream = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.Read);
    }

    public string Folder { get; }

    /// <summary>The event file this process writes.</summary>
    public string Path { get; }

    /// <summary>Reads back the folder's existing event files, then starts a new one.</summary>
    public static EventFileLog Open(string folder)
    {
        Directory.CreateDirectory(folder);
        var existing = EventFiles(folder);
        // TensorBoard reads the files of a folder in name order: the name starts with the time, then a counter breaks
        // ties between two starts within one second.
        var stamp = DateTimeOffset.UtcNow.ToUnixTimeSeconds().ToString("D10", CultureInfo.InvariantCulture);
        var host = new string(Environment.MachineName.Select(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' ? c : '_').ToArray());
        string path;
        int n = 0;
        do path = System.IO.Path.Combine(folder, $"{FilePrefix}{stamp}.{host}.{Environment.ProcessId}.{n++}");
        while (File.Exists(path));
        var log = new EventFileLog(folder, path);
        foreach (var file in existing)
            foreach (var e in ReadEvents(file))
                foreach (var v in e.Summary?.Value ?? [])
                    log.Remember(v.Tag, e.Step);
        log.Write(new Event { WallTime = Now(), FileVersion = FileVersion });
        return log;
    }

    /// <summary>The event files of a folder in the order TensorBoard reads them.</summary>
    public static IReadOnlyList<string> EventFiles(string folder) =>
        Directory.Exists(folder)
            ? Directory.EnumerateFiles(folder, FilePrefix + "*").Order(StringComparer.Ordinal).ToList()
            : [];

    /// <summary>The intact events of one file (see <see cref="TfRecord.ReadAll"/>).</summary>
    public static IReadOnlyList<Event> ReadEvents(string path)
    {
        byte[] bytes;
        using (var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete))
        {
            bytes = new byte[stream.Length];
            stream.ReadExactly(bytes);
        }
        var events = new List<Event>();
        foreach (var payload in TfRecord.ReadAll(bytes))
        {
            try
            {
                events.Add(Event.Parser.ParseFrom(payload));
            }
            catch (InvalidProtocolBufferException)
            {
                break;
            }
        }
        return events;
    }

    /// <summary>The newest step written for <paramref name="tag"/> by this or an earlier process; null when none.</summary>
    public long? LastStep(string tag) => _lastStep.TryGetValue(tag, out var s) ? s : null;

    /// <summary>The newest step over the tags that <paramref name="match"/> accepts; null when none.</summary>
    public long? LastStep(Func<string, bool> match)
    {
        long? last = null;
        foreach (var (tag, step) in _lastStep)
            if (match(tag) && (last is null || step > last)) last = step;
        return last;
    }

    public void WriteScalars(long step, double wallTime, IEnumerable<KeyValuePair<string, double>> values)
    {
        var summary = new Summary();
        foreach (var (tag, value) in values)
            summary.Value.Add(new Summary.Types.Value { Tag = tag, SimpleValue = (float)value });
        if (summary.Value.Count > 0) WriteSummary(step, wallTime, summary);
    }

    public void WriteHistogram(long step, double wallTime, string tag, IReadOnlyList<double> values, int buckets = 30)
    {
        if (values.Count == 0) return;
        var summary = new Summary();
        summary.Value.Add(new Summary.Types.Value { Tag = tag, Histo = Histogram(values, buckets) });
        WriteSummary(step, wallTime, summary);
    }

    /// <summary>A text summary, shown by TensorBoard's text dashboard (markdown).</summary>
    public void WriteText(long step, double wallTime, string tag, string text)
    {
        var tensor = new TensorProto { Dtype = DataType.DtString, TensorShape = new TensorShapeProto() };
        tensor.StringVal.Add(ByteString.CopyFromUtf8(text));
        var summary = new Summary();
        summary.Value.Add(new Summary.Types.Value
        {
            Tag = tag,
            Metadata = new SummaryMetadata { PluginData = new SummaryMetadata.Types.PluginData { PluginName = "text" } },
            Tensor = tensor,
        });
        WriteSummary(step, wallTime, summary);
    }

    /// <summary>Equal-width buckets between the smallest and largest value; bucket i counts (limit[i-1], limit[i]].</summary>
    public static HistogramProto Histogram(IReadOnlyList<double> values, int buckets)
    {
        double min = values.Min(), max = values.Max();
        var h = new HistogramProto { Min = min, Max = max, Num = values.Count, Sum = values.Sum(), SumSquares = values.Sum(v => v * v) };
        if (max == min) buckets = 1;
        double width = (max - min) / buckets;
        var counts = new double[buckets];
        foreach (var v in values)
        {
            int i = width > 0 ? (int)Math.Ceiling((v - min) / width) - 1 : 0;
            counts[Math.Clamp(i, 0, buckets - 1)]++;
        }
        for (int i = 0; i < buckets; i++)
        {
            h.BucketLimit.Add(i == buckets - 1 ? max : min + width * (i + 1));
            h.Bucket.Add(counts[i]);
        }
        return h;
    }

    public static double Now() => DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() / 1000.0;

    private void WriteSummary(long step, double wallTime, Summary summary)
    {
        Write(new Event { WallTime = wallTime, Step = step, Summary = summary });
        foreach (var v in summary.Value) Remember(v.Tag, step);
    }

    private void Write(Event e)
    {
        _stream.Write(TfRecord.Frame(e.ToByteArray()));
        // One record per step or event: flushing each keeps the file readable by TensorBoard while the run goes on.
        _stream.Flush(flushToDisk: true);
    }

    private void Remember(string tag, long step)
    {
        if (!_lastStep.TryGetValue(tag, out var last) || step > last) _lastStep[tag] = step;
    }

    public void Dispose() => _stream.Dispose();
}
