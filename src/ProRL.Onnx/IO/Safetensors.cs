using System.Buffers.Binary;
using System.Text;
using System.Text.Json;
using ProRL.Onnx.Tensors;

namespace ProRL.Onnx.IO;

/// <summary>
/// The safetensors format: an 8-byte little-endian header length, a JSON header mapping each tensor name to
/// {dtype, shape, data_offsets [begin, end)} relative to the data section (plus an optional "__metadata__" map of
/// strings), then the tensors' bytes back to back.
/// </summary>
public static class Safetensors
{
    private const string MetadataKey = "__metadata__";
    private const long MaxHeaderBytes = 100L << 20;

    public static void Save(string path, IEnumerable<Tensor> tensors, IReadOnlyDictionary<string, string>? metadata = null) =>
        AtomicFile.Write(path, stream => Write(stream, tensors, metadata));

    /// <summary>Saves tensors whose bytes each source writes itself (e.g. straight from native memory, with no managed copy).</summary>
    public static void Save(string path, IEnumerable<SafetensorsSource> sources, IReadOnlyDictionary<string, string>? metadata = null) =>
        AtomicFile.Write(path, stream => Write(stream, sources, metadata));

    public static void Write(Stream stream, IEnumerable<Tensor> tensors, IReadOnlyDictionary<string, string>? metadata = null) =>
        Write(stream, tensors.Select(t => new SafetensorsSource(t.Name, t.DataType, t.Dims, t.Data.LongLength, s => s.Write(t.Data))), metadata);

    public static void Write(Stream stream, IEnumerable<SafetensorsSource> sources, IReadOnlyDictionary<string, string>? metadata = null)
    {
        var list = sources.ToList();
        var names = new HashSet<string>(StringComparer.Ordinal);
        using var json = new MemoryStream();
        using (var w = new Utf8JsonWriter(json))
        {
            w.WriteStartObject();
            if (metadata is { Count: > 0 })
            {
                w.WriteStartObject(MetadataKey);
                foreach (var (k, v) in metadata) w.WriteString(k, v);
                w.WriteEndObject();
            }
            long offset = 0;
            foreach (var t in list)
            {
                if (!names.Add(t.Name)) throw new ArgumentException($"Two tensors named '{t.Name}' in one safetensors file.");
                long expected = Tensor.ElementCount(t.Dims) * t.DataType.SizeOf();
                if (t.ByteLength != expected)
                    throw new ArgumentException($"Tensor '{t.Name}': {t.ByteLength} bytes for shape [{string.Join(",", t.Dims)}] of {t.DataType} (expected {expected}).");
                w.WriteStartObject(t.Name);
                w.WriteString("dtype", t.DataType.ToSafetensors());
                w.WriteStartArray("shape");
                foreach (var d in t.Dims) w.WriteNumberValue(d);
                w.WriteEndArray();
                w.WriteStartArray("data_offsets");
                w.WriteNumberValue(offset);
                w.WriteNumberValue(offset + t.ByteLength);
                w.WriteEndArray();
                w.WriteEndObject();
                offset += t.ByteLength;
            }
            w.WriteEndObject();
        }
        // Pad the header with spaces to a multiple of 8 so that the data section is aligned.
        int pad = (int)((8 - json.Length % 8) % 8);
        for (int i = 0; i < pad; i++) json.WriteByte((byte)' ');
        Span<byte> len = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(len, (ulong)json.Length);
        stream.Write(len);
        json.Position = 0;
        json.CopyTo(stream);
        foreach (var t in list)
        {
            long before = stream.CanSeek ? stream.Position : -1;
            t.WriteData(stream);
            if (before >= 0 && stream.Position - before != t.ByteLength)
                throw new InvalidOperationException($"Tensor '{t.Name}': its source wrote {stream.Position - before} bytes, not {t.ByteLength}.");
        }
    }

    public static SafetensorsFile Load(string path)
    {
        var fullPath = Path.GetFullPath(path);
        if (!File.Exists(fullPath)) throw new FileNotFoundException($"safetensors file '{fullPath}' does not exist.", fullPath);
        using var stream = File.OpenRead(fullPath);
        return Read(stream, fullPath);
    }

    public static SafetensorsFile Read(Stream stream, string displayName)
    {
        var header = ReadHeader(stream, displayName);
        var tensors = new List<Tensor>(header.Entries.Count);
        foreach (var e in header.Entries)
        {
            var data = new byte[e.ByteLength];
            stream.Position = header.DataStart + e.Offset;
            stream.ReadExactly(data);
            tensors.Add(new Tensor(e.Name, e.DataType, e.Dims, data));
        }
        return new SafetensorsFile(tensors, header.Metadata);
    }

    /// <summary>
    /// The header alone, every entry checked against the file's length, so that a reader can then stream each
    /// tensor's bytes (at <see cref="SafetensorsHeader.DataStart"/> + offset) straight into memory of its own.
    /// </summary>
    public static SafetensorsHeader ReadHeader(Stream stream, string displayName)
    {
        long fileLength = stream.Length;
        Span<byte> len = stackalloc byte[8];
        if (fileLength < 8) throw new OnnxFormatException($"'{displayName}' is too short to be a safetensors file ({fileLength} bytes).");
        stream.Position = 0;
        stream.ReadExactly(len);
        ulong headerLength = BinaryPrimitives.ReadUInt64LittleEndian(len);
        if (headerLength > (ulong)MaxHeaderBytes || 8 + (long)headerLength > fileLength)
            throw new OnnxFormatException($"'{displayName}': safetensors header length {headerLength} exceeds the file ({fileLength} bytes): truncated or not safetensors.");
        var header = new byte[headerLength];
        stream.ReadExactly(header);
        long dataStart = 8 + (long)headerLength;
        long dataLength = fileLength - dataStart;

        JsonDocument doc;
        try { doc = JsonDocument.Parse(header); }
        catch (JsonException e) { throw new OnnxFormatException($"'{displayName}': the safetensors header is not valid JSON ({e.Message}).", e); }

        var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
        var entries = new List<SafetensorsEntry>();
        using (doc)
        {
            foreach (var entry in doc.RootElement.EnumerateObject())
            {
                if (entry.Name == MetadataKey)
                {
                    foreach (var m in entry.Value.EnumerateObject()) metadata[m.Name] = m.Value.GetString() ?? "";
                    continue;
                }
                try
                {
                    var type = TensorDataTypes.FromSafetensors(entry.Value.GetProperty("dtype").GetString() ?? "");
                    var dims = entry.Value.GetProperty("shape").EnumerateArray().Select(d => d.GetInt64()).ToArray();
                    var offsets = entry.Value.GetProperty("data_offsets").EnumerateArray().Select(d => d.GetInt64()).ToArray();
                    if (offsets.Length != 2 || offsets[0] < 0 || offsets[1] < offsets[0])
                        throw new OnnxFormatException($"'{displayName}': tensor '{entry.Name}' has invalid data_offsets.");
                    if (offsets[1] > dataLength)
                        throw new OnnxFormatException(
                            $"'{displayName}': tensor '{entry.Name}' ends at byte {offsets[1]} of a data section of {dataLength} bytes (truncated file).");
                    long expected = Tensor.ElementCount(dims) * type.SizeOf();
                    if (offsets[1] - offsets[0] != expected)
                        throw new OnnxFormatException(
                            $"'{displayName}': tensor '{entry.Name}' spans {offsets[1] - offsets[0]} bytes but shape [{string.Join(",", dims)}] of {type} needs {expected}.");
                    entries.Add(new SafetensorsEntry(entry.Name, type, dims, offsets[0], expected));
                }
                catch (Exception e) when (e is KeyNotFoundException or InvalidOperationException or NotSupportedException or FormatException)
                {
                    throw new OnnxFormatException($"'{displayName}': tensor '{entry.Name}' has a malformed header entry ({e.Message}).", e);
                }
            }
        }
        return new SafetensorsHeader(entries, metadata, dataStart);
    }
}

/// <summary>A tensor to write: its header fields, and a callback that writes exactly <see cref="ByteLength"/> bytes.</summary>
public sealed record SafetensorsSource(string Name, TensorDataType DataType, long[] Dims, long ByteLength, Action<Stream> WriteData);

/// <summary>One tensor of a safetensors header; <see cref="Offset"/> is relative to the data section.</summary>
public sealed record SafetensorsEntry(string Name, TensorDataType DataType, long[] Dims, long Offset, long ByteLength);

/// <summary>A parsed safetensors header: entries in file order, metadata, and where the data section starts.</summary>
public sealed record SafetensorsHeader(IReadOnlyList<SafetensorsEntry> Entries, IReadOnlyDictionary<string, string> Metadata, long DataStart);

/// <summary>The tensors of a safetensors file, in file order, and its string metadata.</summary>
public sealed record SafetensorsFile(IReadOnlyList<Tensor> Tensors, IReadOnlyDictionary<string, string> Metadata)
{
    public Tensor this[string name] =>
        Tensors.FirstOrDefault(t => t.Name == name) ?? throw new KeyNotFoundException($"No tensor named '{name}' in the safetensors file.");

    public Dictionary<string, Tensor> ToDictionary() => Tensors.ToDictionary(t => t.Name, StringComparer.Ordinal);
}
