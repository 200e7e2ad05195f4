using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace ProRL.Worker.RunDirectory;

/// <summary>
/// Framing of a chunk file: a header line <c>PRORL-CHUNK/1 {length} {sha256}\n</c>, then the payload. A chunk that was
/// cut short or altered fails <see cref="Decode"/> instead of feeding garbage to the trainer.
/// </summary>
public static class ChunkFile
{
    private const string Magic = "PRORL-CHUNK/1";
    private const int MaxHeaderBytes = 128;

    public static byte[] Encode(ReadOnlySpan<byte> payload)
    {
        var header = Encoding.ASCII.GetBytes(
            $"{Magic} {payload.Length.ToString(CultureInfo.InvariantCulture)} {Convert.ToHexStringLower(SHA256.HashData(payload))}\n");
        var bytes = new byte[header.Length + payload.Length];
        header.CopyTo(bytes, 0);
        payload.CopyTo(bytes.AsSpan(header.Length));
        return bytes;
    }

    /// <summary>Returns the payload; throws <see cref="RunDirectoryException"/> naming <paramref name="path"/> when invalid.</summary>
    public static byte[] Decode(ReadOnlySpan<byte> bytes, string path)
    {
        int newline = bytes[..Math.Min(bytes.Length, MaxHeaderBytes)].IndexOf((byte)'\n');
        if (newline < 0) throw new RunDirectoryException($"{path}: not a chunk file (no header line).");
        var parts = Encoding.ASCII.GetString(bytes[..newline]).Split(' ');
        if (parts.Length != 3 || parts[0] != Magic || !int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var length))
            throw new RunDirectoryException($"{path}: not a chunk file (bad header).");
        var payload = bytes[(newline + 1)..];
        if (payload.Length != length)
            throw new RunDirectoryException($"{path}: chunk is truncated or padded ({payload.Length} payload bytes, header says {length}).");
        if (!string.Equals(Convert.ToHexStringLower(SHA256.HashData(payload)), parts[2], StringComparison.Ordinal))
            throw new RunDirectoryException($"{path}: chunk payload does not match its SHA-256.");
        return payload.ToArray();
    }
}
