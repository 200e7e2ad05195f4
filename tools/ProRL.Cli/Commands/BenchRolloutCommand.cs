using System.ComponentModel;
using System.Globalization;
using ProRL.Rollout.Engine;
using Spectre.Console;
using Spectre.Console.Cli;

namespace ProRL.Cli.Commands;

/// <summary>`prorl bench rollout`: engine (with log-prob capture) vs the bare GenAI loop, same prompts, same run.</summary>
public sealed class BenchRolloutCommand : Command<BenchRolloutCommand.Settings>
{
    public sealed class Settings : CommandSettings
    {
        [CommandOption("--model <DIR>"), Description("GenAI model folder.")]
        public string? Model { get; init; }

        [CommandOption("--prompts <N>"), Description("Distinct prompts of mixed lengths.")] public int Prompts { get; init; } = 4;
        [CommandOption("-n|--samples <N>"), Description("Samples per prompt.")] public int N { get; init; } = 8;
        [CommandOption("--max-new-tokens <N>")] public int MaxNewTokens { get; init; } = 128;
        [CommandOption("--temperature <T>")] public double Temperature { get; init; } = 1.2;
        [CommandOption("--repeats <N>")] public int Repeats { get; init; } = 5;
        [CommandOption("--warmup <N>")] public int Warmup { get; init; } = 1;
        [CommandOption("--seed <N>")] public ulong Seed { get; init; }
        [CommandOption("--threads <N>"), Description("ONNX Runtime intra-op threads (0 = GenAI default).")] public int Threads { get; init; }
        [CommandOption("--provider <NAME>")] public string Provider { get; init; } = "cpu";

        public override ValidationResult Validate()
        {
            if (string.IsNullOrWhiteSpace(Model)) return ValidationResult.Error("--model is required.");
            if (Prompts < 1) return ValidationResult.Error("--prompts must be at least 1.");
            if (Repeats < 1) return ValidationResult.Error("--repeats must be at least 1.");
            if (Warmup < 0) return ValidationResult.Error("--warmup must be ≥ 0.");
            if (Threads < 0) return ValidationResult.Error("--threads must be ≥ 0.");
            return ValidationResult.Success();
        }
    }

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        InputChecks.RequireModel(settings.Model);
        using var engine = new RolloutEngine(new RolloutEngineOptions
        {
            ModelPath = settings.Model!, ExecutionProvider = settings.Provider, IntraOpThreads = settings.Threads,
        });
        var prompts = Enumerable.Range(0, settings.Prompts).Select(BenchPrompt).ToArray();
        var sampling = new SamplingSettings
        {
            SamplesPerPrompt = settings.N, Temperature = settings.Temperature, MaxNewTokens = settings.MaxNewTokens, Seed = settings.Seed,
        };
        var result = RolloutBenchmark.Run(engine, prompts, sampling, settings.Repeats, settings.Warmup,
            line => AnsiConsole.WriteLine(line), cancellationToken);

        var table = new Table().AddColumns("loop", "new tokens / run", "tokens/s (median)", "tokens per CPU-s (median)");
        void Row(string name, LoopThroughput t) => table.AddRow(name, t.TokensPerRun.ToString(CultureInfo.InvariantCulture),
            t.TokensPerSecond.ToString("F0", CultureInfo.InvariantCulture), t.TokensPerCpuSecond.ToString("F0", CultureInfo.InvariantCulture));
        Row("bare GenAI", result.Bare);
        Row("engine + log-probs", result.Engine);
        AnsiConsole.Write(table);
        AnsiConsole.WriteLine(FormattableString.Invariant(
            $"ratio engine / bare: {result.Ratio:F3} (wall), {result.MedianPairedRatio:F3} (median of paired runs), {result.CpuRatio:F3} (CPU time); ") +
            FormattableString.Invariant($"rows {settings.Prompts * settings.N}, max new tokens {settings.MaxNewTokens}, repeats {settings.Repeats}"));
        return 0;
    }

    /// <summary>Deterministic chat prompts whose lengths differ, so batches are right-padded as in training.</summary>
    private static RolloutPrompt BenchPrompt(int i) =>
        RolloutPrompt.User($"Problem {i}: compute {i * 37 % 101} + {i * 53 % 97}." + string.Concat(Enumerable.Repeat(" Show your work.", i % 4)));
}
