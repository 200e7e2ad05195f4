using System.Runtime.InteropServices;

namespace ProRL.Onnx.Tensors;

/// <summary>
/// A named, dense, little-endian tensor: the unit the IR, the ONNX files and safetensors exchange.
/// Data is kept as raw bytes in the tensor's own element type so that load → save is bit-exact.
/// </summary>
public sealed class Tensor
{
    public Tensor(string name, TensorDataType dataType, long[] dims, byte[] data)
    {
        ArgumentNullException.ThrowIfNull(name);
        long expected = ElementCount(dims) * dataType.SizeOf();
        if (data.LongLength != expected)
            throw new ArgumentException(
                $"Tensor '{name}': {data.LongLength} bytes of data for shape [{string.Join(",", dims)}] of {dataType} (expected {expected}).");
        Name = name;
        DataType = dataType;
        Dims = dims;
        Data = data;
    }

    public string Name { get; set; }
    public TensorDataType DataType { get; }
    public long[] Dims { get; }
    public byte[] Data { get; }
    public long ElementCount() => ElementCount(Dims);

    public static long ElementCount(IReadOnlyList<long> dims)
    {
        long n = 1;
        foreach (var d in dims)
        {
            if (d < 0) throw new ArgumentException($"Negative dimension {d} in a tensor shape.");
            n = checked(n * d);
        }
        return n;
    }

    public Span<T> AsSpan<T>() where T : unmanaged => MemoryMarshal.Cast<byte, T>(Data.AsSpan());

    public static Tensor FromArray<T>(string name, TensorDataType dataType, long[] dims, ReadOnlySpan<T> values) where T : unmanaged
    {
        var bytes = MemoryMarshal.AsBytes(values).ToArray();
        return new Tensor(name, dataType, dims, bytes);
    }

    public static Tensor FromFloats(string name, long[] dims, ReadOnlySpan<float> values) => FromArray(name, TensorDataType.Float, dims, values);
    public static Tensor FromInt64s(string name, long[] dims, ReadOnlySpan<long> values) => FromArray(name, TensorDataType.Int64, dims, values);
    public static Tensor FromInt32s(string name, long[] dims, ReadOnlySpan<int> values) => FromArray(name, TensorDataType.Int32, dims, values);
    public static Tensor Scalar(string name, float value) => FromFloats(name, [], [value]);
    public static Tensor Scalar(string name, long value) => FromInt64s(name, [], [value]);

    /// <summary>Values as float32, widening fp16/bf16 (and narrowing fp64).</summary>
    public float[] ToFloats()
    {
        var result = new float[ElementCount()];
        switch (DataType)
        {
            case TensorDataType.Float: AsSpan<float>().CopyTo(result); break;
            case TensorDataType.Float16:
                var h = AsSpan<Half>();
                for (int i = 0; i < result.Length; i++) result[i] = (float)h[i];
                break;
            case TensorDataType.BFloat16:
                var b = AsSpan<ushort>();
                for (int i = 0; i < result.Length; i++) result[i] = BFloat16Bits.ToSingle(b[i]);
                break;
            case TensorDataType.Double:
                var d = AsSpan<double>();
                for (int i = 0; i < result.Length; i++) result[i] = (float)d[i];
                break;
            default: throw new InvalidOperationException($"Tensor '{Name}' of type {DataType} is not floating point.");
        }
        return result;
    }

    /// <summary>A tensor of the given floating-point type holding <paramref name="values"/> (rounded to nearest even).</summary>
    public static Tensor FromFloats(string name, TensorDataType dataType, long[] dims, ReadOnlySpan<float> values)
    {
        switch (dataType)
        {
            case TensorDataType.Float: return FromFloats(name, dims, values);
            case TensorDataType.Float16:
                var h = new Half[values.Length];
                for (int i = 0; i < h.Length; i++) h[i] = (Half)values[i];
                return FromArray<Half>(name, dataType, dims, h);
            case TensorDataType.BFloat16:
                var b = new ushort[values.Length];
                for (int i = 0; i < b.Length; i++) b[i] = BFloat16Bits.FromSingle(values[i]);
                return FromArray<ushort>(name, dataType, dims, b);
            case TensorDataType.Double:
                var d = new double[values.Length];
                for (int i = 0; i < d.Length; i++) d[i] = values[i];
                return FromArray<double>(name, dataType, dims, d);
            default: throw new ArgumentException($"Tensor '{name}': {dataType} is not a floating-point type.");
        }
    }

    public long[] ToInt64s() => DataType switch
    {
        TensorDataType.Int64 => AsSpan<long>().ToArray(),
        TensorDataType.Int32 => Array.ConvertAll(AsSpan<int>().ToArray(), v => (long)v),
        _ => throw new InvalidOperationException($"Tensor '{Name}' of type {DataType} is not an integer tensor."),
    };

    public Tensor WithName(string name) => new(name, DataType, Dims, Data);

    public override string ToString() => $"{Name}: {DataType}[{string.Join(",", Dims)}]";
}

/// <summary>bfloat16 ↔ float32 (the upper half of an IEEE float, rounded to nearest even).</summary>
public static class BFloat16Bits
{
    public static float ToSingle(ushort bits) => BitConverter.Int32BitsToSingle(bits << 16);

    public static ushort FromSingle(float value)
    {
        if (float.IsNaN(value)) return 0x7FC0;
        uint bits = BitConverter.SingleToUInt32Bits(value);
        uint rounding = 0x7FFF + ((bits >> 16) & 1);
        return (ushort)((bits + rounding) >> 16);
    }
}
