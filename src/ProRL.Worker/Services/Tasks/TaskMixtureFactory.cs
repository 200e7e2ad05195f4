using ProRL.Tasks.Datasets;
using ProRL.Tasks.Logic;
using ProRL.Tasks.Mathematics;
using ProRL.Tasks.Mixture;
using ProRL.Tasks.Model;
using ProRL.Worker.Options;

namespace ProRL.Worker.Services.Tasks;

/// <summary>The fixed items of one validation: the held-out part of the training mixture, and the held-out logic families.</summary>
/// <param name="Items">Drawn from the validation side of the configured mixture (same distribution, never trained on).</param>
/// <param name="FamilyItems">Items of the held-out families, <c>Validation:HeldOutFamilyItems</c> per family; empty when off.</param>
public sealed record ValidationItems(IReadOnlyList<TaskItem> Items, IReadOnlyList<TaskItem> FamilyItems);

/// <summary>Builds the task mixture that <c>Tasks</c> describes (generators by domain or logic family, plus datasets).</summary>
public static class TaskMixtureFactory
{
    /// <summary>
    /// The sources on one side of the held-out split. <c>logic</c> → every logic family the split does not hold out;
    /// <c>logic/FAMILY</c> → that family; <c>math</c> → the arithmetic generator; <c>code</c>, <c>stem</c>, <c>ifeval</c> →
    /// the shipped sample sets. No mixture and no datasets → the built-in default mixture. On the training side a
    /// dataset whose items are all held out is an error; on the validation side a dataset with no held-out item is left out.
    /// </summary>
    /// <param name="split">The held-out split; <see cref="HeldOutSplit.Default"/> when null.</param>
    /// <param name="onDataset">Receives each dataset's report (rows read and skipped), e.g. to log the skipped rows once.</param>
    public static IReadOnlyList<TaskSource> Sources(TasksOptions options, HeldOutSplit? split = null, TaskSplit side = TaskSplit.Training,
        Action<DatasetReport>? onDataset = null)
    {
        split ??= HeldOutSplit.Default;
        var sources = new List<(TaskSource Source, string Option)>();
        if (options.Mixture.Count == 0 && options.Datasets.Count == 0)
            sources.AddRange(BuiltInSources.DefaultMixture(split.TrainingFamilies).Select(s => (s, "the built-in default mixture")));
        foreach (var (key, weight) in options.Mixture.Where(m => m.Value > 0).OrderBy(m => m.Key, StringComparer.Ordinal))
        {
            var parts = key.ToLowerInvariant().Split('/', 2);
            sources.Add((parts[0] switch
            {
                "logic" => BuiltInSources.Logic(weight, LogicFamilies(parts, split, key), options.MinDifficulty, options.MaxDifficulty, key),
                "math" => BuiltInSources.Arithmetic(weight, Math.Min(options.MinDifficulty, ArithmeticGenerator.MaxDifficulty),
                    Math.Min(options.MaxDifficulty, ArithmeticGenerator.MaxDifficulty), key),
                var domain => BuiltInSources.Sample(domain, weight),
            }, $"Tasks:Mixture:{key}"));
        }
        for (int i = 0; i < options.Datasets.Count; i++)
        {
            var dataset = options.Datasets[i];
            var loaded = TaskDataset.LoadAsync(dataset.Path).GetAwaiter().GetResult();
            var items = loaded.Items;
            onDataset?.Invoke(DatasetCheck.Judge(dataset.Path, loaded, options.MaxSkippedFraction));
            if (items.Count == 0) throw new InvalidDataException($"Tasks:Datasets:{i}:Path: '{dataset.Path}' holds no usable task rows.");
            sources.Add((TaskSource.FromItems($"dataset{i}:{Path.GetFileNameWithoutExtension(dataset.Path)}", dataset.Weight, items),
                $"Tasks:Datasets:{i}:Path ('{dataset.Path}')"));
        }

        var result = new List<TaskSource>();
        foreach (var (source, option) in sources)
        {
            var part = source.On(split, side);
            if (part is not null) result.Add(part);
            else if (side == TaskSplit.Training)
                throw new InvalidDataException($"{option}: every item is held out for validation (Validation:HeldOutFraction {split.DatasetFraction}); " +
                                               "lower Validation:HeldOutFraction or add items.");
        }
        if (result.Count == 0)
            throw new InvalidDataException($"No item of the task mixture falls in the validation split (Validation:HeldOutFraction {split.DatasetFraction}); " +
                                           "raise Validation:HeldOutFraction, or add a generator to Tasks:Mixture.");
        return result;
    }

    private static IReadOnlyList<string> LogicFamilies(string[] parts, HeldOutSplit split, string key)
    {
        if (parts.Length == 1)
            return split.TrainingFamilies.Count > 0 ? split.TrainingFamilies
                : throw new ArgumentException($"Tasks:Mixture:{key}: every logic family is held out for validation (Validation:HeldOutFamilies).");
        var family = LogicGenerators.Get(parts[1]).Name;
        return split.HeldOutFamilies.Contains(family)
            ? throw new ArgumentException($"Tasks:Mixture:{key}: '{family}' is in Validation:HeldOutFamilies, which training never draws; " +
                                          "remove it from one of the two.")
            : [family];
    }

    /// <summary>The training mixture (the training side of <paramref name="split"/>, by default <see cref="HeldOutSplit.Default"/>).</summary>
    public static TaskMixture Create(TasksOptions options, int seed, MixturePosition? position = null, Action<DatasetReport>? onDataset = null,
        HeldOutSplit? split = null) =>
        new(Sources(options, split, TaskSplit.Training, onDataset), seed, position);

    /// <summary>
    /// The validation items: <c>Validation:Items</c> drawn from the validation side of the mixture under
    /// <c>Validation:HeldOutSeed</c>, and <c>Validation:HeldOutFamilyItems</c> of each held-out logic family (validation
    /// seeds as well). A function of the options alone, so every validation and every restart sees the same items.
    /// </summary>
    public static ValidationItems ForValidation(TasksOptions tasks, ValidationOptions validation)
    {
        var split = validation.Split();
        int seed = unchecked((int)validation.HeldOutSeed);
        var items = new TaskMixture(Sources(tasks, split, TaskSplit.Validation), seed).Take(validation.Items);
        var familyItems = new List<TaskItem>();
        if (validation.HeldOutFamilyItems > 0)
            foreach (var family in split.HeldOutFamilies)
            {
                var source = BuiltInSources.Logic(1.0, [family], tasks.MinDifficulty, tasks.MaxDifficulty, "heldout-" + family).On(split, TaskSplit.Validation)!;
                familyItems.AddRange(new TaskMixture([source], seed).Take(validation.HeldOutFamilyItems));
            }
        return new ValidationItems(items, familyItems);
    }
}
