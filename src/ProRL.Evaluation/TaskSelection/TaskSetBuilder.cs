using ProRL.Tasks.Datasets;
using ProRL.Tasks.Logic;
using ProRL.Tasks.Mathematics;
using ProRL.Tasks.Mixture;
using ProRL.Tasks.Model;

namespace ProRL.Evaluation.TaskSelection;

/// <summary>One problem to evaluate and the source it came from (<c>logic:maze</c>, <c>math:samples</c>, <c>file:x.jsonl</c>).</summary>
public sealed record EvaluationProblem(TaskItem Task, string Source);

/// <summary>How many problems to take from each source, and how to generate procedural ones.</summary>
public sealed record TaskSelectionOptions
{
    /// <summary>Generated problems per procedural family when <see cref="ProblemsPerSource"/> is not given.</summary>
    public const int DefaultGeneratedProblems = 8;

    /// <summary>Problems per source (family, sample set or file); null: every item of a dataset and <see cref="DefaultGeneratedProblems"/> per generator.</summary>
    public int? ProblemsPerSource { get; init; }
    /// <summary>Seeds the generated puzzles; the same seed gives the same problems, so two models can be compared.</summary>
    public int Seed { get; init; }
    /// <summary>Generated problem i gets difficulty MinDifficulty + i mod (MaxDifficulty − MinDifficulty + 1), capped at its family's maximum.</summary>
    public int MinDifficulty { get; init; }
    public int MaxDifficulty { get; init; }
    /// <summary>
    /// Generate with negative seeds only. Training mixtures hand their generators seeds in [0, 2^31) (see
    /// <c>TaskSource</c>), so these problems come from seeds that training never uses.
    /// </summary>
    public bool HeldOutSeeds { get; init; }
    /// <summary>Receives one line per dataset row that could not be read (those rows are left out).</summary>
    public Action<string>? Warn { get; init; }

    public void Validate()
    {
        if (ProblemsPerSource is < 1) throw new ArgumentException($"Problems per source must be at least 1 (got {ProblemsPerSource}).");
        if (MinDifficulty < 0 || MaxDifficulty < MinDifficulty)
            throw new ArgumentException($"The difficulty range {MinDifficulty}-{MaxDifficulty} is empty or negative.");
    }
}

/// <summary>Turns a <see cref="TaskSpec"/> into the concrete, deterministic list of problems to evaluate.</summary>
public static class TaskSetBuilder
{
    /// <summary>
    /// The problems of every source the spec names, in spec order. A problem reached twice (<c>logic,logic:maze</c>)
    /// is kept once; two different problems with the same id are an error, since reports match problems by id.
    /// </summary>
    public static async Task<IReadOnlyList<EvaluationProblem>> BuildAsync(TaskSpec spec, TaskSelectionOptions options,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        var problems = new List<EvaluationProblem>();
        var byId = new Dictionary<string, EvaluationProblem>(StringComparer.Ordinal);
        foreach (var entry in spec.Entries)
            foreach (var problem in await ProblemsOfAsync(entry, options, cancellationToken).ConfigureAwait(false))
            {
                if (byId.TryGetValue(problem.Task.Id, out var earlier))
                {
                    if (earlier.Task.Prompt != problem.Task.Prompt)
                        throw new InvalidDataException(
                            $"Two different problems have the id '{problem.Task.Id}' (from {earlier.Source} and {problem.Source}); reports match problems by id, so ids must be unique.");
                    continue;
                }
                byId.Add(problem.Task.Id, problem);
                problems.Add(problem);
            }
        return problems;
    }

    private static async Task<IReadOnlyList<EvaluationProblem>> ProblemsOfAsync(TaskSpecEntry entry, TaskSelectionOptions options,
        CancellationToken cancellationToken)
    {
        if (entry.Kind == TaskSpecKind.File) return await FromFileAsync(entry.Path!, options, cancellationToken).ConfigureAwait(false);
        var families = entry.Kind == TaskSpecKind.Domain ? TaskSpec.FamiliesOf(entry.Domain!) : ExpandGroup(entry.Domain!, entry.Family!);
        return families.SelectMany(f => FromFamily(entry.Domain!, f, options)).ToList();
    }

    private static IReadOnlyList<string> ExpandGroup(string domain, string family) => (domain, family) switch
    {
        (TaskDomains.Logic, TaskSpec.HeldOutGroup) => LogicGenerators.HeldOutFamilies,
        (TaskDomains.Logic, TaskSpec.TrainingGroup) => LogicGenerators.TrainingFamilies,
        _ => [family],
    };

    private static IEnumerable<EvaluationProblem> FromFamily(string domain, string family, TaskSelectionOptions options)
    {
        var source = $"{domain}:{family}";
        if (family == TaskSpec.SamplesFamily) return Take(SampleSets.Load(domain), options.ProblemsPerSource, source);
        int count = options.ProblemsPerSource ?? TaskSelectionOptions.DefaultGeneratedProblems;
        Func<int, int, TaskItem> generate;
        int maxDifficulty;
        if (domain == TaskDomains.Logic)
        {
            generate = (seed, difficulty) => LogicGenerators.Generate(family, seed, difficulty);
            maxDifficulty = LogicGenerators.Get(family).MaxDifficulty;
        }
        else
        {
            generate = ArithmeticGenerator.Generate;
            maxDifficulty = ArithmeticGenerator.MaxDifficulty;
        }
        return Enumerable.Range(0, count).Select(i =>
            new EvaluationProblem(generate(Seed(options, source, i), Difficulty(options, i, maxDifficulty)), source)).ToList();
    }

    /// <summary>Difficulties cycle through the requested range so every level is represented, capped at the family's maximum.</summary>
    internal static int Difficulty(TaskSelectionOptions options, int index, int familyMax) =>
        Math.Min(options.MinDifficulty + index % (options.MaxDifficulty - options.MinDifficulty + 1), familyMax);

    private static int Seed(TaskSelectionOptions options, string source, int index) =>
        options.HeldOutSeeds ? HeldOutSeed(ProblemSeed(options.Seed, source, index)) : ProblemSeed(options.Seed, source, index);

    /// <summary>The generator seed with its sign bit set: negative, so outside the [0, 2^31) that training draws from.</summary>
    internal static int HeldOutSeed(int seed) => seed | int.MinValue;

    /// <summary>A non-negative seed per (evaluation seed, source, index), independent of the other sources in the spec.</summary>
    internal static int ProblemSeed(int seed, string source, int index) =>
        (int)(SeedMix.Combine(SeedMix.Combine((ulong)(uint)seed, SeedMix.Hash(source)), (ulong)index) & int.MaxValue);

    private static async Task<IReadOnlyList<EvaluationProblem>> FromFileAsync(string path, TaskSelectionOptions options,
        CancellationToken cancellationToken)
    {
        var dataset = await TaskDataset.LoadAsync(path, onSkipped: row => options.Warn?.Invoke($"skipped {row}"),
            cancellationToken: cancellationToken).ConfigureAwait(false);
        if (dataset.Items.Count == 0)
            throw new InvalidDataException(dataset.Skipped.Count == 0
                ? $"Dataset '{path}' has no rows."
                : $"Dataset '{path}' has no readable rows; first problem: {dataset.Skipped[0]}");
        return Take(dataset.Items, options.ProblemsPerSource, $"file:{Path.GetFileName(path)}");
    }

    private static IReadOnlyList<EvaluationProblem> Take(IReadOnlyList<TaskItem> items, int? count, string source) =>
        items.Take(count ?? items.Count).Select(t => new EvaluationProblem(t, source)).ToList();
}
