namespace ProRL.Tasks.Mixture;

/// <summary>
/// Deterministic seed arithmetic (SplitMix64). System.Random's seeded sequence is not promised to stay the same
/// across .NET versions, and resumable runs need it to.
/// </summary>
public static class SeedMix
{
    public static ulong Mix(ulong z)
    {
        z += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    public static ulong Combine(ulong a, ulong b) => Mix(a ^ Mix(b + 0x632BE59BD9B4E019UL));

    /// <summary>FNV-1a over UTF-16 code units: a stable string hash (string.GetHashCode is randomised per process).</summary>
    public static ulong Hash(string text)
    {
        var h = 14695981039346656037UL;
        foreach (var c in text) { h ^= c; h *= 1099511628211UL; }
        return h;
    }

    public static double UnitInterval(ulong bits) => (bits >> 11) * (1.0 / (1UL << 53));

    public static int[] Permutation(int n, ulong seed)
    {
        var rng = new DeterministicRandom(seed);
        var order = Enumerable.Range(0, n).ToArray();
        rng.Shuffle(order);
        return order;
    }
}

/// <summary>A small deterministic PRNG (SplitMix64 stream) for generators and samplers.</summary>
public sealed class DeterministicRandom(ulong seed)
{
    private ulong _state = seed;

    public ulong NextUInt64() => SeedMix.Mix(_state += 0x9E3779B97F4A7C15UL);

    /// <summary>Uniform in [min, maxExclusive).</summary>
    public int Next(int min, int maxExclusive)
    {
        if (maxExclusive <= min) throw new ArgumentOutOfRangeException(nameof(maxExclusive), $"empty range [{min}, {maxExclusive})");
        return min + (int)(NextUInt64() % (ulong)(maxExclusive - min));
    }

    public int Next(int maxExclusive) => Next(0, maxExclusive);

    public double NextDouble() => SeedMix.UnitInterval(NextUInt64());

    public bool NextBool() => (NextUInt64() & 1) == 1;

    public T Pick<T>(IReadOnlyList<T> items) => items[Next(items.Count)];

    public void Shuffle<T>(IList<T> items)
    {
        for (var i = items.Count - 1; i > 0; i--)
        {
            var j = Next(i + 1);
            (items[i], items[j]) = (items[j], items[i]);
        }
    }
}
