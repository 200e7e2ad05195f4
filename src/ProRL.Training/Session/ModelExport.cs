using Google.Protobuf;
using Onnx;
using ProRL.Onnx.IO;
using ProRL.Onnx.Models;
using ProRL.Onnx.Tensors;

namespace ProRL.Training.Session;

/// <summary>
/// Writes trained weights into a copy of a GenAI model folder without touching its graph: the folder's files are
/// copied, then each trainable initializer's bytes are overwritten in place — at their offset in the external-data file,
/// or as raw_data inside the model file — converted to the initializer's own element type (fp32, fp16 or bf16).
/// </summary>
public static class ModelExport
{
    /// <summary>A parameter's float32 values by name (e.g. a span over a session's native buffer).</summary>
    public delegate ReadOnlySpan<float> Float32Values(string name);

    private delegate void BytesSink(ReadOnlySpan<byte> bytes);
    private delegate void Encoder(TensorProto initializer, string modelPath, BytesSink sink);

    public static void WriteWeights(string sourceModelDirectory, string destinationDirectory, IReadOnlyDictionary<string, Tensor> parameters) =>
        WriteWeights(sourceModelDirectory, destinationDirectory, [.. parameters.Keys],
            (initializer, modelPath, sink) => sink(Encode(initializer, parameters[initializer.Name], modelPath)));

    /// <summary>
    /// Like <see cref="WriteWeights(string, string, IReadOnlyDictionary{string, Tensor})"/>, reading each parameter's
    /// float32 values from <paramref name="valuesOf"/> when it is written: float32 initializers are written straight from
    /// those values, others through a converted copy of one tensor at a time, so no copy of all weights is ever made.
    /// </summary>
    public static void WriteWeights(string sourceModelDirectory, string destinationDirectory, IReadOnlyList<Optimizer.ParameterSpec> parameters,
        Float32Values valuesOf)
    {
        var shapes = parameters.ToDictionary(p => p.Name, p => p.Shape, StringComparer.Ordinal);
        WriteWeights(sourceModelDirectory, destinationDirectory, shapes.Keys, (initializer, modelPath, sink) =>
        {
            var type = TensorDataTypes.FromOnnx(initializer.DataType, initializer.Name);
            if (!type.IsFloatingPoint())
                throw new InvalidDataException($"'{modelPath}': initializer '{initializer.Name}' is {type}, not a floating-point parameter.");
            var shape = shapes[initializer.Name];
            if (!initializer.Dims.SequenceEqual(shape))
                throw new InvalidDataException($"'{modelPath}': initializer '{initializer.Name}' has shape [{string.Join(",", initializer.Dims)}], the parameter [{string.Join(",", shape)}].");
            var values = valuesOf(initializer.Name);
            if (values.Length != Tensor.ElementCount(shape))
                throw new ArgumentException($"Parameter '{initializer.Name}': {values.Length} values for shape [{string.Join(",", shape)}].");
            if (type == TensorDataType.Float) sink(System.Runtime.InteropServices.MemoryMarshal.AsBytes(values));
            else sink(Tensor.FromFloats(initializer.Name, type, shape, values).Data);
        });
    }

    private static void WriteWeights(string sourceModelDirectory, string destinationDirectory, IReadOnlyCollection<string> names, Encoder encode)
    {
        var source = ModelFolder.Open(sourceModelDirectory);
        var destination = Path.GetFullPath(destinationDirectory);
        if (string.Equals(destination.TrimEnd(Path.DirectorySeparatorChar), source.Directory.TrimEnd(Path.DirectorySeparatorChar), StringComparison.Ordinal))
            throw new ArgumentException($"Export destination '{destination}' is the source model folder; export into a new folder.");
        CopyFolder(source.Directory, destination);

        var modelPath = Path.Combine(destination, source.Decoder.Filename);
        ModelProto proto;
        try { proto = ModelProto.Parser.ParseFrom(File.ReadAllBytes(modelPath)); }
        catch (InvalidProtocolBufferException e) { throw new OnnxFormatException($"'{modelPath}' is not a valid ONNX model: {e.Message}", e); }

        var remaining = new HashSet<string>(names, StringComparer.Ordinal);
        bool inlineChanged = false;
        var dataFiles = new Dictionary<string, FileStream>(StringComparer.Ordinal);
        try
        {
            foreach (var initializer in proto.Graph.Initializer)
            {
                if (!remaining.Remove(initializer.Name)) continue;
                encode(initializer, modelPath, bytes =>
                {
                    if (initializer.DataLocation == TensorProto.Types.DataLocation.External)
                        WriteExternal(initializer, bytes, Path.GetDirectoryName(modelPath)!, dataFiles, modelPath);
                    else
                    {
                        initializer.FloatData.Clear();
                        initializer.Int32Data.Clear();
                        initializer.DoubleData.Clear();
                        initializer.RawData = ByteString.CopyFrom(bytes);
                        inlineChanged = true;
                    }
                });
            }
            foreach (var stream in dataFiles.Values) stream.Flush(flushToDisk: true);
        }
        finally
        {
            foreach (var stream in dataFiles.Values) stream.Dispose();
        }
        if (remaining.Count > 0)
            throw new InvalidDataException($"'{modelPath}' has no initializer named {string.Join(", ", remaining.Take(5).Select(n => $"'{n}'"))}: the parameters do not belong to this model.");
        if (VocabularyMask.RealTokenCount(source) is { } realTokens
            && VocabularyMask.Apply(proto, source.Decoder.Outputs.Logits, source.Config.Model.VocabSize, realTokens))
            inlineChanged = true;
        if (inlineChanged) AtomicFile.WriteAllBytes(modelPath, proto.ToByteArray());
    }

    /// <summary>
    /// Reads the named initializers of a GenAI model folder's decoder (e.g. a committed policy or reference version) as
    /// float32 tensors, the inverse of <see cref="WriteWeights"/>; a missing name is an error naming the model.
    /// </summary>
    public static Dictionary<string, Tensor> ReadWeights(string modelDirectory, IEnumerable<string> names)
    {
        var folder = ModelFolder.Open(modelDirectory);
        var model = OnnxModelIO.Load(folder.ModelPath);
        var result = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (var name in names)
        {
            var t = model.Graph.Initializer(name)
                ?? throw new InvalidDataException($"'{folder.ModelPath}' has no initializer '{name}': it is not the model the artifacts were built from.");
            result[name] = t.DataType == TensorDataType.Float ? t : Tensor.FromFloats(name, t.Dims, t.ToFloats());
        }
        return result;
    }

    /// <summary>The parameter's values in the initializer's element type, after checking its shape.</summary>
    private static byte[] Encode(TensorProto initializer, Tensor value, string modelPath)
    {
        var type = TensorDataTypes.FromOnnx(initializer.DataType, initializer.Name);
        if (!type.IsFloatingPoint())
            throw new InvalidDataException($"'{modelPath}': initializer '{initializer.Name}' is {type}, not a floating-point parameter.");
        if (!initializer.Dims.SequenceEqual(value.Dims))
            throw new InvalidDataException($"'{modelPath}': initializer '{initializer.Name}' has shape [{string.Join(",", initializer.Dims)}], the parameter [{string.Join(",", value.Dims)}].");
        return value.DataType == type ? value.Data : Tensor.FromFloats(value.Name, type, value.Dims, value.ToFloats()).Data;
    }

    private static void WriteExternal(TensorProto initializer, ReadOnlySpan<byte> bytes, string directory, Dictionary<string, FileStream> files, string modelPath)
    {
        string? location = null;
        long offset = 0, length = -1;
        foreach (var entry in initializer.ExternalData)
        {
            switch (entry.Key)
            {
                case "location": location = entry.Value; break;
                case "offset": offset = long.Parse(entry.Value, System.Globalization.CultureInfo.InvariantCulture); break;
                case "length": length = long.Parse(entry.Value, System.Globalization.CultureInfo.InvariantCulture); break;
            }
        }
        if (location is null || Path.IsPathRooted(location) || location.Contains(".."))
            throw new InvalidDataException($"'{modelPath}': initializer '{initializer.Name}' has an invalid external data location '{location}'.");
        if (length >= 0 && length != bytes.Length)
            throw new InvalidDataException($"'{modelPath}': initializer '{initializer.Name}' stores {length} bytes; the parameter has {bytes.Length}.");
        if (!files.TryGetValue(location, out var stream))
            files[location] = stream = new FileStream(Path.Combine(directory, location), FileMode.Open, FileAccess.ReadWrite, FileShare.None);
        if (offset + bytes.Length > stream.Length)
            throw new InvalidDataException($"'{modelPath}': initializer '{initializer.Name}' lies beyond the end of '{location}'.");
        stream.Position = offset;
        stream.Write(bytes);
    }

    private static void CopyFolder(string source, string destination)
    {
        Directory.CreateDirectory(destination);
        foreach (var file in Directory.EnumerateFiles(source, "*", SearchOption.AllDirectories))
        {
            var target = Path.Combine(destination, Path.GetRelativePath(source, file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target, overwrite: true);
        }
    }
}
