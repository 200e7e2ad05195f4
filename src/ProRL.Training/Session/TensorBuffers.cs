using Microsoft.ML.OnnxRuntime;
using ProRL.Onnx.IO;
using Microsoft.ML.OnnxRuntime.Tensors;
using ProRL.Onnx.Tensors;
using Tensor = ProRL.Onnx.Tensors.Tensor;
using ProRL.Training.Optimizer;

namespace ProRL.Training.Session;

/// <summary>
/// One float32 OrtValue per parameter, in native memory owned by ONNX Runtime (host memory in both flavours), bound to
/// the graphs by reference and updated in place.
/// </summary>
internal sealed unsafe class TensorBuffers : IDisposable
{
    private readonly OrtValue[] _values;
    // Native tensors never move, so their addresses are read once: a span over a buffer costs no native call.
    private readonly nint[] _addresses;
    private readonly int[] _lengths;

    public TensorBuffers(IReadOnlyList<ParameterSpec> parameters)
    {
        Specs = parameters;
        _values = new OrtValue[parameters.Count];
        _addresses = new nint[parameters.Count];
        _lengths = new int[parameters.Count];
        try
        {
            for (int i = 0; i < parameters.Count; i++)
            {
                if (parameters[i].ElementCount > int.MaxValue)
                    throw new ArgumentException($"Parameter '{parameters[i].Name}' has {parameters[i].ElementCount} elements; at most {int.MaxValue} are supported.");
                _values[i] = OrtValue.CreateAllocatedTensorValue(OrtAllocator.DefaultInstance, TensorElementType.Float, parameters[i].Shape);
                var span = _values[i].GetTensorMutableDataAsSpan<float>();
                _lengths[i] = span.Length;
                fixed (float* address = span) _addresses[i] = (nint)address;
            }
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    public IReadOnlyList<ParameterSpec> Specs { get; }
    public OrtValue this[int index] => _values[index];
    public Span<float> Span(int index) => new((void*)_addresses[index], _lengths[index]);

    public void Clear()
    {
        for (int i = 0; i < _values.Length; i++) Span(i).Clear();
    }

    public void CopyFrom(TensorBuffers other)
    {
        for (int i = 0; i < _values.Length; i++) other.Span(i).CopyTo(Span(i));
    }

    /// <summary>
    /// Fills buffer i from the tensor named by <paramref name="nameOf"/>(spec). Every tensor is checked (present, same
    /// shape, floating point) before any buffer is written, so a bad set leaves the buffers as they were.
    /// </summary>
    public void Load(IReadOnlyDictionary<string, Tensor> tensors, Func<ParameterSpec, string> nameOf, string source)
    {
        var found = new Tensor[_values.Length];
        for (int i = 0; i < _values.Length; i++)
        {
            var name = nameOf(Specs[i]);
            if (!tensors.TryGetValue(name, out var t))
                throw new InvalidDataException($"{source} has no tensor '{name}'.");
            if (!t.Dims.SequenceEqual(Specs[i].Shape))
                throw new InvalidDataException($"{source}: tensor '{name}' has shape [{string.Join(",", t.Dims)}]; expected [{string.Join(",", Specs[i].Shape)}].");
            if (!t.DataType.IsFloatingPoint())
                throw new InvalidDataException($"{source}: tensor '{name}' is {t.DataType}, not floating point.");
            found[i] = t;
        }
        for (int i = 0; i < _values.Length; i++)
        {
            if (found[i].DataType == TensorDataType.Float) found[i].AsSpan<float>().CopyTo(Span(i));
            else found[i].ToFloats().CopyTo(Span(i));
        }
    }

    /// <summary>
    /// Fills buffer i from the float32 tensor named by <paramref name="nameOf"/>(spec) in the safetensors file
    /// <paramref name="path"/>, streaming each tensor's bytes straight into its buffer (no managed copy). The header is
    /// checked for every tensor (present, same shape, float32) before any buffer is written.
    /// </summary>
    public void LoadSafetensors(string path, Func<ParameterSpec, string> nameOf)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1 << 20);
        var header = Safetensors.ReadHeader(stream, path);
        var byName = header.Entries.ToDictionary(e => e.Name, StringComparer.Ordinal);
        var found = new SafetensorsEntry[_values.Length];
        for (int i = 0; i < _values.Length; i++)
        {
            var name = nameOf(Specs[i]);
            if (!byName.TryGetValue(name, out var e)) throw new InvalidDataException($"'{path}' has no tensor '{name}'.");
            if (!e.Dims.SequenceEqual(Specs[i].Shape))
                throw new InvalidDataException($"'{path}': tensor '{name}' has shape [{string.Join(",", e.Dims)}]; expected [{string.Join(",", Specs[i].Shape)}].");
            if (e.DataType != TensorDataType.Float)
                throw new InvalidDataException($"'{path}': tensor '{name}' is {e.DataType}; checkpoints hold float32.");
            found[i] = e;
        }
        for (int i = 0; i < _values.Length; i++)
        {
            stream.Position = header.DataStart + found[i].Offset;
            stream.ReadExactly(System.Runtime.InteropServices.MemoryMarshal.AsBytes(Span(i)));
        }
    }

    /// <summary>Each buffer as a safetensors source named by <paramref name="nameOf"/>, written straight from native memory.</summary>
    public IEnumerable<SafetensorsSource> Sources(Func<ParameterSpec, string> nameOf) =>
        Enumerable.Range(0, _values.Length).Select(i => new SafetensorsSource(nameOf(Specs[i]), TensorDataType.Float, Specs[i].Shape,
            (long)_lengths[i] * sizeof(float), stream => stream.Write(System.Runtime.InteropServices.MemoryMarshal.AsBytes(Span(i)))));

    /// <summary>Copies out as float32 tensors named by <paramref name="nameOf"/>.</summary>
    public Dictionary<string, Tensor> Snapshot(Func<ParameterSpec, string> nameOf)
    {
        var result = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        for (int i = 0; i < _values.Length; i++)
        {
            var name = nameOf(Specs[i]);
            result[name] = Tensor.FromFloats(name, Specs[i].Shape, Span(i));
        }
        return result;
    }

    public bool AllFinite()
    {
        for (int i = 0; i < _values.Length; i++)
            foreach (var v in Span(i))
                if (!float.IsFinite(v)) return false;
        return true;
    }

    public void Dispose()
    {
        foreach (var v in _values) v?.Dispose();
    }
}

/// <summary>
/// Scalar graph inputs/outputs, each a one-element managed array pinned by an OrtValue: updating a value is a store,
/// binding it copies nothing.
/// </summary>
internal sealed class ScalarSlots : IDisposable
{
    private readonly Dictionary<string, (float[] Value, OrtValue Ort)> _slots = new(StringComparer.Ordinal);

    public OrtValue Set(string name, float value)
    {
        var slot = Get(name);
        slot.Value[0] = value;
        return slot.Ort;
    }

    public float Read(string name) => Get(name).Value[0];
    public OrtValue Ort(string name) => Get(name).Ort;

    private (float[] Value, OrtValue Ort) Get(string name)
    {
        if (!_slots.TryGetValue(name, out var slot))
        {
            var value = new float[1];
            slot = (value, OrtValue.CreateTensorValueFromMemory(value, []));
            _slots[name] = slot;
        }
        return slot;
    }

    public void Dispose()
    {
        foreach (var (_, ort) in _slots.Values) ort.Dispose();
    }
}
