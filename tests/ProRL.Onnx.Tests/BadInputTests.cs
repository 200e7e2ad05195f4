using ProRL.Onnx.Graph;
using ProRL.Onnx.IO;
using ProRL.Onnx.Tensors;

namespace ProRL.Onnx.Tests;

public class BadInputTests
{
    private static (string dir, string model) SavedWithExternalData()
    {
        var dir = TestModels.TempDir();
        var src = Path.Combine(dir, "src.onnx");
        TestModels.Write(TestModels.SmallMlp(), src);
        var path = Path.Combine(dir, "model.onnx");
        OnnxModelIO.Save(OnnxModelIO.Load(src), path, new ExternalDataOptions("model.onnx.data", SizeThreshold: 0));
        return (dir, path);
    }

    [Fact]
    public void Truncated_model_file_names_the_file()
    {
        var (_, path) = SavedWithExternalData();
        var bytes = File.ReadAllBytes(path);
        File.WriteAllBytes(path, bytes[..(bytes.Length / 2)]);
        var e = Assert.Throws<OnnxFormatException>(() => OnnxModelIO.Load(path));
        Assert.Contains(path, e.Message);
        Assert.Contains("truncated", e.Message);
    }

    [Fact]
    public void Missing_model_file_names_the_file()
    {
        var path = Path.Combine(TestModels.TempDir(), "nope.onnx");
        var e = Assert.Throws<FileNotFoundException>(() => OnnxModelIO.Load(path));
        Assert.Contains(path, e.Message);
    }

    [Fact]
    public void Missing_external_data_file_names_file_and_tensor()
    {
        var (dir, path) = SavedWithExternalData();
        File.Delete(Path.Combine(dir, "model.onnx.data"));
        var e = Assert.Throws<OnnxFormatException>(() => OnnxModelIO.Load(path));
        Assert.Contains("model.onnx.data", e.Message);
        Assert.Contains("tensor 'W'", e.Message);
        Assert.Contains("does not exist", e.Message);
    }

    [Fact]
    public void Truncated_external_data_names_the_tensor_past_the_end()
    {
        var (dir, path) = SavedWithExternalData();
        var data = Path.Combine(dir, "model.onnx.data");
        var bytes = File.ReadAllBytes(data);
        File.WriteAllBytes(data, bytes[..(bytes.Length - 10)]);
        var e = Assert.Throws<OnnxFormatException>(() => OnnxModelIO.Load(path));
        Assert.Contains("tensor 'W2'", e.Message); // the last tensor in the file is the one cut short
        Assert.Contains("truncated file or bad offset", e.Message);
    }

    [Fact]
    public void Offset_past_the_end_names_the_tensor()
    {
        var (_, path) = SavedWithExternalData();
        var proto = global::Onnx.ModelProto.Parser.ParseFrom(File.ReadAllBytes(path));
        var b = proto.Graph.Initializer.Single(t => t.Name == "b");
        b.ExternalData.Single(e => e.Key == "offset").Value = "1000000";
        File.WriteAllBytes(path, Google.Protobuf.MessageExtensions.ToByteArray(proto));
        var e = Assert.Throws<OnnxFormatException>(() => OnnxModelIO.Load(path));
        Assert.Contains("tensor 'b'", e.Message);
        Assert.Contains("1000000", e.Message);
    }

    [Fact]
    public void External_location_outside_the_model_folder_is_refused()
    {
        var (_, path) = SavedWithExternalData();
        var proto = global::Onnx.ModelProto.Parser.ParseFrom(File.ReadAllBytes(path));
        proto.Graph.Initializer[0].ExternalData.Single(e => e.Key == "location").Value = "../../etc/passwd";
        File.WriteAllBytes(path, Google.Protobuf.MessageExtensions.ToByteArray(proto));
        var e = Assert.Throws<OnnxFormatException>(() => OnnxModelIO.Load(path));
        Assert.Contains("outside the model folder", e.Message);
    }

    [Fact]
    public void Tensor_with_wrong_byte_count_names_the_tensor()
    {
        var proto = new global::Onnx.TensorProto { Name = "w", DataType = 1, RawData = Google.Protobuf.ByteString.CopyFrom(new byte[10]) };
        proto.Dims.Add(3);
        var e = Assert.Throws<OnnxFormatException>(() => TensorProtoConverter.FromProto(proto));
        Assert.Contains("'w'", e.Message);
        Assert.Contains("needs 12", e.Message);
    }

    [Fact]
    public void Unsupported_element_type_names_the_tensor()
    {
        var proto = new global::Onnx.TensorProto { Name = "s", DataType = 8 }; // STRING
        var e = Assert.Throws<NotSupportedException>(() => TensorProtoConverter.FromProto(proto));
        Assert.Contains("'s'", e.Message);
    }

    [Fact]
    public void Save_leaves_no_temporary_files_behind()
    {
        var (dir, _) = SavedWithExternalData();
        Assert.Empty(Directory.GetFiles(dir, "*.tmp-*").Concat(Directory.GetFiles(dir, ".*tmp-*")));
    }
}
