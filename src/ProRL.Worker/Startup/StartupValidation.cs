using System.Text.Json;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using ProRL.Onnx.Models;
using ProRL.Tasks.Datasets;
using ProRL.Worker.Hosting;
using ProRL.Worker.Options;
using ProRL.Worker.RunDirectory;

namespace ProRL.Worker.Startup;

/// <summary>Start-up found problems in the configuration or the input; the worker prints them and exits 2.</summary>
public sealed class StartupValidationException(IReadOnlyList<string> problems)
    : Exception("Invalid configuration: " + string.Join(" | ", problems))
{
    public IReadOnlyList<string> Problems { get; } = problems;
}

/// <summary>
/// The one start-up check, run before anything is written to the run directory: configuration sections, every option,
/// the model folder (<see cref="ModelFolderValidator"/> plus the <see cref="IModelFolderCheck"/>s registered in the
/// container), every dataset file, and that the run directory belongs to this model and configuration. Each problem is
/// one line naming the option and the file. Reads only; the one thing it may write is a generated model at
/// <c>Model:Path</c> when <c>Model:CreateIfMissing</c> asks for it (so that the generated folder is what gets checked).
/// </summary>
public sealed class StartupValidation(
    IServiceProvider services,
    IConfiguration configuration,
    IEnumerable<IModelFolderCheck> modelChecks,
    ILogger<StartupValidation> logger)
{
    /// <summary>Every problem found; empty when the worker may start.</summary>
    public IReadOnlyList<string> Problems()
    {
        var problems = new List<string>(ConfigurationSections.Problems(configuration));
        try
        {
            services.GetService<IStartupValidator>()?.Validate();
        }
        catch (Exception e) when (WorkerHost.ConfigurationProblems(e) is { Count: > 0 } optionProblems)
        {
            // The other checks need valid options; these problems come first.
            problems.AddRange(optionProblems.Select(p => ConfigurationSections.WithSource(configuration, p)));
            return problems;
        }
        var model = services.GetRequiredService<IOptions<ModelOptions>>().Value;
        var run = services.GetRequiredService<IOptions<RunOptions>>().Value;
        var tasks = services.GetRequiredService<IOptions<TasksOptions>>().Value;
        var validation = services.GetRequiredService<IOptions<ValidationOptions>>().Value;
        var trainerHost = services.GetRequiredService<IOptions<ServicesOptions>>().Value.Trainer;

        var modelProblems = ModelProblems(model);
        problems.AddRange(modelProblems);
        problems.AddRange(DatasetProblems(tasks));
        problems.AddRange(SplitProblems(tasks, validation));
        problems.AddRange(PackingProblems(services.GetRequiredService<IOptions<TrainingOptions>>().Value,
            services.GetRequiredService<IOptions<AlgorithmOptions>>().Value));
        // The run directory is compared with the model's hash, which only means something for a usable model.
        if (modelProblems.Count == 0 && trainerHost) problems.AddRange(RunDirectoryProblems(model, run, tasks, validation));
        return problems;
    }

    /// <summary>Throws <see cref="StartupValidationException"/> listing the problems, if there are any.</summary>
    public void ThrowIfInvalid()
    {
        var problems = Problems();
        if (problems.Count > 0) throw new StartupValidationException(problems);
    }

    private List<string> ModelProblems(ModelOptions model)
    {
        try
        {
            RunBootstrapService.EnsureModel(model, logger);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or RunDirectoryException)
        {
            return [$"Model:Path: cannot create the '{model.CreateIfMissing}' model at '{model.Path}': {e.Message}"];
        }
        return ModelFolderValidator.Validate(model.Path, modelChecks).Select(p => $"Model:Path: {p}").ToList();
    }

    private List<string> DatasetProblems(TasksOptions tasks)
    {
        var problems = new List<string>();
        for (int i = 0; i < tasks.Datasets.Count; i++)
        {
            var report = DatasetCheck.Inspect(tasks.Datasets[i].Path, tasks.MaxSkippedFraction);
            if (report.RowsRead + report.RowsSkipped > 0) logger.LogInformation("Tasks:Datasets:{Index}: {Summary}", i, report.Summary());
            problems.AddRange(report.Problems.Select(p => $"Tasks:Datasets:{i}:Path: {p}"));
        }
        return problems;
    }

    /// <summary>Packed rows hold several sequences, so only the token-mean aggregation (which never reads rows) applies.</summary>
    private static IEnumerable<string> PackingProblems(TrainingOptions training, AlgorithmOptions algorithm)
    {
        if (training.PackSequences == true && !algorithm.LossAggregation.Equals(AlgorithmOptions.TokenMean, StringComparison.OrdinalIgnoreCase))
            yield return $"Training:PackSequences: true needs Algorithm:LossAggregation={AlgorithmOptions.TokenMean}, not '{algorithm.LossAggregation}' " +
                "(the per-sequence aggregations read one sequence per row). Set Training:PackSequences=false, or use token-mean.";
    }

    /// <summary>Training never draws a held-out family, so naming one in the training mixture is a contradiction.</summary>
    private static IEnumerable<string> SplitProblems(TasksOptions tasks, ValidationOptions validation)
    {
        var split = validation.Split();
        foreach (var key in tasks.Mixture.Where(m => m.Value > 0).Select(m => m.Key))
        {
            var parts = key.Split('/', 2);
            if (!string.Equals(parts[0], "logic", StringComparison.OrdinalIgnoreCase)) continue;
            if (parts.Length == 2 && split.HeldOutFamilies.Contains(parts[1], StringComparer.OrdinalIgnoreCase))
                yield return $"Tasks:Mixture:{key}: '{parts[1]}' is in Validation:HeldOutFamilies, which training never draws; remove it from one of the two.";
            else if (parts.Length == 1 && split.TrainingFamilies.Count == 0)
                yield return $"Tasks:Mixture:{key}: every logic family is in Validation:HeldOutFamilies, so training has none left.";
        }
    }

    /// <summary>Names that a run directory holds (DESIGN §7), so a folder holding anything else is not one.</summary>
    private static readonly HashSet<string> RunDirectoryEntries = new(StringComparer.Ordinal)
    {
        "policy", "reference", "trainer", "requests", "rollouts", "rewards", "validation", "plots", "artifacts",
        "metrics.jsonl", "events.jsonl", RunInfo.FileName,
        // Written by hosts of the run itself: rollout-only hosts may start (and take their liveness locks) before the
        // trainer's host initialises the run directory.
        Telemetry.HostLiveness.FolderName, Reporting.TensorBoard.TensorBoardReporter.FolderName,
    };

    private static List<string> RunDirectoryProblems(ModelOptions model, RunOptions run, TasksOptions tasks, ValidationOptions validation)
    {
        var directory = Path.GetFullPath(run.Directory);
        if (File.Exists(directory)) return [$"Run:Directory: '{directory}' is a file; give a folder (new or of this run)."];
        if (!Directory.Exists(directory)) return [];
        var runInfoPath = Path.Combine(directory, RunInfo.FileName);
        RunInfo? info;
        try
        {
            info = RunInfo.Load(runInfoPath);
        }
        catch (Exception e) when (e is RunDirectoryException or IOException or UnauthorizedAccessException)
        {
            return [$"Run:Directory: {e.Message} Restore the file or set Run:Directory to a new folder."];
        }
        if (info is null)
        {
            var strangers = Directory.EnumerateFileSystemEntries(directory).Select(Path.GetFileName)
                .Where(name => name is not null && !RunDirectoryEntries.Contains(name) && !TempNames.IsTemporary(name)).Take(3).ToList();
            return strangers.Count == 0 ? [] :
            [
                $"Run:Directory: '{directory}' is not empty and is not a run directory (no {RunInfo.FileName}; it holds {string.Join(", ", strangers)}); " +
                "set Run:Directory to a new or empty folder, so that nothing of yours is mixed into (or pruned with) the run.",
            ];
        }
        var problems = new List<string>();
        var modelHash = VersionManifest.Compute(model.Path, 0).ContentHash();
        if (info.ModelHash is not null && !string.Equals(info.ModelHash, modelHash, StringComparison.OrdinalIgnoreCase))
            problems.Add($"Run:Directory: {runInfoPath}: this run directory trains the model at '{info.ModelPath}' (hash {info.ModelHash}); " +
                         $"Model:Path now names '{model.Path}' (hash {modelHash}). Set Run:Directory to a new folder to train another model.");
        problems.AddRange(ConfigurationChanges(runInfoPath, info, run, tasks, validation));
        return problems;
    }

    /// <summary>
    /// Options that the committed trainer state depends on: the seed, the task mixture and the held-out split define the
    /// task stream whose position each trainer version records, so resuming under other values would continue a different stream.
    /// </summary>
    private static IEnumerable<string> ConfigurationChanges(string runInfoPath, RunInfo info, RunOptions run, TasksOptions tasks,
        ValidationOptions validation)
    {
        if (info.Configuration is null) yield break;
        var recorded = new ConfigurationBuilder()
            .AddJsonStream(new MemoryStream(JsonSerializer.SerializeToUtf8Bytes(info.Configuration)))
            .Build();
        var recordedRun = recorded.GetSection(RunOptions.SectionName).Get<RunOptions>() ?? new RunOptions();
        var recordedTasks = recorded.GetSection(TasksOptions.SectionName).Get<TasksOptions>() ?? new TasksOptions();
        var recordedSplit = (recorded.GetSection(ValidationOptions.SectionName).Get<ValidationOptions>() ?? new ValidationOptions()).Split();
        var split = validation.Split();
        string Fix(string option) =>
            $"; the run's committed task-stream position belongs to the recorded value. Restore {option} or set Run:Directory to a new folder.";
        if (recordedRun.Seed != run.Seed)
            yield return $"Run:Seed: {runInfoPath} records {recordedRun.Seed}, the configuration now gives {run.Seed}{Fix("Run:Seed")}";
        if (Describe(recordedTasks.Mixture) != Describe(tasks.Mixture))
            yield return $"Tasks:Mixture: {runInfoPath} records {{{Describe(recordedTasks.Mixture)}}}, now {{{Describe(tasks.Mixture)}}}{Fix("Tasks:Mixture")}";
        if (Describe(recordedTasks.Datasets) != Describe(tasks.Datasets))
            yield return $"Tasks:Datasets: {runInfoPath} records [{Describe(recordedTasks.Datasets)}], now [{Describe(tasks.Datasets)}]{Fix("Tasks:Datasets")}";
        if (recordedSplit.DatasetFraction != split.DatasetFraction)
            yield return $"Validation:HeldOutFraction: {runInfoPath} records {recordedSplit.DatasetFraction:R}, now {split.DatasetFraction:R}{Fix("Validation:HeldOutFraction")}";
        if (!recordedSplit.HeldOutFamilies.Order().SequenceEqual(split.HeldOutFamilies.Order()))
            yield return $"Validation:HeldOutFamilies: {runInfoPath} records [{string.Join(", ", recordedSplit.HeldOutFamilies.Order())}], " +
                         $"now [{string.Join(", ", split.HeldOutFamilies.Order())}]{Fix("Validation:HeldOutFamilies")}";
    }

    private static string Describe(Dictionary<string, double> mixture) =>
        string.Join(", ", mixture.OrderBy(m => m.Key, StringComparer.OrdinalIgnoreCase).Select(m => $"{m.Key.ToLowerInvariant()}: {m.Value:R}"));

    private static string Describe(List<DatasetOptions> datasets) =>
        string.Join(", ", datasets.Select(d => $"{Path.GetFullPath(d.Path)} × {d.Weight:R}"));
}
