using System.ComponentModel;
using System.Globalization;
using ProRL.Worker.Trainer;
using Spectre.Console;
using Spectre.Console.Cli;

namespace ProRL.Cli.Commands;

/// <summary>
/// `prorl sft`: the supervised warm-up (issue 6 item 7) on the built-in tasks' reference responses, with the
/// cross-entropy training artifacts; writes the trained weights as a GenAI model folder.
/// </summary>
public sealed class SftCommand : Command<SftCommand.Settings>
{
    public sealed class Settings : CommandSettings
    {
        [CommandOption("--model <DIR>"), Description("GenAI model folder to start from.")]
        public string? Model { get; init; }

        [CommandOption("--out <DIR>"), Description("Folder to write the trained model into (a GenAI model folder).")]
        public string? Out { get; init; }

        [CommandOption("--tasks <KEYS>"), Description("Comma-separated task keys as in Tasks:Mixture: logic, logic/FAMILY, math, stem (default logic/letter_counting).")]
        public string Tasks { get; init; } = "logic/letter_counting";

        [CommandOption("--steps <N>")] public int Steps { get; init; } = 40;
        [CommandOption("--batch <N>"), Description("Examples per optimizer step.")] public int Batch { get; init; } = 32;
        [CommandOption("--lr <RATE>")] public double Lr { get; init; } = 3e-3;
        [CommandOption("--seed <N>"), Description("Seed of the task stream.")] public int Seed { get; init; }
        [CommandOption("--difficulty <N>"), Description("Difficulty of the generated tasks.")] public int Difficulty { get; init; }
        [CommandOption("--threads <N>"), Description("ONNX Runtime intra-op threads (0 = one per core).")] public int Threads { get; init; }

        [CommandOption("--chat-template <NAME|FILE>"), Description("auto (the model's chat_template, raw text without one), none, chatml, llama3, or a Jinja file.")]
        public string ChatTemplate { get; init; } = "auto";

        [CommandOption("--cache <DIR>"), Description("Where the cross-entropy artifacts are built and kept (default: a prorl-sft folder under the temp folder).")]
        public string? Cache { get; init; }

        public override ValidationResult Validate()
        {
            try { ToOptions().Validate(); }
            catch (ArgumentException e) { return ValidationResult.Error(e.Message); }
            return ValidationResult.Success();
        }

        public SupervisedRunOptions ToOptions() => new()
        {
            ModelPath = Model ?? "",
            OutputPath = Out ?? "",
            CacheDirectory = Cache ?? Path.Combine(Path.GetTempPath(), "prorl-sft"),
            Tasks = Tasks.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries),
            Steps = Steps,
            BatchSize = Batch,
            LearningRate = Lr,
            Seed = Seed,
            Difficulty = Difficulty,
            Threads = Threads,
            ChatTemplate = ChatTemplate,
        };
    }

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        InputChecks.RequireTrainableModel(settings.Model);
        var options = settings.ToOptions();
        SupervisedRunResult? result = null;
        AnsiConsole.Progress()
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn())
            .Start(progress =>
            {
                var task = progress.AddTask("building artifacts", maxValue: options.Steps);
                result = SupervisedRun.Run(options, (step, r) =>
                {
                    task.Description = string.Create(CultureInfo.InvariantCulture, $"step {step}/{options.Steps}  loss {r.Loss:F4}");
                    task.Increment(1);
                }, cancellationToken);
            });

        var losses = result!.Losses;
        var table = new Table().AddColumns("measure", "value");
        table.AddRow("loss (first → last step)", string.Create(CultureInfo.InvariantCulture, $"{losses[0]:F4} → {losses[^1]:F4}"));
        table.AddRow("steps × batch", $"{options.Steps} × {options.BatchSize}");
        table.AddRow("artifacts", Markup.Escape(result.ArtifactsDirectory));
        table.AddRow("model written to", Markup.Escape(result.OutputPath));
        AnsiConsole.Write(table);
        return 0;
    }
}
