using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using ProRL.Onnx.Models;

namespace ProRL.Rollout.Tests;

/// <summary>
/// Plain ONNX Runtime forward pass for any generated layout: feeds position_ids when the graph has them, empty KV
/// caches in the graph's element type (float, float16, bfloat16), and returns the logits widened to float whatever
/// their type. With <see cref="ForwardIncremental"/> it also runs the KV-cache path one token at a time.
/// </summary>
public sealed class LayoutReference : IDisposable
{
    private readonly InferenceSession _session;
    private readonly GenAiDecoderSection _decoder;

    public LayoutReference(ModelFolder folder)
    {
        _decoder = folder.Decoder;
        VocabSize = folder.Config.Model.VocabSize;
        using var options = new SessionOptions { IntraOpNumThreads = 1 };
        _session = new InferenceSession(folder.ModelPath, options);
    }

    public int VocabSize { get; }
    public InferenceSession Session => _session;
    public bool HasPositionIds => _session.InputMetadata.ContainsKey("position_ids");
    public TensorElementType CacheType => _session.InputMetadata[_decoder.Inputs.PastKeyName(0)].ElementDataType;
    public TensorElementType LogitsType => _session.OutputMetadata[_decoder.Outputs.Logits].ElementDataType;

    /// <summary>Logits [tokens.Length][vocab] for one unpadded sequence, all positions in one call.</summary>
    public float[][] Forward(IReadOnlyList<int> tokens)
    {
        var (logits, _) = Run(tokens, 0, null);
        return logits;
    }

    /// <summary>The prompt's first token alone, then every later token with the KV cache: the logits of each position.</summary>
    public float[][] ForwardIncremental(IReadOnlyList<int> tokens)
    {
        var result = new List<float[]>();
        OrtValue[]? cache = null;
        for (int i = 0; i < tokens.Count; i++)
        {
            var (logits, present) = Run([tokens[i]], i, cache);
            if (cache is not null) foreach (var c in cache) c.Dispose();
            cache = present;
            result.Add(logits[0]);
        }
        if (cache is not null) foreach (var c in cache) c.Dispose();
        return [.. result];
    }

    private (float[][] Logits, OrtValue[] Present) Run(IReadOnlyList<int> tokens, int pastLength, OrtValue[]? past)
    {
        int n = tokens.Count;
        var owned = new List<OrtValue>();
        try
        {
            var inputs = new Dictionary<string, OrtValue>
            {
                ["input_ids"] = Own(owned, OrtValue.CreateTensorValueFromMemory(tokens.Select(t => (long)t).ToArray(), [1, n])),
                ["attention_mask"] = Own(owned, OrtValue.CreateTensorValueFromMemory(Enumerable.Repeat(1L, pastLength + n).ToArray(), [1, pastLength + n])),
            };
            if (HasPositionIds)
                inputs["position_ids"] = Own(owned, OrtValue.CreateTensorValueFromMemory(Enumerable.Range(pastLength, n).Select(p => (long)p).ToArray(), [1, n]));
            for (int i = 0; i < _decoder.NumHiddenLayers; i++)
            {
                long[] emptyShape = [1, _decoder.NumKeyValueHeads, 0, _decoder.HeadSize];
                inputs[_decoder.Inputs.PastKeyName(i)] = past?[2 * i] ?? Own(owned, OrtValue.CreateAllocatedTensorValue(OrtAllocator.DefaultInstance, CacheType, emptyShape));
                inputs[_decoder.Inputs.PastValueName(i)] = past?[2 * i + 1] ?? Own(owned, OrtValue.CreateAllocatedTensorValue(OrtAllocator.DefaultInstance, CacheType, emptyShape));
            }
            var outputNames = new List<string> { _decoder.Outputs.Logits };
            for (int i = 0; i < _decoder.NumHiddenLayers; i++)
            {
                outputNames.Add(_decoder.Outputs.PresentKeyName(i));
                outputNames.Add(_decoder.Outputs.PresentValueName(i));
            }
            using var runOptions = new RunOptions();
            var outputs = _session.Run(runOptions, inputs.Keys.ToArray(), inputs.Values.ToArray(), outputNames);
            var flat = ToFloats(outputs[0]);
            outputs[0].Dispose();
            var logits = Enumerable.Range(0, n).Select(p => flat.AsSpan(p * VocabSize, VocabSize).ToArray()).ToArray();
            return (logits, outputs.Skip(1).ToArray());
        }
        finally
        {
            foreach (var v in owned) v.Dispose();
        }
    }

    private static OrtValue Own(List<OrtValue> owned, OrtValue value)
    {
        owned.Add(value);
        return value;
    }

    /// <summary>A float, float16 or bfloat16 tensor's values as float.</summary>
    public static float[] ToFloats(OrtValue value) => value.GetTensorTypeAndShape().ElementDataType switch
    {
        TensorElementType.Float => value.GetTensorDataAsSpan<float>().ToArray(),
        TensorElementType.Float16 => value.GetTensorDataAsSpan<Float16>().ToArray().Select(h => h.ToFloat()).ToArray(),
        TensorElementType.BFloat16 => value.GetTensorDataAsSpan<BFloat16>().ToArray().Select(h => h.ToFloat()).ToArray(),
        var other => throw new InvalidOperationException($"Logits of type {other} are not floating point."),
    };

    public static float MaxAbsDifference(float[][] a, float[][] b)
    {
        Assert.Equal(a.Length, b.Length);
        float max = 0;
        for (int p = 0; p < a.Length; p++)
        {
            Assert.Equal(a[p].Length, b[p].Length);
            for (int j = 0; j < a[p].Length; j++) max = Math.Max(max, Math.Abs(a[p][j] - b[p][j]));
        }
        return max;
    }

    public void Dispose() => _session.Dispose();
}
