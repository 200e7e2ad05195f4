using Google.Protobuf;
using Onnx;
using ProRL.Onnx.Graph;
using ProRL.Onnx.Tensors;

namespace ProRL.Onnx.IO;

/// <summary>Where and how <see cref="OnnxModelIO.Save"/> writes initializer data.</summary>
public sealed record ExternalDataOptions(string? FileName, long SizeThreshold = 1024, int Alignment = 64)
{
    /// <summary>Everything inside model.onnx (only for models under 2 GB).</summary>
    public static readonly ExternalDataOptions Inline = new((string?)null);
    /// <summary>Initializers of at least 1 KiB in a side file, as the GenAI model builder does.</summary>
    public static ExternalDataOptions SideFile(string fileName) => new(fileName);
}

/// <summary>Reads and writes ONNX models, including external data (`model.onnx` + `model.onnx.data`).</summary>
public static class OnnxModelIO
{
    public static OnnxModel Load(string path)
    {
        var fullPath = Path.GetFullPath(path);
        if (!File.Exists(fullPath)) throw new FileNotFoundException($"ONNX model file '{fullPath}' does not exist.", fullPath);
        ModelProto proto;
        try
        {
            using var stream = File.OpenRead(fullPath);
            proto = ModelProto.Parser.ParseFrom(stream);
        }
        catch (InvalidProtocolBufferException e)
        {
            throw new OnnxFormatException($"'{fullPath}' is not a valid ONNX model (truncated or corrupt protobuf: {e.Message}).", e);
        }
        if (proto.Graph is null)
            throw new OnnxFormatException($"'{fullPath}' is not a valid ONNX model: it has no graph.");
        using var external = new ExternalDataReader(Path.GetDirectoryName(fullPath)!, fullPath);
        return FromProto(proto, external);
    }

    /// <summary>Parses a model held in memory; external data is resolved relative to <paramref name="baseDirectory"/>.</summary>
    public static OnnxModel Load(byte[] bytes, string baseDirectory, string displayName = "<memory>")
    {
        ModelProto proto;
        try { proto = ModelProto.Parser.ParseFrom(bytes); }
        catch (InvalidProtocolBufferException e)
        {
            throw new OnnxFormatException($"'{displayName}' is not a valid ONNX model (truncated or corrupt protobuf: {e.Message}).", e);
        }
        using var external = new ExternalDataReader(baseDirectory, displayName);
        return FromProto(proto, external);
    }

    /// <summary>
    /// Writes the model to <paramref name="path"/> (and its external-data file beside it), each through a temporary
    /// file renamed into place, so that a crash never leaves a half-written model under the final name.
    /// </summary>
    public static void Save(OnnxModel model, string path, ExternalDataOptions? options = null)
    {
        options ??= ExternalDataOptions.Inline;
        var fullPath = Path.GetFullPath(path);
        var dir = Path.GetDirectoryName(fullPath)!;
        Directory.CreateDirectory(dir);
        var proto = ToProtoWithoutInitializers(model);

        string? dataTemp = null;
        FileStream? data = null;
        try
        {
            if (options.FileName is not null)
            {
                if (Path.GetFileName(options.FileName) != options.FileName)
                    throw new ArgumentException($"External data file name '{options.FileName}' must be a plain file name.");
                dataTemp = Path.Combine(dir, options.FileName + ".tmp-" + Guid.NewGuid().ToString("N"));
                data = new FileStream(dataTemp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 20);
            }
            foreach (var tensor in model.Graph.Initializers)
            {
                if (data is not null && tensor.Data.LongLength >= options.SizeThreshold)
                {
                    long pad = (options.Alignment - data.Position % options.Alignment) % options.Alignment;
                    if (pad > 0) data.Write(new byte[pad]);
                    long offset = data.Position;
                    data.Write(tensor.Data);
                    var t = new TensorProto { Name = tensor.Name, DataType = (int)tensor.DataType, DataLocation = TensorProto.Types.DataLocation.External };
                    t.Dims.AddRange(tensor.Dims);
                    t.ExternalData.Add(new StringStringEntryProto { Key = "location", Value = options.FileName });
                    t.ExternalData.Add(new StringStringEntryProto { Key = "offset", Value = offset.ToString() });
                    t.ExternalData.Add(new StringStringEntryProto { Key = "length", Value = tensor.Data.LongLength.ToString() });
                    proto.Graph.Initializer.Add(t);
                }
                else
                {
                    proto.Graph.Initializer.Add(TensorProtoConverter.ToProto(tensor));
                }
            }
            if (data is not null)
            {
                data.Flush(flushToDisk: true);
                data.Dispose();
                data = null;
                File.Move(dataTemp!, Path.Combine(dir, options.FileName!), overwrite: true);
                dataTemp = null;
            }
            AtomicFile.WriteAllBytes(fullPath, proto.ToByteArray());
        }
        finally
        {
            data?.Dispose();
            if (dataTemp is not null && File.Exists(dataTemp)) File.Delete(dataTemp);
        }
    }

    /// <summary>The model as protobuf bytes with every initializer inline (for models under 2 GB).</summary>
    public static byte[] ToBytes(OnnxModel model)
    {
        var proto = ToProtoWithoutInitializers(model);
        foreach (var t in model.Graph.Initializers) proto.Graph.Initializer.Add(TensorProtoConverter.ToProto(t));
        return proto.ToByteArray();
    }

    // ---------- protobuf ↔ IR ----------

    private static OnnxModel FromProto(ModelProto proto, ExternalDataReader external)
    {
        var g = proto.Graph;
        var graph = new OnnxGraph { Name = g.Name };
        foreach (var v in g.Input) graph.Inputs.Add(FromProto(v));
        foreach (var v in g.Output) graph.Outputs.Add(FromProto(v));
        foreach (var v in g.ValueInfo)
            if (v.Type?.TensorType is not null) graph.ValueInfos.Add(FromProto(v));
        foreach (var t in g.Initializer)
            graph.AddInitializer(t.DataLocation == TensorProto.Types.DataLocation.External
                ? external.Read(t)
                : TensorProtoConverter.FromProto(t, $"{external.ModelName}: "));
        // ONNX IR < 4 listed initializers among the inputs too; keep only real inputs.
        graph.Inputs.RemoveAll(i => graph.IsInitializer(i.Name));
        foreach (var n in g.Node)
        {
            var node = new Node(n.OpType, n.Input, n.Output, n.Name, n.Domain);
            node.Attributes.AddRange(n.Attribute);
            graph.Nodes.Add(node);
        }
        var model = new OnnxModel(graph)
        {
            IrVersion = proto.IrVersion,
            ProducerName = proto.ProducerName,
            ProducerVersion = proto.ProducerVersion,
            Domain = proto.Domain,
            ModelVersion = proto.ModelVersion,
            DocString = proto.DocString,
        };
        model.Opsets.Clear();
        foreach (var o in proto.OpsetImport) model.Opsets[o.Domain == "ai.onnx" ? "" : o.Domain] = o.Version;
        foreach (var m in proto.MetadataProps) model.Metadata[m.Key] = m.Value;
        model.Functions.AddRange(proto.Functions);
        return model;
    }

    private static ModelProto ToProtoWithoutInitializers(OnnxModel model)
    {
        var g = new GraphProto { Name = model.Graph.Name };
        foreach (var v in model.Graph.Inputs) g.Input.Add(ToProto(v));
        foreach (var v in model.Graph.Outputs) g.Output.Add(ToProto(v));
        foreach (var v in model.Graph.ValueInfos) g.ValueInfo.Add(ToProto(v));
        foreach (var n in model.Graph.Nodes)
        {
            var p = new NodeProto { OpType = n.OpType, Name = n.Name, Domain = n.Domain };
            p.Input.AddRange(n.Inputs);
            p.Output.AddRange(n.Outputs);
            p.Attribute.AddRange(n.Attributes);
            g.Node.Add(p);
        }
        var proto = new ModelProto
        {
            IrVersion = model.IrVersion,
            ProducerName = model.ProducerName,
            ProducerVersion = model.ProducerVersion,
            Domain = model.Domain,
            ModelVersion = model.ModelVersion,
            DocString = model.DocString,
            Graph = g,
        };
        foreach (var (domain, version) in model.Opsets) proto.OpsetImport.Add(new OperatorSetIdProto { Domain = domain, Version = version });
        foreach (var (k, v) in model.Metadata) proto.MetadataProps.Add(new StringStringEntryProto { Key = k, Value = v });
        proto.Functions.AddRange(model.Functions);
        return proto;
    }

    public static ValueInfo FromProto(ValueInfoProto v)
    {
        var tensorType = v.Type?.TensorType
            ?? throw new OnnxFormatException($"Value '{v.Name}' is not a tensor; only tensor inputs and outputs are supported.");
        Dim[]? shape = tensorType.Shape is null
            ? null
            : tensorType.Shape.Dim.Select(d => d.ValueCase switch
            {
                TensorShapeProto.Types.Dimension.ValueOneofCase.DimValue => new Dim(d.DimValue, null),
                TensorShapeProto.Types.Dimension.ValueOneofCase.DimParam => new Dim(null, d.DimParam),
                _ => new Dim(null, null),
            }).ToArray();
        return new ValueInfo(v.Name, TensorDataTypes.FromOnnx(tensorType.ElemType, v.Name), shape);
    }

    public static ValueInfoProto ToProto(ValueInfo v)
    {
        var tensorType = new TypeProto.Types.Tensor { ElemType = (int)v.ElementType };
        if (v.Shape is not null)
        {
            tensorType.Shape = new TensorShapeProto();
            foreach (var d in v.Shape)
            {
                var dim = new TensorShapeProto.Types.Dimension();
                if (d.Value is long value) dim.DimValue = value;
                else if (d.Param is string param) dim.DimParam = param;
                tensorType.Shape.Dim.Add(dim);
            }
        }
        return new ValueInfoProto { Name = v.Name, Type = new TypeProto { TensorType = tensorType } };
    }

    /// <summary>Reads tensors stored outside the model file, with checks that name the file and the tensor.</summary>
    private sealed class ExternalDataReader(string baseDirectory, string modelName) : IDisposable
    {
        private readonly Dictionary<string, FileStream> _files = new(StringComparer.Ordinal);
        public string ModelName { get; } = modelName;

        public Tensor Read(TensorProto t)
        {
            var type = TensorDataTypes.FromOnnx(t.DataType, t.Name);
            var entries = t.ExternalData.ToDictionary(e => e.Key, e => e.Value, StringComparer.Ordinal);
            if (!entries.TryGetValue("location", out var location) || location.Length == 0)
                throw new OnnxFormatException($"{ModelName}: tensor '{t.Name}' is marked external but names no 'location'.");
            var path = Path.GetFullPath(Path.Combine(baseDirectory, location));
            if (!path.StartsWith(Path.GetFullPath(baseDirectory), StringComparison.Ordinal))
                throw new OnnxFormatException($"{ModelName}: tensor '{t.Name}' points outside the model folder ('{location}').");
            long offset = ParseLong(entries, "offset", 0, t.Name);
            long expected = Tensor.ElementCount(t.Dims) * type.SizeOf();
            long length = ParseLong(entries, "length", expected, t.Name);
            if (length != expected)
                throw new OnnxFormatException(
                    $"{ModelName}: tensor '{t.Name}' declares {length} bytes in '{location}' but its shape [{string.Join(",", t.Dims)}] of {type} needs {expected}.");
            if (!_files.TryGetValue(path, out var file))
            {
                if (!File.Exists(path))
                    throw new OnnxFormatException($"{ModelName}: external data file '{path}' for tensor '{t.Name}' does not exist.");
                file = _files[path] = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
            }
            if (offset < 0 || offset + length > file.Length)
                throw new OnnxFormatException(
                    $"{ModelName}: tensor '{t.Name}' reads bytes {offset}..{offset + length} of '{path}', which holds only {file.Length} bytes (truncated file or bad offset).");
            if (length > Array.MaxLength)
                throw new OnnxFormatException($"{ModelName}: tensor '{t.Name}' is {length} bytes, larger than one .NET array can hold.");
            var data = new byte[length];
            file.Position = offset;
            file.ReadExactly(data);
            var dims = t.Dims.ToArray();
            return new Tensor(t.Name, type, dims, data);
        }

        private long ParseLong(Dictionary<string, string> entries, string key, long fallback, string tensor)
        {
            if (!entries.TryGetValue(key, out var s)) return fallback;
            return long.TryParse(s, out var v) ? v
                : throw new OnnxFormatException($"{ModelName}: tensor '{tensor}' has a non-numeric external-data {key} '{s}'.");
        }

        public void Dispose()
        {
            foreach (var f in _files.Values) f.Dispose();
        }
    }
}
