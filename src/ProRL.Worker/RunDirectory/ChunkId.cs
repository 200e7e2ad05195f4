using System.Globalization;
using System.Text;

namespace ProRL.Worker.RunDirectory;

/// <summary>
/// The unique, sortable name of a chunk: <c>{UTC time}-{writer}-{sequence}</c>. The writer part names the host and
/// process, so writers on different hosts sharing a filesystem never collide; ids sort by creation time.
/// </summary>
public readonly record struct ChunkId
{
    public ChunkId(string value)
    {
        if (!IsValid(value)) throw new ArgumentException($"'{value}' is not a valid chunk id (letters, digits, '.', '-', '_').", nameof(value));
        Value = value;
    }

    public string Value { get; }

    public override string ToString() => Value;

    public static bool IsValid(string value) =>
        value.Length is > 0 and <= 200 && value[0] != '.' && value.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.');

    public static ChunkId New(string writerId, long sequence, DateTimeOffset? now = null)
    {
        var time = (now ?? DateTimeOffset.UtcNow).UtcDateTime.ToString("yyyyMMdd'T'HHmmssfffffff", CultureInfo.InvariantCulture);
        return new ChunkId($"{time}-{writerId}-{sequence.ToString("D6", CultureInfo.InvariantCulture)}");
    }
}

/// <summary>Names that identify one writer or consumer process among hosts: role, host, process id and a random tag.</summary>
public static class ProcessIdentity
{
    public static string Create(string role)
    {
        var host = Sanitize(Environment.MachineName);
        var random = Guid.NewGuid().ToString("N")[..6];
        return $"{Sanitize(role)}.{host}.{Environment.ProcessId}.{random}";
    }

    /// <summary>A stable identity across restarts (for consumers whose claims must survive a crash): role and host.</summary>
    public static string Stable(string role) => $"{Sanitize(role)}.{Sanitize(Environment.MachineName)}";

    public static string Sanitize(string text)
    {
        var builder = new StringBuilder(text.Length);
        foreach (var c in text) builder.Append(char.IsAsciiLetterOrDigit(c) || c == '_' ? c : '_');
        return builder.Length == 0 ? "_" : builder.ToString();
    }
}
