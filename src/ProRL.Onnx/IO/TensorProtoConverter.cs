using System.Runtime.InteropServices;
using Google.Protobuf;
using Onnx;
using ProRL.Onnx.Tensors;

namespace ProRL.Onnx.IO;

/// <summary>Converts between the protobuf TensorProto and <see cref="Tensor"/>, in memory (no external data).</summary>
public static class TensorProtoConverter
{
    public static TensorProto ToProto(Tensor tensor)
    {
        var proto = new TensorProto { Name = tensor.Name, DataType = (int)tensor.DataType, RawData = ByteString.CopyFrom(tensor.Data) };
        proto.Dims.AddRange(tensor.Dims);
        return proto;
    }

    /// <summary>
    /// Reads an in-memory TensorProto (raw_data or the typed repeated fields). <paramref name="context"/> names the
    /// file for error messages. External data must be resolved by the caller (see <see cref="OnnxModelIO"/>).
    /// </summary>
    public static Tensor FromProto(TensorProto proto, string context = "")
    {
        var type = TensorDataTypes.FromOnnx(proto.DataType, proto.Name);
        var dims = proto.Dims.ToArray();
        if (proto.DataLocation == TensorProto.Types.DataLocation.External)
            throw new OnnxFormatException($"{context}tensor '{proto.Name}' keeps its data in an external file; load the model with OnnxModelIO.Load.");
        long count = Tensor.ElementCount(dims);
        byte[] data;
        if (!proto.RawData.IsEmpty || count == 0)
        {
            data = proto.RawData.ToByteArray();
        }
        else
        {
            data = type switch
            {
                TensorDataType.Float => Bytes(proto.FloatData.ToArray()),
                TensorDataType.Double => Bytes(proto.DoubleData.ToArray()),
                TensorDataType.Int64 => Bytes(proto.Int64Data.ToArray()),
                TensorDataType.Int32 => Bytes(proto.Int32Data.ToArray()),
                // The spec stores these narrow types one element per int32_data entry.
                TensorDataType.Float16 or TensorDataType.BFloat16 => Bytes(proto.Int32Data.Select(v => (ushort)v).ToArray()),
                TensorDataType.Bool or TensorDataType.UInt8 or TensorDataType.Int8 => proto.Int32Data.Select(v => (byte)v).ToArray(),
                _ => throw new OnnxFormatException($"{context}tensor '{proto.Name}': unsupported storage for {type}."),
            };
        }
        long expected = count * type.SizeOf();
        if (data.LongLength != expected)
            throw new OnnxFormatException(
                $"{context}tensor '{proto.Name}' holds {data.LongLength} bytes but its shape [{string.Join(",", dims)}] of {type} needs {expected}.");
        return new Tensor(proto.Name, type, dims, data);
    }

    private static byte[] Bytes<T>(T[] values) where T : unmanaged => MemoryMarshal.AsBytes(values.AsSpan()).ToArray();
}
