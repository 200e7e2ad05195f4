using ProRL.Tasks.Datasets;
using ProRL.Tasks.Mathematics;
using ProRL.Tasks.Mixture;
using ProRL.Worker.Options;

namespace ProRL.Worker.Services.Tasks;

/// <summary>Builds the task mixture that <c>Tasks</c> describes (generators by domain or logic family, plus datasets).</summary>
public static class TaskMixtureFactory
{
    /// <summary>
    /// <c>logic</c> → every training logic family; <c>logic/FAMILY</c> → that family; <c>math</c> → the arithmetic
    /// generator; <c>code</c>, <c>stem</c>, <c>ifeval</c> → the shipped sample sets. No mixture and no datasets → the
    /// built-in default mixture.
    /// </summary>
    /// <param name="onDataset">Receives each dataset's report (rows read and skipped), e.g. to log the skipped rows once.</param>
    public static IReadOnlyList<TaskSource> Sources(TasksOptions options, Action<DatasetReport>? onDataset = null)
    {
        if (options.Mixture.Count == 0 && options.Datasets.Count == 0) return BuiltInSources.DefaultMixture();
        var sources = new List<TaskSource>();
        foreach (var (key, weight) in options.Mixture.Where(m => m.Value > 0).OrderBy(m => m.Key, StringComparer.Ordinal))
        {
            var parts = key.ToLowerInvariant().Split('/', 2);
            sources.Add(parts[0] switch
            {
                "logic" => BuiltInSources.Logic(weight, parts.Length == 2 ? [parts[1]] : null, options.MinDifficulty, options.MaxDifficulty, key),
                "math" => BuiltInSources.Arithmetic(weight, Math.Min(options.MinDifficulty, ArithmeticGenerator.MaxDifficulty),
                    Math.Min(options.MaxDifficulty, ArithmeticGenerator.MaxDifficulty), key),
                var domain => BuiltInSources.Sample(domain, weight),
            });
        }
        for (int i = 0; i < options.Datasets.Count; i++)
        {
            var dataset = options.Datasets[i];
            var loaded = TaskDataset.LoadAsync(dataset.Path).GetAwaiter().GetResult();
            var items = loaded.Items;
            onDataset?.Invoke(DatasetCheck.Judge(dataset.Path, loaded, options.MaxSkippedFraction));
            if (items.Count == 0) throw new InvalidDataException($"Tasks:Datasets:{i}:Path: '{dataset.Path}' holds no usable task rows.");
            sources.Add(TaskSource.FromItems($"dataset{i}:{Path.GetFileNameWithoutExtension(dataset.Path)}", dataset.Weight, items));
        }
        return sources;
    }

    public static TaskMixture Create(TasksOptions options, int seed, MixturePosition? position = null, Action<DatasetReport>? onDataset = null) =>
        new(Sources(options, onDataset), seed, position);
}
