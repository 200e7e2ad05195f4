using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using ProRL.Onnx.Tensors;
using Tensor = ProRL.Onnx.Tensors.Tensor;

namespace ProRL.Training.Autodiff;

/// <summary>Runs an ONNX Runtime session on <see cref="Tensor"/>s (copies in and out; for checks, not the hot path).</summary>
public static class OrtTensors
{
    public static OrtValue ToOrtValue(Tensor tensor)
    {
        var value = OrtValue.CreateAllocatedTensorValue(OrtAllocator.DefaultInstance, (TensorElementType)(int)tensor.DataType, tensor.Dims);
        tensor.Data.CopyTo(value.GetTensorMutableRawData());
        return value;
    }

    public static Tensor FromOrtValue(string name, OrtValue value)
    {
        var info = value.GetTensorTypeAndShape();
        var type = TensorDataTypes.FromOnnx((int)info.ElementDataType, name);
        return new Tensor(name, type, info.Shape, value.GetTensorMutableRawData().ToArray());
    }

    /// <summary>Runs <paramref name="session"/> on the named inputs and returns the requested outputs by name.</summary>
    public static Dictionary<string, Tensor> Run(InferenceSession session, IReadOnlyDictionary<string, Tensor> inputs,
        IReadOnlyList<string> outputs)
    {
        var names = inputs.Keys.ToList();
        var values = names.Select(n => ToOrtValue(inputs[n])).ToList();
        try
        {
            using var options = new RunOptions();
            using var results = session.Run(options, names, values, outputs.ToList());
            return outputs.Zip(results).ToDictionary(p => p.First, p => FromOrtValue(p.First, p.Second), StringComparer.Ordinal);
        }
        finally
        {
            foreach (var v in values) v.Dispose();
        }
    }

    /// <summary>The values of a floating-point tensor as float64.</summary>
    public static double[] ToDoubles(Tensor tensor) =>
        tensor.DataType == TensorDataType.Double ? tensor.AsSpan<double>().ToArray() : Array.ConvertAll(tensor.ToFloats(), f => (double)f);

    /// <summary>A tensor of <paramref name="type"/> (a floating-point type) holding <paramref name="values"/>.</summary>
    public static Tensor FromDoubles(string name, TensorDataType type, long[] dims, double[] values) =>
        type == TensorDataType.Double
            ? Tensor.FromArray(name, TensorDataType.Double, dims, values)
            : Tensor.FromFloats(name, type, dims, Array.ConvertAll(values, v => (float)v));
}
