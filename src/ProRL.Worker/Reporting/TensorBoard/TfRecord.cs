using System.Buffers.Binary;
using System.Numerics;

namespace ProRL.Worker.Reporting.TensorBoard;

/// <summary>
/// TFRecord framing, the container of TensorBoard event files: per record a little-endian uint64 length, the masked
/// CRC32C of those 8 bytes, the payload, and the masked CRC32C of the payload.
/// </summary>
public static class TfRecord
{
    private const uint MaskDelta = 0xa282ead8;

    /// <summary>CRC32C (Castagnoli), as TensorFlow computes it; BitOperations uses the SSE4.2/ARM instruction when present.</summary>
    public static uint Crc32C(ReadOnlySpan<byte> data)
    {
        uint crc = ~0u;
        while (data.Length >= 8)
        {
            crc = BitOperations.Crc32C(crc, BinaryPrimitives.ReadUInt64LittleEndian(data));
            data = data[8..];
        }
        foreach (var b in data) crc = BitOperations.Crc32C(crc, b);
        return ~crc;
    }

    /// <summary>TensorFlow stores CRCs rotated and offset, so that a CRC of data containing CRCs stays well distributed.</summary>
    public static uint MaskedCrc(ReadOnlySpan<byte> data)
    {
        uint crc = Crc32C(data);
        return unchecked(((crc >> 15) | (crc << 17)) + MaskDelta);
    }

    public static byte[] Frame(ReadOnlySpan<byte> payload)
    {
        var record = new byte[8 + 4 + payload.Length + 4];
        BinaryPrimitives.WriteUInt64LittleEndian(record, (ulong)payload.Length);
        BinaryPrimitives.WriteUInt32LittleEndian(record.AsSpan(8), MaskedCrc(record.AsSpan(0, 8)));
        payload.CopyTo(record.AsSpan(12));
        BinaryPrimitives.WriteUInt32LittleEndian(record.AsSpan(12 + payload.Length), MaskedCrc(payload));
        return record;
    }

    /// <summary>
    /// The payloads of the intact records of <paramref name="bytes"/>, in order. Reading stops at the first record that
    /// is truncated or fails a CRC: a crash can tear the last record, and nothing after a torn record is trusted.
    /// </summary>
    public static IReadOnlyList<byte[]> ReadAll(ReadOnlySpan<byte> bytes)
    {
        var records = new List<byte[]>();
        while (bytes.Length >= 12)
        {
            ulong length = BinaryPrimitives.ReadUInt64LittleEndian(bytes);
            if (BinaryPrimitives.ReadUInt32LittleEndian(bytes[8..]) != MaskedCrc(bytes[..8])) break;
            if (length > (ulong)(bytes.Length - 16)) break;
            var payload = bytes.Slice(12, (int)length);
            if (BinaryPrimitives.ReadUInt32LittleEndian(bytes[(12 + (int)length)..]) != MaskedCrc(payload)) break;
            records.Add(payload.ToArray());
            bytes = bytes[(16 + (int)length)..];
        }
        return records;
    }
}
