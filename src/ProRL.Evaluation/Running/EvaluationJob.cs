using ProRL.Evaluation.Plotting;
using ProRL.Evaluation.Reports;
using ProRL.Evaluation.TaskSelection;
using ProRL.Onnx.IO;
using ProRL.Rollout.Engine;
using ProRL.Tasks.Sandbox;
using ProRL.Tasks.Verification;

namespace ProRL.Evaluation.Running;

/// <summary>Everything one <c>prorl eval</c> run needs.</summary>
public sealed record EvaluationJobOptions
{
    public required string ModelPath { get; init; }
    /// <summary>The task spec: domains, families and dataset files, comma-separated.</summary>
    public required string Tasks { get; init; }
    public required string ReportPath { get; init; }
    public EvaluationSettings Settings { get; init; } = new();
    public TaskSelectionOptions Selection { get; init; } = new();
    public string ExecutionProvider { get; init; } = "cpu";
    public int IntraOpThreads { get; init; }
    /// <summary>How prompts are rendered (<see cref="Rollout.Engine.ChatTemplates"/>).</summary>
    public string ChatTemplate { get; init; } = Rollout.Engine.ChatTemplates.Auto;
}

public sealed record EvaluationJobResult(EvaluationReport Report, string ReportPath, string PlotPath, int Problems);

/// <summary>
/// The whole <c>prorl eval</c> flow: check the inputs (spec, k, files) before loading anything, select the problems,
/// load the model, sample and score, then write the JSON report and its PNG plot beside it.
/// </summary>
public static class EvaluationJob
{
    /// <summary>The plot is written next to the report, with the same name and a .png extension.</summary>
    public static string PlotPathFor(string reportPath) => Path.ChangeExtension(reportPath, ".png");

    public static async Task<EvaluationJobResult> RunAsync(EvaluationJobOptions options, Action<EvaluationProgress>? progress = null,
        Action<string>? log = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        var spec = TaskSpec.Parse(options.Tasks);
        var settings = options.Settings with { TasksDescription = options.Tasks };
        settings.Validate();
        var problems = await TaskSetBuilder.BuildAsync(spec, options.Selection with { Warn = options.Selection.Warn ?? log }, cancellationToken)
            .ConfigureAwait(false);
        log?.Invoke($"{problems.Count} problem{(problems.Count == 1 ? "" : "s")} from {spec.Entries.Count} task spec entr{(spec.Entries.Count == 1 ? "y" : "ies")}, {settings.SamplesPerProblem} samples each.");

        using var engine = new RolloutEngine(new RolloutEngineOptions
        {
            ModelPath = options.ModelPath, ExecutionProvider = options.ExecutionProvider, IntraOpThreads = options.IntraOpThreads,
            ChatTemplate = options.ChatTemplate,
        });
        var scorer = RewardScorer.CreateDefault(new LazyCodeRunner(() => new ProcessSandbox(new ProcessSandboxOptions { Warn = log })));
        var report = await new EvaluationRunner(engine, scorer).RunAsync(problems, settings, progress, cancellationToken).ConfigureAwait(false);
        report = report with
        {
            ConstantBaseline = await ConstantAnswerBaseline.FindAsync(problems, scorer, settings.CorrectThreshold, cancellationToken).ConfigureAwait(false),
            ConstantBaselineBySource = await ConstantAnswerBaseline.FindPerSourceAsync(problems, scorer, settings.CorrectThreshold, cancellationToken).ConfigureAwait(false),
        };

        ReportJson.Save(report, options.ReportPath);
        var plotPath = PlotPathFor(options.ReportPath);
        AtomicFile.WriteAllBytes(plotPath, PassAtKPlot.RenderPng(report, $"pass@k — {Path.GetFileName(Path.TrimEndingDirectorySeparator(engine.Folder.Directory))}"));
        return new EvaluationJobResult(report, Path.GetFullPath(options.ReportPath), Path.GetFullPath(plotPath), problems.Count);
    }
}
