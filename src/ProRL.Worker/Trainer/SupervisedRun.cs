using ProRL.Rollout.Engine;
using ProRL.Tasks.Mixture;
using ProRL.Training.Artifacts;
using ProRL.Training.Heads;
using ProRL.Training.Session;
using ProRL.Training.Supervised;
using ProRL.Worker.Options;
using ProRL.Worker.RunDirectory;
using ProRL.Worker.Services.Tasks;
using ProRL.Worker.Services.Training;

namespace ProRL.Worker.Trainer;

/// <summary>What `prorl sft` does: which model, where the result goes, which tasks, and the optimizer schedule.</summary>
public sealed record SupervisedRunOptions
{
    public required string ModelPath { get; init; }
    public required string OutputPath { get; init; }
    /// <summary>Where the cross-entropy artifacts are built and kept (keyed by the model's hash, so a rerun reuses them).</summary>
    public required string CacheDirectory { get; init; }
    /// <summary>Task mixture keys as in <c>Tasks:Mixture</c> (e.g. <c>logic/letter_counting</c>, <c>math</c>), equally weighted.</summary>
    public IReadOnlyList<string> Tasks { get; init; } = ["logic/letter_counting"];
    public int Steps { get; init; } = 40;
    public int BatchSize { get; init; } = 32;
    public double LearningRate { get; init; } = 3e-3;
    public int Seed { get; init; }
    public int Difficulty { get; init; }
    /// <summary>ONNX Runtime intra-op threads (0 = one per core).</summary>
    public int Threads { get; init; }
    /// <summary>How prompts are rendered (<see cref="ChatTemplates"/>).</summary>
    public string ChatTemplate { get; init; } = ChatTemplates.Auto;

    public void Validate()
    {
        if (string.IsNullOrWhiteSpace(ModelPath)) throw new ArgumentException("The model folder (--model) is required.");
        if (string.IsNullOrWhiteSpace(OutputPath)) throw new ArgumentException("The output folder (--out) is required.");
        if (Tasks.Count == 0) throw new ArgumentException("At least one task (--tasks) is required.");
        if (Steps < 1) throw new ArgumentException($"--steps must be ≥ 1 (got {Steps}).");
        if (BatchSize < 1) throw new ArgumentException($"--batch must be ≥ 1 (got {BatchSize}).");
        if (!(LearningRate > 0 && LearningRate < 1)) throw new ArgumentException($"--lr must be in (0, 1) (got {LearningRate}).");
        if (Difficulty < 0) throw new ArgumentException($"--difficulty must be ≥ 0 (got {Difficulty}).");
    }

    /// <summary>The tasks as a <c>Tasks</c> section: every key weighted 1, difficulty fixed at <see cref="Difficulty"/>.</summary>
    public TasksOptions ToTasksOptions() => new()
    {
        Mixture = Tasks.ToDictionary(t => t, _ => 1.0, StringComparer.OrdinalIgnoreCase),
        MinDifficulty = Difficulty,
        MaxDifficulty = Difficulty,
    };
}

/// <summary>The figures of a supervised run: the loss of every step and the exported model folder.</summary>
public sealed record SupervisedRunResult(IReadOnlyList<double> Losses, string OutputPath, string ArtifactsDirectory);

/// <summary>
/// A stand-alone supervised warm-up (`prorl sft`): cross-entropy artifacts built (or reused) from the model folder,
/// <see cref="SupervisedPhase"/> steps on the built-in tasks' reference responses, then the weights exported as a GenAI
/// model folder that the rollout engine and the worker load like any other export.
/// </summary>
public static class SupervisedRun
{
    public static SupervisedRunResult Run(SupervisedRunOptions options, Action<int, SupervisedStepResult>? onStep = null,
        CancellationToken cancellationToken = default)
    {
        options.Validate();
        if (!File.Exists(Path.Combine(options.ModelPath, "genai_config.json")))
            throw new DirectoryNotFoundException($"'{options.ModelPath}' is not a GenAI model folder (no genai_config.json).");
        var hash = VersionManifest.Compute(options.ModelPath, 0).ContentHash();
        var artifacts = ArtifactsCache.GetOrBuild(options.CacheDirectory, options.ModelPath, hash,
            new TrainingGraphOptions { Head = LossHeadKind.CrossEntropy });

        using var session = TrainingSession.Open(artifacts, new TrainingSessionOptions { IntraOpThreads = options.Threads });
        session.LoadParametersFromModel(options.ModelPath);
        using var tokenizer = new RolloutEngine(new RolloutEngineOptions
        {
            ModelPath = options.ModelPath, IntraOpThreads = options.Threads, ChatTemplate = options.ChatTemplate,
        });
        var optimizer = new AdamWSettings { LearningRate = (float)options.LearningRate, WeightDecay = 0, MaxGradNorm = 1f };
        var phase = new SupervisedPhase(tokenizer, session, optimizer);
        var mixture = TaskMixtureFactory.Create(options.ToTasksOptions(), options.Seed);

        var losses = Train(phase, mixture, options.Steps, options.BatchSize, onStep, cancellationToken);
        session.ExportModel(options.ModelPath, options.OutputPath);
        return new SupervisedRunResult(losses, options.OutputPath, artifacts);
    }

    /// <summary>Runs <paramref name="steps"/> supervised steps on tasks drawn from <paramref name="mixture"/>; returns each step's loss.</summary>
    public static IReadOnlyList<double> Train(SupervisedPhase phase, TaskMixture mixture, int steps, int batchSize,
        Action<int, SupervisedStepResult>? onStep = null, CancellationToken cancellationToken = default)
    {
        var losses = new List<double>(steps);
        for (int i = 0; i < steps; i++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var result = phase.Step(mixture.Next, batchSize);
            losses.Add(result.Loss);
            onStep?.Invoke(i + 1, result);
        }
        return losses;
    }
}
