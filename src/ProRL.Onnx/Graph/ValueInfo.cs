using ProRL.Onnx.Tensors;

namespace ProRL.Onnx.Graph;

/// <summary>A dimension: a fixed size, a symbolic name ("batch_size"), or unknown (both null).</summary>
public readonly record struct Dim(long? Value, string? Param)
{
    public static implicit operator Dim(long value) => new(value, null);
    public static implicit operator Dim(string param) => new(null, param);
    public override string ToString() => Value?.ToString() ?? Param ?? "?";
}

/// <summary>Name, element type and (possibly symbolic) shape of a graph input, output or intermediate value.</summary>
public sealed record ValueInfo(string Name, TensorDataType ElementType, Dim[]? Shape)
{
    public override string ToString() =>
        $"{Name}: {ElementType}[{(Shape is null ? "?" : string.Join(",", Shape))}]";
}
