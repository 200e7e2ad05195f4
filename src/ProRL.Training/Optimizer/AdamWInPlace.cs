using System.Numerics;
using System.Numerics.Tensors;

namespace ProRL.Training.Optimizer;

/// <summary>The buffer of one parameter (its values, gradient or a moment), by parameter index.</summary>
public delegate Span<float> BufferOf(int parameter);

/// <summary>
/// The four float32 buffers of every parameter that AdamW reads and writes in place, by index; <see cref="Lengths"/>
/// gives each parameter's element count and <see cref="Decayed"/> whether weight decay applies to it.
/// </summary>
public sealed record AdamWBuffers(IReadOnlyList<long> Lengths, IReadOnlyList<bool> Decayed,
    BufferOf Parameters, BufferOf Gradients, BufferOf FirstMoments, BufferOf SecondMoments);

/// <summary>
/// The scalars of one AdamW update, in float32 and computed as <see cref="AdamWGraph"/> computes them, so that the
/// in-place update and the graph round alike.
/// </summary>
public readonly record struct AdamWCoefficients(
    float GradientScale, float Beta1, float OneMinusBeta1, float Beta2, float OneMinusBeta2, float StepSize,
    float SecondCorrection, float Epsilon, float DecayFactor)
{
    /// <param name="gradientNorm">The pre-clip global L2 norm of the gradients.</param>
    /// <param name="step">The number of this update (t ≥ 1), for bias correction.</param>
    public static AdamWCoefficients For(float learningRate, float beta1, float beta2, float epsilon, float weightDecay,
        float maxGradNorm, long step, float gradientNorm)
    {
        if (step < 1) throw new ArgumentOutOfRangeException(nameof(step), step, "The AdamW step number starts at 1.");
        float t = step;
        float scale = maxGradNorm > 0 ? MathF.Min(1f, maxGradNorm / (gradientNorm + 1e-6f)) : 1f;
        return new AdamWCoefficients(scale, beta1, 1f - beta1, beta2, 1f - beta2,
            learningRate / (1f - MathF.Pow(beta1, t)), 1f - MathF.Pow(beta2, t), epsilon, 1f - learningRate * weightDecay);
    }
}

/// <summary>
/// AdamW with decoupled weight decay and global-norm clipping (the update <see cref="AdamWGraph"/> describes), applied in
/// place to the buffers that hold the parameters and moments: no second copy of either. Work is split into fixed
/// chunks run in parallel; the norm's partial sums are kept per chunk and added in chunk order, so results do not
/// depend on thread scheduling. The update also zeroes each gradient chunk after reading it, so the next accumulation
/// starts from zero without another pass over memory.
/// </summary>
public static class AdamWInPlace
{
    /// <summary>Elements per chunk: 1 MiB of each buffer, large enough to stream, small enough to balance two cores.</summary>
    public const int ChunkElements = 1 << 18;

    /// <summary>The global L2 norm of all gradients (float32 sums of squares per chunk, added in float64 in chunk order).</summary>
    public static double GradientNorm(AdamWBuffers buffers, int maxThreads = 0)
    {
        var chunks = Chunks(buffers.Lengths);
        var partial = new double[chunks.Length];
        Parallel.For(0, chunks.Length, Options(maxThreads), k =>
        {
            var c = chunks[k];
            partial[k] = TensorPrimitives.SumOfSquares(buffers.Gradients(c.Parameter).Slice(c.Offset, c.Length));
        });
        double sum = 0;
        foreach (var p in partial) sum += p;
        return Math.Sqrt(sum);
    }

    /// <summary>
    /// m ← β1·m + (1 − β1)·g; v ← β2·v + (1 − β2)·g²; p ← p·(1 − lr·wd) − step·m / (√(v / c2) + ε), with g the gradient
    /// times the clip scale; then g ← 0.
    /// </summary>
    public static void Update(AdamWBuffers buffers, AdamWCoefficients coefficients, int maxThreads = 0)
    {
        var chunks = Chunks(buffers.Lengths);
        Parallel.For(0, chunks.Length, Options(maxThreads), k =>
        {
            var c = chunks[k];
            int i = c.Parameter;
            UpdateChunk(buffers.Parameters(i).Slice(c.Offset, c.Length), buffers.Gradients(i).Slice(c.Offset, c.Length),
                buffers.FirstMoments(i).Slice(c.Offset, c.Length), buffers.SecondMoments(i).Slice(c.Offset, c.Length),
                coefficients, buffers.Decayed[i]);
        });
    }

    /// <summary>One chunk, vectorised; the operations and their order are the graph's (no fused multiply-add).</summary>
    public static void UpdateChunk(Span<float> parameter, Span<float> gradient, Span<float> firstMoment, Span<float> secondMoment,
        in AdamWCoefficients c, bool decayed)
    {
        int n = parameter.Length;
        if (gradient.Length != n || firstMoment.Length != n || secondMoment.Length != n)
            throw new ArgumentException("AdamW buffers of one parameter must have the same length.");
        float decay = decayed ? c.DecayFactor : 1f;
        int i = 0;
        if (Vector.IsHardwareAccelerated && n >= Vector<float>.Count)
        {
            var scale = new Vector<float>(c.GradientScale);
            var b1 = new Vector<float>(c.Beta1);
            var omb1 = new Vector<float>(c.OneMinusBeta1);
            var b2 = new Vector<float>(c.Beta2);
            var omb2 = new Vector<float>(c.OneMinusBeta2);
            var stepSize = new Vector<float>(c.StepSize);
            var correction = new Vector<float>(c.SecondCorrection);
            var eps = new Vector<float>(c.Epsilon);
            var decayVector = new Vector<float>(decay);
            var p = System.Runtime.InteropServices.MemoryMarshal.Cast<float, Vector<float>>(parameter);
            var g = System.Runtime.InteropServices.MemoryMarshal.Cast<float, Vector<float>>(gradient);
            var m = System.Runtime.InteropServices.MemoryMarshal.Cast<float, Vector<float>>(firstMoment);
            var v = System.Runtime.InteropServices.MemoryMarshal.Cast<float, Vector<float>>(secondMoment);
            for (int j = 0; j < p.Length; j++)
            {
                var gj = g[j] * scale;
                var mj = b1 * m[j] + omb1 * gj;
                var vj = b2 * v[j] + omb2 * (gj * gj);
                var denominator = Vector.SquareRoot(vj / correction) + eps;
                // Multiplying by 1 is exact, so undecayed parameters take the same path.
                p[j] = p[j] * decayVector - stepSize * (mj / denominator);
                m[j] = mj;
                v[j] = vj;
                g[j] = Vector<float>.Zero;
            }
            i = p.Length * Vector<float>.Count;
        }
        for (; i < n; i++)
        {
            float g = gradient[i] * c.GradientScale;
            float m = c.Beta1 * firstMoment[i] + c.OneMinusBeta1 * g;
            float v = c.Beta2 * secondMoment[i] + c.OneMinusBeta2 * (g * g);
            float denominator = MathF.Sqrt(v / c.SecondCorrection) + c.Epsilon;
            parameter[i] = parameter[i] * decay - c.StepSize * (m / denominator);
            firstMoment[i] = m;
            secondMoment[i] = v;
            gradient[i] = 0f;
        }
    }

    private readonly record struct Chunk(int Parameter, int Offset, int Length);

    private static Chunk[] Chunks(IReadOnlyList<long> lengths)
    {
        var chunks = new List<Chunk>();
        for (int p = 0; p < lengths.Count; p++)
        {
            if (lengths[p] > int.MaxValue) throw new ArgumentException($"Parameter {p} has {lengths[p]} elements; at most {int.MaxValue} are supported.");
            int length = (int)lengths[p];
            for (int offset = 0; offset < length; offset += ChunkElements)
                chunks.Add(new Chunk(p, offset, Math.Min(ChunkElements, length - offset)));
        }
        return [.. chunks];
    }

    private static ParallelOptions Options(int maxThreads) =>
        new() { MaxDegreeOfParallelism = maxThreads > 0 ? maxThreads : Environment.ProcessorCount };
}
