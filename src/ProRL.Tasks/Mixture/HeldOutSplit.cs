using ProRL.Tasks.Logic;
using ProRL.Tasks.Model;

namespace ProRL.Tasks.Mixture;

/// <summary>The side of the held-out split a source draws from.</summary>
public enum TaskSplit
{
    Training,
    Validation,
}

/// <summary>
/// Generator seeds of the two sides. A generator source maps 64 random bits to an <c>int</c> seed: training keeps the
/// low 31 bits (0 … int.MaxValue, the stream of every run before the split existed), validation sets the sign bit
/// (int.MinValue … −1). The two sets share no value, so no generated training task has a validation task's seed or id.
/// </summary>
public static class SeedDomains
{
    public static int Seed(TaskSplit side, ulong bits)
    {
        int low = (int)(bits & int.MaxValue);
        return side == TaskSplit.Training ? low : low | int.MinValue;
    }

    public static TaskSplit SideOf(int seed) => seed < 0 ? TaskSplit.Validation : TaskSplit.Training;
}

/// <summary>
/// What validation holds out from training: dataset items whose id hashes under <see cref="DatasetFraction"/> (a stable
/// hash of the id alone, so the split is the same for every run seed and every process), generator seeds by
/// <see cref="SeedDomains"/>, and whole logic families (<see cref="HeldOutFamilies"/>) that only validation draws.
/// </summary>
public sealed record HeldOutSplit
{
    public const double DefaultDatasetFraction = 0.1;

    /// <summary>Separates this hash from other uses of the id's hash ("HELDOUT" in ASCII).</summary>
    private const ulong IdSalt = 0x48454C444F5554UL;

    public HeldOutSplit(double datasetFraction, IReadOnlyList<string> heldOutFamilies)
    {
        if (!(datasetFraction is >= 0 and < 1))
            throw new ArgumentOutOfRangeException(nameof(datasetFraction), datasetFraction, "the held-out fraction of a dataset must lie in [0, 1)");
        foreach (var family in heldOutFamilies) LogicGenerators.Get(family); // a typo fails here, naming the known families
        DatasetFraction = datasetFraction;
        HeldOutFamilies = heldOutFamilies.Distinct().ToList();
    }

    /// <summary>The built-in split: 10 % of each dataset, the families marked held out (<see cref="LogicGenerators.HeldOutFamilies"/>).</summary>
    public static HeldOutSplit Default { get; } = new(DefaultDatasetFraction, LogicGenerators.HeldOutFamilies);

    public double DatasetFraction { get; }

    public IReadOnlyList<string> HeldOutFamilies { get; }

    /// <summary>Logic families training may draw: every family not held out.</summary>
    public IReadOnlyList<string> TrainingFamilies => LogicGenerators.Families.Select(f => f.Name).Except(HeldOutFamilies).ToList();

    /// <summary>True when a dataset item with this id belongs to validation.</summary>
    public bool IsValidationId(string id) =>
        DatasetFraction > 0 && SeedMix.UnitInterval(SeedMix.Mix(SeedMix.Hash(id) ^ IdSalt)) < DatasetFraction;

    /// <summary>The side an item of a dataset falls on.</summary>
    public TaskSplit SideOf(TaskItem item) => IsValidationId(item.Id) ? TaskSplit.Validation : TaskSplit.Training;
}
