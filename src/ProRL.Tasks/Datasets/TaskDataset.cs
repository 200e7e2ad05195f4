using System.Collections;
using System.Text.Json;
using System.Text.Json.Nodes;
using Parquet.Serialization;
using ProRL.Tasks.Model;

namespace ProRL.Tasks.Datasets;

/// <summary>A row that could not be read: where it is and why. A skipped row never stops loading.</summary>
public sealed record SkippedRow(string File, long Row, string Reason)
{
    public override string ToString() => $"{File}:{Row}: {Reason}";
}

/// <summary>The items of one dataset file and the rows that were skipped.</summary>
public sealed record TaskDataset(string Name, IReadOnlyList<TaskItem> Items, IReadOnlyList<SkippedRow> Skipped)
{
    /// <summary>
    /// Reads a JSONL file, one task per line (blank lines ignored). Row numbers in <see cref="Skipped"/> are line numbers.
    /// </summary>
    public static TaskDataset LoadJsonl(string path, string? defaultDomain = null, Action<SkippedRow>? onSkipped = null)
    {
        using var reader = new StreamReader(path);
        return ReadJsonl(reader, path, defaultDomain, onSkipped);
    }

    public static TaskDataset ReadJsonl(TextReader reader, string name, string? defaultDomain = null, Action<SkippedRow>? onSkipped = null)
    {
        var rows = new List<(long, Func<JsonObject>)>();
        long lineNumber = 0;
        while (reader.ReadLine() is { } line)
        {
            lineNumber++;
            if (string.IsNullOrWhiteSpace(line)) continue;
            var text = line;
            rows.Add((lineNumber, () => JsonNode.Parse(text) as JsonObject ?? throw new FormatException("line is not a JSON object")));
        }
        return Build(name, rows, defaultDomain, onSkipped);
    }

    /// <summary>
    /// Reads a Parquet file (all row groups). Nested columns (lists, structs) become JSON, so the column mapping of
    /// <see cref="TaskJson.FromJson"/> applies. Row numbers in <see cref="Skipped"/> are 1-based.
    /// </summary>
    public static async Task<TaskDataset> LoadParquetAsync(string path, string? defaultDomain = null,
        Action<SkippedRow>? onSkipped = null, CancellationToken cancellationToken = default)
    {
        await using var stream = File.OpenRead(path);
        var result = await ParquetSerializer.DeserializeUntypedAsync(stream, cancellationToken: cancellationToken).ConfigureAwait(false);
        var rows = result.Data.Select((dict, i) => ((long)i + 1, (Func<JsonObject>)(() => ToJsonObject(dict)))).ToList();
        return Build(path, rows, defaultDomain, onSkipped);
    }

    /// <summary>Loads by extension: <c>.jsonl</c>/<c>.json</c> or <c>.parquet</c>.</summary>
    public static async Task<TaskDataset> LoadAsync(string path, string? defaultDomain = null, Action<SkippedRow>? onSkipped = null,
        CancellationToken cancellationToken = default)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"dataset file not found: {path}", path);
        return Path.GetExtension(path).ToLowerInvariant() switch
        {
            ".jsonl" or ".json" => LoadJsonl(path, defaultDomain, onSkipped),
            ".parquet" => await LoadParquetAsync(path, defaultDomain, onSkipped, cancellationToken).ConfigureAwait(false),
            var other => throw new ArgumentException($"dataset {path}: unsupported extension '{other}' (expected .jsonl or .parquet)", nameof(path)),
        };
    }

    private static TaskDataset Build(string name, IEnumerable<(long Row, Func<JsonObject> Read)> rows, string? defaultDomain,
        Action<SkippedRow>? onSkipped)
    {
        var items = new List<TaskItem>();
        var skipped = new List<SkippedRow>();
        var stem = Path.GetFileNameWithoutExtension(name);
        foreach (var (row, read) in rows)
        {
            try
            {
                items.Add(TaskJson.FromJson(read(), $"{stem}-{row}", defaultDomain));
            }
            catch (Exception ex) when (ex is FormatException or JsonException or InvalidOperationException)
            {
                var skip = new SkippedRow(name, row, ex.Message);
                skipped.Add(skip);
                onSkipped?.Invoke(skip);
            }
        }
        return new TaskDataset(name, items, skipped);
    }

    private static JsonObject ToJsonObject(IDictionary<string, object> row) =>
        new(row.Select(kv => KeyValuePair.Create(kv.Key, ToJsonNode(kv.Value))));

    private static JsonNode? ToJsonNode(object? value) => value switch
    {
        null => null,
        string s => JsonValue.Create(s),
        ReadOnlyMemory<char> m => JsonValue.Create(m.ToString()),
        byte[] bytes => JsonValue.Create(System.Text.Encoding.UTF8.GetString(bytes)),
        IDictionary<string, object> nested => ToJsonObject(nested),
        ReadOnlyMemory<byte> bytes => JsonValue.Create(System.Text.Encoding.UTF8.GetString(bytes.Span)),
        IDictionary dict => new JsonObject(dict.Keys.Cast<object>().Select(k => KeyValuePair.Create(k.ToString()!, ToJsonNode(dict[k])))),
        IEnumerable list => new JsonArray(list.Cast<object?>().Select(ToJsonNode).ToArray()),
        _ => JsonSerializer.SerializeToNode(value),
    };
}
