using System.Numerics.Tensors;

namespace ProRL.Rollout.Engine;

/// <summary>Log-softmax of one logit row at a temperature, with SIMD spans and a caller-owned scratch buffer.</summary>
public static class LogProbs
{
    /// <summary>
    /// log_softmax(logits / temperature)[token], computed as (z_t − max)/T − log Σ exp((z − max)/T).
    /// <paramref name="scratch"/> must hold at least logits.Length floats; no allocation.
    /// </summary>
    public static float LogSoftmaxAt(ReadOnlySpan<float> logits, int token, double temperature, Span<float> scratch)
    {
        if ((uint)token >= (uint)logits.Length)
            throw new ArgumentOutOfRangeException(nameof(token), $"Token {token} is outside the vocabulary of {logits.Length}.");
        if (!(temperature > 0)) throw new ArgumentOutOfRangeException(nameof(temperature), "Temperature must be positive.");
        var buffer = scratch[..logits.Length];
        float max = TensorPrimitives.Max(logits);
        float inverseT = (float)(1.0 / temperature);
        TensorPrimitives.Subtract(logits, max, buffer);
        TensorPrimitives.Multiply(buffer, inverseT, buffer);
        float shiftedToken = buffer[token];
        TensorPrimitives.Exp(buffer, buffer);
        double sum = TensorPrimitives.Sum<float>(buffer);
        return (float)(shiftedToken - Math.Log(sum));
    }
}
