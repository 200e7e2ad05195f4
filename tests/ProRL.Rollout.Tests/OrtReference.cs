using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using ProRL.Onnx.Models;

namespace ProRL.Rollout.Tests;

/// <summary>
/// An independent forward pass through plain ONNX Runtime (no GenAI): the whole sequence at once with an empty
/// KV cache, returning the logits of every position.
/// </summary>
public sealed class OrtReference : IDisposable
{
    private readonly InferenceSession _session;
    private readonly GenAiDecoderSection _decoder;

    public OrtReference(ModelFolder folder)
    {
        _decoder = folder.Decoder;
        VocabSize = folder.Config.Model.VocabSize;
        using var options = new SessionOptions { IntraOpNumThreads = 1 };
        _session = new InferenceSession(folder.ModelPath, options);
    }

    public int VocabSize { get; }
    public InferenceSession Session => _session;

    /// <summary>Logits [tokens.Length, vocab] for one unpadded sequence.</summary>
    public float[][] Forward(IReadOnlyList<int> tokens)
    {
        int n = tokens.Count;
        var inputs = new List<NamedOnnxValue>
        {
            NamedOnnxValue.CreateFromTensor("input_ids", new DenseTensor<long>(tokens.Select(t => (long)t).ToArray(), [1, n])),
            NamedOnnxValue.CreateFromTensor("attention_mask", new DenseTensor<long>(Enumerable.Repeat(1L, n).ToArray(), [1, n])),
        };
        for (int i = 0; i < _decoder.NumHiddenLayers; i++)
        {
            int[] emptyCache = [1, _decoder.NumKeyValueHeads, 0, _decoder.HeadSize];
            inputs.Add(NamedOnnxValue.CreateFromTensor(_decoder.Inputs.PastKeyName(i), new DenseTensor<float>(emptyCache)));
            inputs.Add(NamedOnnxValue.CreateFromTensor(_decoder.Inputs.PastValueName(i), new DenseTensor<float>(emptyCache)));
        }
        using var results = _session.Run(inputs, [_decoder.Outputs.Logits]);
        var logits = results.First().AsTensor<float>().ToArray();
        return Enumerable.Range(0, n).Select(p => logits.AsSpan(p * VocabSize, VocabSize).ToArray()).ToArray();
    }

    public void Dispose() => _session.Dispose();
}
