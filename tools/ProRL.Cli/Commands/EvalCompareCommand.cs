using System.ComponentModel;
using System.Globalization;
using ProRL.Evaluation.Comparison;
using ProRL.Evaluation.Plotting;
using ProRL.Evaluation.Reports;
using ProRL.Onnx.IO;
using Spectre.Console;
using Spectre.Console.Cli;

namespace ProRL.Cli.Commands;

/// <summary>
/// `prorl eval compare A.json B.json`: pass@k side by side (per domain, per k: A, B, B − A), both curves on one PNG, and
/// the problems one model solves at some k that the other never does (the ProRL paper's reasoning-boundary evidence).
/// </summary>
public sealed class EvalCompareCommand : Command<EvalCompareCommand.Settings>
{
    public sealed class Settings : EvalSettings
    {
        [CommandArgument(0, "<A>"), Description("First report (e.g. the base model).")]
        public string A { get; init; } = "";

        [CommandArgument(1, "<B>"), Description("Second report (e.g. the trained model).")]
        public string B { get; init; } = "";

        [CommandOption("--out <PNG>"), Description("Plot of both curves.")]
        public string Out { get; init; } = "compare.png";

        [CommandOption("--label-a <TEXT>"), Description("Name of A in the table and plot (default: its file name).")]
        public string? LabelA { get; init; }

        [CommandOption("--label-b <TEXT>")] public string? LabelB { get; init; }

        [CommandOption("--list <N>"), Description("Boundary problems listed per side (default 20).")]
        public int List { get; init; } = 20;
    }

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        var labelA = settings.LabelA ?? Path.GetFileNameWithoutExtension(settings.A);
        var labelB = settings.LabelB ?? Path.GetFileNameWithoutExtension(settings.B);
        if (labelA == labelB) (labelA, labelB) = ($"A:{labelA}", $"B:{labelB}");
        EvaluationReport a, b;
        ReportComparison comparison;
        try
        {
            if (settings.List < 0) throw new ArgumentException($"--list must be ≥ 0 (got {settings.List}).");
            a = ReportJson.Load(settings.A);
            b = ReportJson.Load(settings.B);
            comparison = ReportComparison.Compare(a, b);
        }
        catch (Exception e) when (e is IOException or InvalidDataException or ArgumentException)
        {
            AnsiConsole.MarkupLineInterpolated($"[red]error:[/] {e.Message}");
            return 1;
        }
        foreach (var warning in comparison.Warnings) AnsiConsole.MarkupLineInterpolated($"[yellow]note:[/] {warning}");
        AnsiConsole.Write(Table(comparison, labelA, labelB));
        AnsiConsole.MarkupLineInterpolated(
            $"{comparison.SharedProblems} problems in both reports; {comparison.OnlyInA} only in {labelA}, {comparison.OnlyInB} only in {labelB} (left out of the lists below).");
        WriteBoundary($"solved by {labelA} at some k, never by {labelB}", comparison.SolvedOnlyByA, settings.List);
        WriteBoundary($"solved by {labelB} at some k, never by {labelA}", comparison.SolvedOnlyByB, settings.List);

        AtomicFile.WriteAllBytes(settings.Out, PassAtKPlot.RenderComparisonPng(a, labelA, b, labelB));
        AnsiConsole.MarkupLineInterpolated($"plot: {Path.GetFullPath(settings.Out)}");
        return 0;
    }

    private static Table Table(ReportComparison comparison, string labelA, string labelB)
    {
        var table = new Table().AddColumns("group", "k").AddColumn(new TableColumn(Markup.Escape(labelA)).RightAligned())
            .AddColumn(new TableColumn(Markup.Escape(labelB)).RightAligned()).AddColumn(new TableColumn("Δ (B − A)").RightAligned());
        foreach (var row in comparison.Rows)
            table.AddRow(Markup.Escape(row.Group), $"pass@{row.K.ToString(CultureInfo.InvariantCulture)}", Value(row.A), Value(row.B), Delta(row.Delta));
        return table;
    }

    private static string Value(double? value) => value is { } v ? EvalCommand.Format(v) : "[grey]–[/]";

    private static string Delta(double? delta) => delta switch
    {
        null => "[grey]–[/]",
        > 0 => $"[green]+{EvalCommand.Format(delta.Value)}[/]",
        < 0 => $"[red]{EvalCommand.Format(delta.Value)}[/]",
        _ => EvalCommand.Format(0),
    };

    private static void WriteBoundary(string title, IReadOnlyList<BoundaryProblem> problems, int limit)
    {
        AnsiConsole.MarkupLineInterpolated($"[bold]{problems.Count} {title}[/]");
        foreach (var p in problems.Take(limit))
            AnsiConsole.MarkupLineInterpolated($"  {p.Id} ({p.Domain}): {p.SolverCorrect}/{p.SolverSamples} correct vs 0/{p.OtherSamples}");
        if (problems.Count > limit) AnsiConsole.MarkupLineInterpolated($"  … and {problems.Count - limit} more (see --list)");
    }
}
