namespace ProRL.Rollout.ModelGeneration;

/// <summary>
/// A tiny seeded generator (SplitMix64 + Box–Muller) whose output is fixed by this code alone, so that generated
/// weights are byte-identical across runtimes and platforms for the same seed.
/// </summary>
public sealed class GaussianRandom(ulong seed)
{
    private ulong _state = seed;
    private double? _spare;

    public ulong NextUInt64()
    {
        ulong z = _state += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    /// <summary>Uniform in (0, 1): 53 random bits, never exactly 0 (Box–Muller takes its log).</summary>
    public double NextUniform() => ((NextUInt64() >> 11) + 0.5) * (1.0 / (1UL << 53));

    public double NextNormal()
    {
        if (_spare is { } s) { _spare = null; return s; }
        double u1 = NextUniform(), u2 = NextUniform();
        double r = Math.Sqrt(-2.0 * Math.Log(u1));
        _spare = r * Math.Sin(2 * Math.PI * u2);
        return r * Math.Cos(2 * Math.PI * u2);
    }

    public float[] Normal(long count, float std)
    {
        var values = new float[count];
        for (long i = 0; i < count; i++) values[i] = (float)(NextNormal() * std);
        return values;
    }
}
