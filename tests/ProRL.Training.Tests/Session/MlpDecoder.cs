using ProRL.Onnx.Graph;
using ProRL.Onnx.Tensors;
using ProRL.Training.Artifacts;
using ProRL.Training.Heads;

namespace ProRL.Training.Tests.Session;

/// <summary>
/// A stand-in decoder for session tests: embedding Gather → masked → tanh(x·W1 + b1) → ·W2 = logits [B, T, V]. It has the
/// full-sequence decoder contract (input_ids, attention_mask → logits) without needing the lowering.
/// </summary>
internal static class MlpDecoder
{
    public static OnnxModel Build(int vocab = 24, int hidden = 16, int seed = 1)
    {
        var rng = new Random(seed);
        float[] Random(int n, double std) => Enumerable.Range(0, n).Select(_ => (float)((rng.NextDouble() * 2 - 1) * std * Math.Sqrt(3))).ToArray();
        var model = new OnnxModel(new OnnxGraph { Name = "mlp_decoder" });
        var g = model.Graph;
        g.Inputs.Add(new ValueInfo(TrainingGraphBuilder.InputIds, TensorDataType.Int64, ["batch_size", "sequence_length"]));
        g.Inputs.Add(new ValueInfo(TrainingGraphBuilder.AttentionMask, TensorDataType.Int64, ["batch_size", "sequence_length"]));
        g.AddInitializer(Tensor.FromFloats("embed.weight", [vocab, hidden], Random(vocab * hidden, 1.0)));
        g.AddInitializer(Tensor.FromFloats("fc1.weight", [hidden, hidden], Random(hidden * hidden, 1.0 / Math.Sqrt(hidden))));
        g.AddInitializer(Tensor.FromFloats("fc1.bias", [hidden], Random(hidden, 0.1)));
        g.AddInitializer(Tensor.FromFloats("lm_head.weight", [hidden, vocab], Random(hidden * vocab, 1.0 / Math.Sqrt(hidden))));
        var h = new HeadGraph(g);
        var embedded = h.Op("Gather", "embed.weight", TrainingGraphBuilder.InputIds);
        var mask = h.Op("Unsqueeze", h.ToElementType(TrainingGraphBuilder.AttentionMask), h.Ints("axes", 2));
        var hiddenState = h.Op("Tanh", h.Add(h.Op("MatMul", h.Mul(embedded, mask), "fc1.weight"), "fc1.bias"));
        h.Output(h.Op("MatMul", hiddenState, "lm_head.weight"), TrainingGraphBuilder.Logits, "batch_size", "sequence_length", vocab);
        return model;
    }

    /// <summary>log_softmax(logits[b, t] / temperature)[next token] computed on the CPU from the decoder's logits.</summary>
    public static float[] ReferenceLogprobs(float[] logits, long[] ids, int batch, int length, int vocab, double temperature)
    {
        var result = new float[batch * (length - 1)];
        for (int b = 0; b < batch; b++)
            for (int t = 0; t < length - 1; t++)
            {
                var row = logits.AsSpan((b * length + t) * vocab, vocab);
                double max = double.NegativeInfinity;
                foreach (var x in row) max = Math.Max(max, x / temperature);
                double sum = 0;
                foreach (var x in row) sum += Math.Exp(x / temperature - max);
                result[b * (length - 1) + t] = (float)(row[(int)ids[b * length + t + 1]] / temperature - max - Math.Log(sum));
            }
        return result;
    }
}
