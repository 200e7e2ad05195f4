using Google.Protobuf;
using Onnx;

namespace ProRL.Onnx.Graph;

/// <summary>One operator application. Inputs and outputs are value names; "" marks an omitted optional input.</summary>
public sealed class Node
{
    public Node(string opType, IEnumerable<string> inputs, IEnumerable<string> outputs, string name = "", string domain = "")
    {
        OpType = opType;
        Inputs = [.. inputs];
        Outputs = [.. outputs];
        Name = name;
        Domain = domain;
    }

    public string Name { get; set; }
    public string OpType { get; set; }
    /// <summary>"" (or "ai.onnx") for standard operators, "com.microsoft" for ONNX Runtime's contrib ops.</summary>
    public string Domain { get; set; }
    public List<string> Inputs { get; }
    public List<string> Outputs { get; }
    public List<AttributeProto> Attributes { get; } = [];

    public bool IsStandard => Domain is "" or "ai.onnx";

    /// <summary>The input at <paramref name="index"/>, or null when absent or omitted ("").</summary>
    public string? Input(int index) => index < Inputs.Count && Inputs[index].Length > 0 ? Inputs[index] : null;

    public AttributeProto? Attribute(string name) => Attributes.FirstOrDefault(a => a.Name == name);

    public long GetInt(string name, long fallback) => Attribute(name) is { } a ? a.I : fallback;
    public float GetFloat(string name, float fallback) => Attribute(name) is { } a ? a.F : fallback;
    public string GetString(string name, string fallback) => Attribute(name) is { } a ? a.S.ToStringUtf8() : fallback;
    public long[]? GetInts(string name) => Attribute(name) is { } a ? [.. a.Ints] : null;
    public float[]? GetFloats(string name) => Attribute(name) is { } a ? [.. a.Floats] : null;

    public Node SetAttribute(AttributeProto attribute)
    {
        Attributes.RemoveAll(a => a.Name == attribute.Name);
        Attributes.Add(attribute);
        return this;
    }

    public override string ToString() =>
        $"{(Name.Length > 0 ? Name : "<unnamed>")} ({(IsStandard ? "" : Domain + ".")}{OpType}: {string.Join(", ", Inputs)} -> {string.Join(", ", Outputs)})";
}

/// <summary>Short constructors for node attributes, named like the ONNX spec's attribute types.</summary>
public static class Attr
{
    public static AttributeProto Int(string name, long value) =>
        new() { Name = name, Type = AttributeProto.Types.AttributeType.Int, I = value };

    public static AttributeProto Float(string name, float value) =>
        new() { Name = name, Type = AttributeProto.Types.AttributeType.Float, F = value };

    public static AttributeProto String(string name, string value) =>
        new() { Name = name, Type = AttributeProto.Types.AttributeType.String, S = ByteString.CopyFromUtf8(value) };

    public static AttributeProto Ints(string name, params long[] values)
    {
        var a = new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Ints };
        a.Ints.AddRange(values);
        return a;
    }

    public static AttributeProto Floats(string name, params float[] values)
    {
        var a = new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Floats };
        a.Floats.AddRange(values);
        return a;
    }

    public static AttributeProto Tensor(string name, Tensors.Tensor value) =>
        new() { Name = name, Type = AttributeProto.Types.AttributeType.Tensor, T = IO.TensorProtoConverter.ToProto(value) };
}
