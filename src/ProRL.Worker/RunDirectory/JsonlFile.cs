using System.Collections.Concurrent;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace ProRL.Worker.RunDirectory;

/// <summary>Records read from a JSONL file, the line numbers (1-based) that were not valid JSON objects, and where reading stopped.</summary>
public sealed record JsonlReadResult(IReadOnlyList<JsonObject> Records, IReadOnlyList<int> SkippedLines, long NextOffset);

/// <summary>
/// An append-only file of one JSON object per line (<c>metrics.jsonl</c>, <c>events.jsonl</c>). Each record is appended
/// with one write and flushed to disk. A crash can leave a torn last line: readers skip it, and the next append starts
/// on a fresh line so that the torn fragment never glues onto a good record.
/// </summary>
public sealed class JsonlFile(string path)
{
    private static readonly ConcurrentDictionary<string, object> Locks = new(StringComparer.Ordinal);

    public string Path { get; } = System.IO.Path.GetFullPath(path);

    public void Append(JsonObject record) => AppendLine(record.ToJsonString(RunJson.Compact));

    public void Append<T>(T record) => AppendLine(JsonSerializer.Serialize(record, RunJson.Compact));

    private void AppendLine(string json)
    {
        var gate = Locks.GetOrAdd(Path, _ => new object());
        lock (gate)
        {
            Directory.CreateDirectory(System.IO.Path.GetDirectoryName(Path)!);
            var prefix = EndsWithTornLine() ? "\n" : "";
            var bytes = Encoding.UTF8.GetBytes(prefix + json + "\n");
            using var stream = new FileStream(Path, FileMode.Append, FileAccess.Write, FileShare.ReadWrite | FileShare.Delete);
            stream.Write(bytes);
            stream.Flush(flushToDisk: true);
        }
    }

    private bool EndsWithTornLine()
    {
        if (!File.Exists(Path)) return false;
        using var stream = new FileStream(Path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        if (stream.Length == 0) return false;
        stream.Seek(-1, SeekOrigin.End);
        return stream.ReadByte() != '\n';
    }

    /// <summary>Every complete record; a torn last line and invalid lines are skipped (the latter reported).</summary>
    public JsonlReadResult ReadAll() => ReadFrom(0, firstLineNumber: 1);

    /// <summary>
    /// Records of the complete lines from <paramref name="offset"/> on (for following a file another process appends to);
    /// an unterminated last line is left for the next call. <see cref="JsonlReadResult.NextOffset"/> is where to continue.
    /// </summary>
    public JsonlReadResult ReadFrom(long offset, int firstLineNumber = 1)
    {
        if (!File.Exists(Path)) return new JsonlReadResult([], [], offset);
        byte[] bytes;
        using (var stream = new FileStream(Path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete))
        {
            if (offset > stream.Length) offset = 0; // the file was replaced by a shorter one: start over
            stream.Seek(offset, SeekOrigin.Begin);
            bytes = new byte[stream.Length - offset];
            stream.ReadExactly(bytes);
        }
        var records = new List<JsonObject>();
        var skipped = new List<int>();
        int start = 0, line = firstLineNumber;
        for (int newline; (newline = Array.IndexOf(bytes, (byte)'\n', start)) >= 0; start = newline + 1, line++)
        {
            var record = TryParse(bytes.AsSpan(start, newline - start));
            if (record is not null) records.Add(record);
            else if (newline > start) skipped.Add(line);
        }
        return new JsonlReadResult(records, skipped, offset + start);
    }

    private static JsonObject? TryParse(ReadOnlySpan<byte> line)
    {
        if (line.IsEmpty || line.Trim((byte)'\r').IsEmpty) return null;
        try
        {
            return JsonNode.Parse(line) as JsonObject;
        }
        catch (JsonException)
        {
            return null;
        }
    }
}

/// <summary>Follows a JSONL file another process appends to: each call returns the records completed since the last.</summary>
public sealed class JsonlFollower(JsonlFile file)
{
    private long _offset;

    public IReadOnlyList<JsonObject> ReadNew()
    {
        var result = file.ReadFrom(_offset);
        _offset = result.NextOffset;
        return result.Records;
    }
}
