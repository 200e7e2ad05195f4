using System.ComponentModel;
using System.Globalization;
using System.Text.Json.Nodes;
using ProRL.Tasks.Datasets;
using ProRL.Tasks.Mathematics;
using ProRL.Tasks.Model;
using ProRL.Tasks.Sandbox;
using ProRL.Tasks.Text;
using ProRL.Tasks.Verification;
using Spectre.Console;
using Spectre.Console.Cli;

namespace ProRL.Cli.Commands;

/// <summary>
/// `prorl score --input FILE.jsonl [--out FILE]`: scores lines <c>{"task": TASK, "response": TEXT}</c> with the domain
/// verifiers and prints per-domain means; with --out, writes each line back with <c>reward</c> and <c>reason</c>.
/// A task needs its reference (answer, tests, instructions), not its prompt. `prorl score --audit` lists, per domain,
/// the hack classes the verifiers are tested against.
/// </summary>
public sealed class ScoreCommand : AsyncCommand<ScoreCommand.Settings>
{
    public sealed class Settings : CommandSettings
    {
        [CommandOption("--input <FILE>"), Description("JSONL file of {\"task\": TASK, \"response\": TEXT} lines.")]
        public string? Input { get; init; }

        [CommandOption("--out <FILE>"), Description("Write each line back with reward and reason added.")]
        public string? Out { get; init; }

        [CommandOption("--format <CHECK>"), Description("R1 format check: none (default) or think (<think>…</think> then the answer).")]
        public string Format { get; init; } = "none";

        [CommandOption("--audit"), Description("List, per domain, the reward hacks the verifiers are tested against, and exit.")]
        public bool Audit { get; init; }

        [CommandOption("--concurrency <N>"), Description("Lines scored at once (code runs are capped by the sandbox too).")]
        public int Concurrency { get; init; } = Math.Max(1, Environment.ProcessorCount);

        [CommandOption("--explain"), Description("For math lines, print what was extracted, by which rule, and the normalised forms compared.")]
        public bool Explain { get; init; }

        public override ValidationResult Validate()
        {
            if (Audit) return ValidationResult.Success();
            if (string.IsNullOrWhiteSpace(Input)) return ValidationResult.Error("--input is required");
            if (!File.Exists(Input)) return ValidationResult.Error($"--input: file not found: {Input}");
            if (Format is not ("none" or "think")) return ValidationResult.Error($"--format must be 'none' or 'think', not '{Format}'");
            if (Concurrency < 1) return ValidationResult.Error("--concurrency must be at least 1");
            return ValidationResult.Success();
        }
    }

    public override async Task<int> ExecuteAsync(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        if (settings.Audit)
        {
            var audit = new Table().AddColumns("domain", "hack class", "what it tries");
            foreach (var domain in HackClasses.Domains)
            {
                var classes = HackClasses.For(domain).ToList();
                if (classes.Count == 0) audit.AddRow(domain, "[grey](none listed)[/]", "");
                foreach (var h in classes) audit.AddRow(Markup.Escape(domain), Markup.Escape(h.Id), Markup.Escape(h.Description));
            }
            AnsiConsole.Write(audit);
            AnsiConsole.MarkupLine("Each class has red-team tests (tests/ProRL.Tasks.Tests/RedTeam) that earn 0 while the honest answer earns 1.");
            return 0;
        }
        var lines = await File.ReadAllLinesAsync(settings.Input!, cancellationToken);
        var format = settings.Format == "think" ? FormatRequirement.ThinkThenAnswer : FormatRequirement.None;
        // The sandbox is only built when a code task is present, so other domains score on hosts without it.
        var codeRunner = new LazyCodeRunner(() => new ProcessSandbox(new ProcessSandboxOptions
        {
            MaxConcurrency = settings.Concurrency,
            Warn = m => AnsiConsole.MarkupLine($"[yellow]{Markup.Escape(m)}[/]"),
        }), e => AnsiConsole.MarkupLine($"[red]code answers are refused (scored 0): {Markup.Escape(e.Message)}[/]"));
        var scorer = RewardScorer.CreateDefault(codeRunner, format);
        var scored = await ScoredLines.ScoreAsync(scorer, lines, settings.Concurrency, cancellationToken);

        foreach (var bad in scored.Where(s => s.Error is not null))
            AnsiConsole.MarkupLine($"[yellow]{Markup.Escape($"{settings.Input}:{bad.LineNumber}: skipped: {bad.Error}")}[/]");

        if (settings.Explain) ExplainMath(scored);

        var table = new Table().AddColumns("domain", "lines", "mean reward", "fully correct");
        foreach (var d in ScoredLines.Summarize(scored))
            table.AddRow(d.Domain, d.Count.ToString(CultureInfo.InvariantCulture), d.MeanReward.ToString("0.000", CultureInfo.InvariantCulture),
                d.FullyCorrect.ToString(CultureInfo.InvariantCulture));
        AnsiConsole.Write(table);

        if (settings.Out is { } outPath)
        {
            var temp = outPath + ".tmp";
            await File.WriteAllLinesAsync(temp, scored.Select(s => s.ToOutputJson()), cancellationToken);
            File.Move(temp, outPath, overwrite: true);
            AnsiConsole.MarkupLine($"wrote {scored.Count} scored lines to [bold]{Markup.Escape(outPath)}[/]");
        }
        return scored.Any(s => s.Error is not null) && scored.All(s => s.Error is not null) ? 1 : 0;
    }

    /// <summary>--explain: re-reads each scored math line and prints the verifier's extraction and comparison.</summary>
    private static void ExplainMath(IReadOnlyList<ScoredLine> scored)
    {
        var verifier = new MathVerifier();
        foreach (var line in scored.Where(s => s.Result is not null && s.Domain == TaskDomains.Math && s.Original is not null))
        {
            if (line.Original!["task"] is not JsonObject taskJson || line.Original["response"]?.GetValue<string>() is not { } response) continue;
            var task = TaskJson.FromJson(taskJson, $"line-{line.LineNumber}");
            // The scorer gives verifiers the text after </think>; explain the same text.
            AnsiConsole.WriteLine($"line {line.LineNumber}: {verifier.Explain(task, ResponseText.AfterThinking(response)).Describe()}");
        }
    }
}
