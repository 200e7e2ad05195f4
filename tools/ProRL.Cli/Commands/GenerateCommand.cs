using System.ComponentModel;
using System.Globalization;
using ProRL.Rollout.Engine;
using Spectre.Console;
using Spectre.Console.Cli;

namespace ProRL.Cli.Commands;

/// <summary>`prorl generate`: samples completions of one prompt and prints them with their log-probabilities.</summary>
public sealed class GenerateCommand : Command<GenerateCommand.Settings>
{
    public sealed class Settings : CommandSettings
    {
        [CommandOption("--model <DIR>"), Description("GenAI model folder.")]
        public string? Model { get; init; }

        [CommandOption("--prompt <TEXT>"), Description("User message (rendered with the chat template unless --raw).")]
        public string? Prompt { get; init; }

        [CommandOption("--chat-template <NAME|FILE>"), Description("auto (the model's chat_template, raw text without one), none, chatml, llama3, or a Jinja file.")]
        public string ChatTemplate { get; init; } = "auto";

        [CommandOption("--raw"), Description("Feed --prompt to the tokenizer as is, without the chat template.")]
        public bool Raw { get; init; }

        [CommandOption("-n|--samples <N>"), Description("Samples per prompt (Spectre.Console.Cli allows no one-letter long option, so `--n` is spelled -n).")] public int N { get; init; } = 16;
        [CommandOption("--temperature <T>"), Description("0 = greedy.")] public double Temperature { get; init; } = 1.2;
        [CommandOption("--top-p <P>")] public double TopP { get; init; } = 1.0;
        [CommandOption("--top-k <K>"), Description("0 = off.")] public int TopK { get; init; }
        [CommandOption("--max-new-tokens <N>")] public int MaxNewTokens { get; init; } = 64;
        [CommandOption("--stop <TEXT>"), Description("Stop string (repeatable).")] public string[] Stop { get; init; } = [];
        [CommandOption("--seed <N>")] public ulong Seed { get; init; }
        [CommandOption("--provider <NAME>"), Description("cpu (default) or cuda (CUDA build).")] public string Provider { get; init; } = "cpu";

        [CommandOption("--token-logprobs"), Description("Also print every token's log-probability.")]
        public bool TokenLogProbs { get; init; }

        public SamplingSettings ToSampling() => new()
        {
            SamplesPerPrompt = N, Temperature = Temperature, TopP = TopP, TopK = TopK, MaxNewTokens = MaxNewTokens,
            StopStrings = Stop, Seed = Seed,
        };

        public override ValidationResult Validate()
        {
            if (string.IsNullOrWhiteSpace(Model)) return ValidationResult.Error("--model is required.");
            if (Prompt is null) return ValidationResult.Error("--prompt is required.");
            try { ToSampling().Validate(); }
            catch (ArgumentException e) { return ValidationResult.Error(e.Message); }
            return ValidationResult.Success();
        }
    }

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        InputChecks.RequireModel(settings.Model);
        using var engine = new RolloutEngine(new RolloutEngineOptions { ModelPath = settings.Model!, ExecutionProvider = settings.Provider, ChatTemplate = settings.ChatTemplate });
        var prompt = settings.Raw ? RolloutPrompt.Raw(settings.Prompt!) : RolloutPrompt.User(settings.Prompt!);
        var samples = engine.Generate([prompt], settings.ToSampling(), cancellationToken);

        var table = new Table().AddColumns("#", "finish", "tokens", "sum logprob", "text");
        foreach (var s in samples)
            table.AddRow(s.SampleIndex.ToString(CultureInfo.InvariantCulture), s.FinishReason.ToString().ToLowerInvariant(),
                s.CompletionTokenIds.Length.ToString(CultureInfo.InvariantCulture), s.SumLogProb.ToString("F3", CultureInfo.InvariantCulture),
                Markup.Escape(Printable(s.Text)));
        AnsiConsole.Write(table);
        if (settings.TokenLogProbs)
            foreach (var s in samples)
                AnsiConsole.WriteLine($"#{s.SampleIndex}: " + string.Join(" ", s.CompletionTokenIds.Zip(s.LogProbs,
                    (t, lp) => $"{t}:{lp.ToString("F3", CultureInfo.InvariantCulture)}")));
        return 0;
    }

    /// <summary>Control characters shown as escapes so that random bytes do not garble the terminal.</summary>
    private static string Printable(string text) =>
        string.Concat(text.Select(c => char.IsControl(c) ? $"\\x{(int)c:x2}" : c.ToString()));
}
