using System.Buffers.Binary;
using System.Text;
using System.Text.Json;
using ProRL.Onnx.IO;
using ProRL.Onnx.Tensors;

namespace ProRL.Onnx.Tests;

public class SafetensorsTests
{
    [Fact]
    public void Round_trip_keeps_names_types_shapes_bytes_and_metadata()
    {
        var tensors = new[]
        {
            Tensor.FromFloats("a.weight", [2, 3], [1, 2, 3, 4, 5, 6]),
            Tensor.FromFloats("b", TensorDataType.BFloat16, [2], [0.5f, -1f]),
            Tensor.FromInt64s("step", [], [42]),
        };
        var path = Path.Combine(TestModels.TempDir(), "x.safetensors");
        Safetensors.Save(path, tensors, new Dictionary<string, string> { ["format"] = "pt" });
        var file = Safetensors.Load(path);
        Assert.Equal("pt", file.Metadata["format"]);
        Assert.Equal(tensors.Select(t => t.ToString()), file.Tensors.Select(t => t.ToString()));
        for (int i = 0; i < tensors.Length; i++) Assert.Equal(tensors[i].Data, file.Tensors[i].Data);
    }

    [Fact]
    public void Layout_matches_the_format_byte_for_byte()
    {
        // Independent decoding of what we wrote: u64 header size, JSON header, data at the declared offsets.
        using var ms = new MemoryStream();
        Safetensors.Write(ms, [Tensor.FromFloats("x", [2], [1f, 2f]), Tensor.FromInt32s("y", [1], [7])]);
        var bytes = ms.ToArray();
        var n = (int)BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        Assert.Equal(0, (8 + n) % 8);
        using var header = JsonDocument.Parse(Encoding.UTF8.GetString(bytes, 8, n));
        var x = header.RootElement.GetProperty("x");
        Assert.Equal("F32", x.GetProperty("dtype").GetString());
        Assert.Equal(new long[] { 0, 8 }, x.GetProperty("data_offsets").EnumerateArray().Select(e => e.GetInt64()));
        var y = header.RootElement.GetProperty("y");
        Assert.Equal("I32", y.GetProperty("dtype").GetString());
        Assert.Equal(new long[] { 8, 12 }, y.GetProperty("data_offsets").EnumerateArray().Select(e => e.GetInt64()));
        Assert.Equal(2f, BitConverter.ToSingle(bytes, 8 + n + 4));
        Assert.Equal(7, BitConverter.ToInt32(bytes, 8 + n + 8));
        Assert.Equal(8 + n + 12, bytes.Length);
    }

    [Fact]
    public void Truncated_file_names_file_and_tensor()
    {
        var path = Path.Combine(TestModels.TempDir(), "t.safetensors");
        Safetensors.Save(path, [Tensor.FromFloats("w", [4], [1, 2, 3, 4])]);
        var bytes = File.ReadAllBytes(path);
        File.WriteAllBytes(path, bytes[..^4]);
        var e = Assert.Throws<OnnxFormatException>(() => Safetensors.Load(path));
        Assert.Contains(path, e.Message);
        Assert.Contains("'w'", e.Message);
    }

    [Fact]
    public void Garbage_header_is_a_clear_error()
    {
        var path = Path.Combine(TestModels.TempDir(), "g.safetensors");
        File.WriteAllBytes(path, [.. BitConverter.GetBytes(1L << 40), 1, 2, 3]);
        var e = Assert.Throws<OnnxFormatException>(() => Safetensors.Load(path));
        Assert.Contains("header length", e.Message);
    }
}
