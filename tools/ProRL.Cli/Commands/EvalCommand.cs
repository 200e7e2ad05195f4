using System.ComponentModel;
using System.Globalization;
using ProRL.Evaluation.Reports;
using ProRL.Evaluation.Running;
using ProRL.Evaluation.TaskSelection;
using Spectre.Console;
using Spectre.Console.Cli;

namespace ProRL.Cli.Commands;

/// <summary>Options shared by the `prorl eval` branch (its default command runs an evaluation; `compare` compares two).</summary>
public class EvalSettings : CommandSettings;

/// <summary>
/// `prorl eval`: samples a model n times on each problem of a task spec, scores with the verifiers, and writes per-domain
/// and per-problem pass@k (with bootstrap intervals) to a JSON report plus a PNG plot of pass@k against k beside it.
/// </summary>
public sealed class EvalCommand : AsyncCommand<EvalCommand.Settings>
{
    public sealed class Settings : EvalSettings
    {
        [CommandOption("--model <DIR>"), Description("GenAI model folder.")]
        public string? Model { get; init; }

        [CommandOption("--tasks <SPEC>"),
         Description("Comma-separated domains (logic), families (logic:maze_shortest_path, logic:held-out, math:arithmetic, stem:samples) and dataset files (.jsonl/.parquet).")]
        public string? Tasks { get; init; }

        [CommandOption("--samples <N>"), Description("Samples per problem (the n of pass@k).")]
        public int Samples { get; init; } = 16;

        [CommandOption("-k|--pass-at-k <LIST>"), Description("Comma-separated k values, each ≤ --samples (default 1,2,4,…,n). (Spectre.Console.Cli allows no one-letter long option, so not --k.)")]
        public string? K { get; init; }

        [CommandOption("--temperature <T>")] public double Temperature { get; init; } = 0.6;
        [CommandOption("--top-p <P>")] public double TopP { get; init; } = 0.95;
        [CommandOption("--max-new-tokens <N>")] public int MaxNewTokens { get; init; } = 1024;

        [CommandOption("--problems <P>"), Description("Problems per family, sample set or file (default: 8 per generated family, all of a dataset).")]
        public int? Problems { get; init; }

        [CommandOption("--difficulty <MIN[-MAX]>"), Description("Difficulty of generated problems; a range is cycled through (default 0).")]
        public string Difficulty { get; init; } = "0";

        [CommandOption("--seed <S>"), Description("Seeds both the generated problems and the sampling.")]
        public int Seed { get; init; }

        [CommandOption("--held-out-seeds"),
         Description("Generate problems from negative seeds, which training mixtures never use (they draw seeds in [[0, 2^31)).")]
        public bool HeldOutSeeds { get; init; }

        [CommandOption("--chat-template <NAME|FILE>"), Description("auto (the model's chat_template, raw text without one), none, chatml, llama3, or a Jinja file.")]
        public string ChatTemplate { get; init; } = "auto";

        [CommandOption("--system-prompt <TEXT>"), Description("System message placed before each problem.")]
        public string? SystemPrompt { get; init; }

        [CommandOption("--out <FILE>"), Description("Report path; the plot is written beside it as .png.")]
        public string Out { get; init; } = "eval-report.json";

        [CommandOption("--provider <NAME>"), Description("cpu (default) or cuda (CUDA build).")]
        public string Provider { get; init; } = "cpu";

        [CommandOption("--threads <N>"), Description("ONNX Runtime intra-op threads (0 = default).")]
        public int Threads { get; init; }

        /// <summary>
        /// The job these options describe, checked before anything loads. Checked here rather than in Validate so that a
        /// bad option ends in one "error:" line and exit code 1, like every other input error of this command.
        /// </summary>
        public EvaluationJobOptions ToCheckedJob()
        {
            if (string.IsNullOrWhiteSpace(Model)) throw new ArgumentException("--model is required.");
            InputChecks.RequireModel(Model);
            if (string.IsNullOrWhiteSpace(Tasks)) throw new ArgumentException("--tasks is required (e.g. --tasks logic or --tasks logic:held-out,tasks.jsonl).");
            TaskSpec.Parse(Tasks);
            var (minDifficulty, maxDifficulty) = DifficultyRange();
            var job = new EvaluationJobOptions
            {
                ModelPath = Model,
                Tasks = Tasks,
                ReportPath = Out,
                ExecutionProvider = Provider,
                IntraOpThreads = Threads,
                ChatTemplate = ChatTemplate,
                Selection = new TaskSelectionOptions
                {
                    ProblemsPerSource = Problems, Seed = Seed, MinDifficulty = minDifficulty, MaxDifficulty = maxDifficulty,
                    HeldOutSeeds = HeldOutSeeds,
                },
                Settings = new EvaluationSettings
                {
                    SamplesPerProblem = Samples, K = ParseK(), Temperature = Temperature, TopP = TopP, MaxNewTokens = MaxNewTokens,
                    Seed = (ulong)(uint)Seed, SystemPrompt = SystemPrompt,
                },
            };
            job.Settings.Validate();
            job.Selection.Validate();
            return job;
        }

        private int[] ParseK() => string.IsNullOrWhiteSpace(K) ? [] : K.Split(',').Select(v => ParseInt(v, "-k")).ToArray();

        private (int Min, int Max) DifficultyRange()
        {
            var parts = Difficulty.Split('-');
            if (parts.Length > 2) throw new FormatException($"--difficulty '{Difficulty}' must be MIN or MIN-MAX.");
            int min = ParseInt(parts[0], "--difficulty");
            return (min, parts.Length == 2 ? ParseInt(parts[1], "--difficulty") : min);
        }

        private static int ParseInt(string text, string option) =>
            int.TryParse(text.Trim(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var value)
                ? value
                : throw new FormatException($"{option}: '{text.Trim()}' is not an integer.");
    }

    public override async Task<int> ExecuteAsync(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        EvaluationJobResult result;
        try
        {
            var job = settings.ToCheckedJob();
            result = await AnsiConsole.Progress()
                .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn(), new RemainingTimeColumn())
                .StartAsync(async ctx =>
                {
                    var task = ctx.AddTask("problems", autoStart: true, maxValue: 1);
                    return await EvaluationJob.RunAsync(job, p =>
                        {
                            task.MaxValue = Math.Max(1, p.ProblemsTotal);
                            task.Value = p.ProblemsDone;
                            task.Description = $"problems {p.ProblemsDone}/{p.ProblemsTotal}, samples {p.SamplesDone}";
                        },
                        message => AnsiConsole.MarkupLineInterpolated($"[grey]{message}[/]"), cancellationToken);
                });
        }
        catch (Exception e) when (e is ArgumentException or IOException or InvalidDataException or FormatException or InvalidOperationException)
        {
            AnsiConsole.MarkupLineInterpolated($"[red]error:[/] {e.Message}");
            return 1;
        }
        AnsiConsole.Write(SummaryTable(result.Report));
        if (result.Report.ConstantBaseline is { Answer: not null } baseline)
            AnsiConsole.MarkupLineInterpolated(
                $"best constant answer '{baseline.Answer}' on all {baseline.Problems} answerable problems: pass rate {Format(baseline.PassRate)}, mean reward {Format(baseline.MeanReward)}");
        if (result.Report.ConstantBaselineBySource is { Count: > 1 } bySource)
            AnsiConsole.MarkupLineInterpolated(
                $"best constant answer per source: pass rate {Format(ConstantAnswerBaseline.PerSourcePassRate(bySource))} ({string.Join(", ", bySource.Select(b => $"{b.Key} '{b.Value.Answer}' {Format(b.Value.PassRate)}"))})");
        AnsiConsole.MarkupLineInterpolated($"report: {result.ReportPath}");
        AnsiConsole.MarkupLineInterpolated($"plot:   {result.PlotPath}");
        return 0;
    }

    /// <summary>Mean pass@k per domain and overall (the intervals are in the report and the plot).</summary>
    private static Table SummaryTable(EvaluationReport report)
    {
        var table = new Table().AddColumn("group").AddColumn(new TableColumn("problems").RightAligned()).AddColumn(new TableColumn("mean reward").RightAligned());
        foreach (var k in report.K) table.AddColumn(new TableColumn($"pass@{k}").RightAligned());
        void Row(string name, PassAtKSummary s) =>
            table.AddRow([Markup.Escape(name), s.Problems.ToString(CultureInfo.InvariantCulture), Format(s.MeanReward),
                .. s.PassAtK.Select(p => Format(p.Mean))]);
        foreach (var (domain, summary) in report.Domains) Row(domain, summary);
        Row("all", report.Overall);
        return table;
    }

    internal static string Format(double value) => value.ToString("0.000", CultureInfo.InvariantCulture);
}
