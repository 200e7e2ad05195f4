namespace ProRL.Onnx.Tensors;

/// <summary>ONNX element types (values are TensorProto.DataType's). Only those the project reads or writes.</summary>
public enum TensorDataType
{
    Undefined = 0,
    Float = 1,
    UInt8 = 2,
    Int8 = 3,
    Int32 = 6,
    Int64 = 7,
    Bool = 9,
    Float16 = 10,
    Double = 11,
    BFloat16 = 16,
}

public static class TensorDataTypes
{
    /// <summary>Bytes per element; throws for types the project does not support.</summary>
    public static int SizeOf(this TensorDataType type) => type switch
    {
        TensorDataType.Float or TensorDataType.Int32 => 4,
        TensorDataType.Int64 or TensorDataType.Double => 8,
        TensorDataType.Float16 or TensorDataType.BFloat16 => 2,
        TensorDataType.UInt8 or TensorDataType.Int8 or TensorDataType.Bool => 1,
        _ => throw new NotSupportedException($"ONNX element type {type} is not supported."),
    };

    public static bool IsFloatingPoint(this TensorDataType type) =>
        type is TensorDataType.Float or TensorDataType.Float16 or TensorDataType.BFloat16 or TensorDataType.Double;

    /// <summary>Maps a raw TensorProto.data_type to the enum, naming the tensor when the type is unsupported.</summary>
    public static TensorDataType FromOnnx(int value, string tensorName)
    {
        var type = (TensorDataType)value;
        if (!Enum.IsDefined(type) || type == TensorDataType.Undefined)
            throw new NotSupportedException($"Tensor '{tensorName}' has ONNX element type {value}, which ProRL.Onnx does not support.");
        return type;
    }

    /// <summary>The safetensors dtype string ("F32", "BF16", ...).</summary>
    public static string ToSafetensors(this TensorDataType type) => type switch
    {
        TensorDataType.Float => "F32",
        TensorDataType.Float16 => "F16",
        TensorDataType.BFloat16 => "BF16",
        TensorDataType.Double => "F64",
        TensorDataType.Int64 => "I64",
        TensorDataType.Int32 => "I32",
        TensorDataType.Int8 => "I8",
        TensorDataType.UInt8 => "U8",
        TensorDataType.Bool => "BOOL",
        _ => throw new NotSupportedException($"Element type {type} has no safetensors name."),
    };

    public static TensorDataType FromSafetensors(string dtype) => dtype switch
    {
        "F32" => TensorDataType.Float,
        "F16" => TensorDataType.Float16,
        "BF16" => TensorDataType.BFloat16,
        "F64" => TensorDataType.Double,
        "I64" => TensorDataType.Int64,
        "I32" => TensorDataType.Int32,
        "I8" => TensorDataType.Int8,
        "U8" => TensorDataType.UInt8,
        "BOOL" => TensorDataType.Bool,
        _ => throw new NotSupportedException($"safetensors dtype '{dtype}' is not supported."),
    };
}
