using System.Text.Json;
using ProRL.Tasks.Model;

namespace ProRL.Tasks.Mixture;

/// <summary>A source of tasks for the mixture: an indexable dataset or an endless procedural generator.</summary>
public sealed class TaskSource
{
    private readonly IReadOnlyList<TaskItem>? _items;
    private readonly Func<int, TaskItem>? _generate;

    private TaskSource(string name, double weight, IReadOnlyList<TaskItem>? items, Func<int, TaskItem>? generate, TaskSplit side = TaskSplit.Training)
    {
        if (string.IsNullOrWhiteSpace(name)) throw new ArgumentException("a task source needs a name", nameof(name));
        if (!(weight > 0) || double.IsInfinity(weight)) throw new ArgumentOutOfRangeException(nameof(weight), weight, $"source '{name}': weight must be positive");
        if (items is { Count: 0 }) throw new ArgumentException($"source '{name}' has no items", nameof(items));
        Name = name;
        Weight = weight;
        _items = items;
        _generate = generate;
        Side = side;
    }

    public string Name { get; }
    public double Weight { get; }

    /// <summary>The side of the held-out split this source draws from (a source made without a split: training).</summary>
    public TaskSplit Side { get; }

    /// <summary>
    /// This source restricted to one side of <paramref name="split"/>: a list keeps the items whose id falls on that side
    /// (null when none does); a generator draws its seeds from that side's <see cref="SeedDomains">seed domain</see>.
    /// </summary>
    public TaskSource? On(HeldOutSplit split, TaskSplit side)
    {
        if (_generate is not null) return new TaskSource(Name, Weight, null, _generate, side);
        var kept = _items!.Where(i => split.SideOf(i) == side).ToList();
        return kept.Count == 0 ? null : new TaskSource(Name, Weight, kept, null, side);
    }

    public static TaskSource FromItems(string name, double weight, IReadOnlyList<TaskItem> items) => new(name, weight, items, null);

    /// <summary>A generator source: <paramref name="generate"/> maps a derived seed to a task and must be deterministic.</summary>
    public static TaskSource FromGenerator(string name, double weight, Func<int, TaskItem> generate) => new(name, weight, null, generate);

    /// <summary>The k-th task this source hands out under the mixture seed: datasets go epoch by epoch, each epoch shuffled.</summary>
    internal TaskItem ItemAt(long k, ulong mixtureSeed, Dictionary<long, int[]> permutationCache)
    {
        var sourceSeed = SeedMix.Combine(mixtureSeed, SeedMix.Hash(Name));
        if (_generate is not null) return _generate(SeedDomains.Seed(Side, SeedMix.Combine(sourceSeed, (ulong)k)));
        var n = _items!.Count;
        var epoch = k / n;
        if (!permutationCache.TryGetValue(epoch, out var order))
        {
            order = SeedMix.Permutation(n, SeedMix.Combine(sourceSeed, (ulong)epoch ^ 0x9E3779B97F4A7C15UL));
            permutationCache.Clear(); // one epoch at a time keeps memory flat
            permutationCache[epoch] = order;
        }
        return _items[order[k % n]];
    }
}

/// <summary>
/// Where a mixture stands: how many tasks it has drawn in total and from each source. Serialise it with
/// <see cref="ToJson"/>, persist it, and pass it back to <see cref="TaskMixture"/> to resume the exact sequence.
/// </summary>
public sealed record MixturePosition(long Step, IReadOnlyDictionary<string, long> DrawnPerSource)
{
    public static MixturePosition Start { get; } = new(0, new Dictionary<string, long>());

    public string ToJson() => JsonSerializer.Serialize(new { step = Step, drawn = DrawnPerSource });

    public static MixturePosition FromJson(string json)
    {
        try
        {
            using var doc = JsonDocument.Parse(json);
            var step = doc.RootElement.GetProperty("step").GetInt64();
            var drawn = doc.RootElement.GetProperty("drawn").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetInt64());
            if (step < 0 || drawn.Values.Any(v => v < 0) || drawn.Values.Sum() != step)
                throw new FormatException("counts are negative or do not add up to 'step'");
            return new MixturePosition(step, drawn);
        }
        catch (Exception ex) when (ex is JsonException or KeyNotFoundException or InvalidOperationException or FormatException)
        {
            throw new FormatException($"invalid mixture position JSON: {ex.Message}", ex);
        }
    }
}

/// <summary>
/// A weighted, seeded, resumable sampler over task sources. The n-th draw depends only on the seed, the sources and n,
/// so a run that restarts from a saved <see cref="Position"/> continues the same sequence.
/// </summary>
public sealed class TaskMixture
{
    private readonly IReadOnlyList<TaskSource> _sources;
    private readonly double[] _cumulative;
    private readonly ulong _seed;
    private readonly Dictionary<string, long> _drawn;
    private readonly Dictionary<string, Dictionary<long, int[]>> _permutations = new();

    public TaskMixture(IReadOnlyList<TaskSource> sources, int seed, MixturePosition? position = null)
    {
        if (sources.Count == 0) throw new ArgumentException("a mixture needs at least one source", nameof(sources));
        var duplicate = sources.GroupBy(s => s.Name).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null) throw new ArgumentException($"two sources are named '{duplicate.Key}'", nameof(sources));
        _sources = sources;
        _seed = (ulong)(uint)seed;
        var total = sources.Sum(s => s.Weight);
        _cumulative = new double[sources.Count];
        var acc = 0.0;
        for (var i = 0; i < sources.Count; i++) _cumulative[i] = acc += sources[i].Weight / total;
        position ??= MixturePosition.Start;
        var unknown = position.DrawnPerSource.Keys.FirstOrDefault(k => sources.All(s => s.Name != k));
        if (unknown is not null) throw new ArgumentException($"saved position names source '{unknown}', which this mixture does not have", nameof(position));
        Step = position.Step;
        _drawn = sources.ToDictionary(s => s.Name, s => position.DrawnPerSource.GetValueOrDefault(s.Name));
    }

    public long Step { get; private set; }

    public MixturePosition Position => new(Step, new Dictionary<string, long>(_drawn));

    public IReadOnlyList<TaskSource> Sources => _sources;

    public TaskItem Next()
    {
        var u = SeedMix.UnitInterval(SeedMix.Combine(_seed, (ulong)Step));
        var index = Array.FindIndex(_cumulative, c => u < c);
        var source = _sources[index < 0 ? _sources.Count - 1 : index];
        var k = _drawn[source.Name];
        if (!_permutations.TryGetValue(source.Name, out var cache)) _permutations[source.Name] = cache = new Dictionary<long, int[]>();
        var item = source.ItemAt(k, _seed, cache);
        _drawn[source.Name] = k + 1;
        Step++;
        return item;
    }

    public IReadOnlyList<TaskItem> Take(int count) => Enumerable.Range(0, count).Select(_ => Next()).ToList();
}
