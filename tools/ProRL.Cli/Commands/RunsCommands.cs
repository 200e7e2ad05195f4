using System.ComponentModel;
using System.Globalization;
using System.Text.Json;
using ProRL.Cli.Runs;
using Spectre.Console;
using Spectre.Console.Cli;

namespace ProRL.Cli.Commands;

/// <summary>`prorl runs list [ROOT]`: one line per run directory under ROOT (default runs/).</summary>
public sealed class RunsListCommand : Command<RunsListCommand.Settings>
{
    public sealed class Settings : CommandSettings
    {
        [CommandArgument(0, "[ROOT]"), Description("A run directory, or a folder of run directories (default: runs).")]
        public string Root { get; init; } = "runs";
    }

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        var runs = RunSummary.FindRuns(settings.Root);
        if (runs.Count == 0)
        {
            AnsiConsole.MarkupLine($"no run directories in {Markup.Escape(Path.GetFullPath(settings.Root))}");
            return 0;
        }
        var table = new Table().AddColumns("run", "state", "step", "policy", "reference", "resets", "last validation", "disk");
        foreach (var path in runs)
        {
            var s = RunSummary.Read(path);
            table.AddRow(Markup.Escape(Path.GetFileName(path)), Markup.Escape(s.State), Show(s.Step), Show(s.Policy?.Version),
                Show(s.Reference?.Version), s.Resets.Count.ToString(CultureInfo.InvariantCulture),
                Markup.Escape(RunsShowCommand.Validation(s)), RunsShowCommand.Bytes(s.DiskBytes));
        }
        AnsiConsole.Write(table);
        return 0;
    }

    private static string Show(long? v) => v?.ToString(CultureInfo.InvariantCulture) ?? "-";
}

/// <summary>`prorl runs show RUN [--json]`: state, step, latest policy and reference, reset history, last validation, disk use.</summary>
public sealed class RunsShowCommand : Command<RunsShowCommand.Settings>
{
    public sealed class Settings : CommandSettings
    {
        [CommandArgument(0, "<RUN>"), Description("Run directory.")]
        public string Run { get; init; } = "";

        [CommandOption("--json"), Description("Print the summary as JSON.")]
        public bool Json { get; init; }
    }

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        var s = RunSummary.Read(settings.Run);
        if (settings.Json)
        {
            Console.Out.WriteLine(JsonSerializer.Serialize(s, new JsonSerializerOptions(JsonSerializerDefaults.Web) { WriteIndented = true }));
            return 0;
        }
        var table = new Table().AddColumns("property", "value").HideHeaders();
        void Row(string name, string value) => table.AddRow(Markup.Escape(name), Markup.Escape(value));
        Row("run", $"{s.Path}{(s.RunId is null ? "" : $" ({s.RunId})")}");
        if (s.ModelPath is not null) Row("model", s.ModelPath);
        if (s.CreatedUtc is { } created) Row("created", created.ToString("u", CultureInfo.InvariantCulture));
        Row("state", s.State);
        Row("step", s.Step is { } step ? $"{step}{(s.Phase is null ? "" : $" ({s.Phase})")}" : "none committed");
        Row("policy", s.Policy is { } p ? $"v{p.Version}, committed {p.CreatedUtc.ToString("u", CultureInfo.InvariantCulture)}" : "none");
        Row("reference", s.Reference is { } r
            ? $"v{r.Version}" + (r.SourcePolicyVersion is { } src ? $" (copy of policy v{src})" : "") + (r.ResetRule is { } rule ? $", rule {rule}" : "")
            : "none");
        Row("last activity", s.LastActivityUtc?.ToString("u", CultureInfo.InvariantCulture) ?? "none");
        foreach (var h in s.Hosts)
            Row($"host {h.Instance}", $"{(h.Alive ? "alive" : "gone")}: pid {h.ProcessId} on {h.Machine}, started {h.StartedUtc.ToString("u", CultureInfo.InvariantCulture)}, services {string.Join(" ", h.Services)}");
        Row("last validation", Validation(s));
        Row("disk", $"{Bytes(s.DiskBytes)} ({string.Join(", ", s.DiskBytesByEntry.Where(e => e.Value > 0).OrderByDescending(e => e.Value).Take(6).Select(e => $"{e.Key} {Bytes(e.Value)}"))})");
        AnsiConsole.Write(table);
        if (s.Resets.Count > 0)
        {
            var resets = new Table().AddColumns("step", "time", "rule", "message");
            foreach (var reset in s.Resets)
                resets.AddRow(reset.Step.ToString(CultureInfo.InvariantCulture), reset.Time?.ToString("u", CultureInfo.InvariantCulture) ?? "",
                    Markup.Escape(reset.Rule ?? ""), Markup.Escape(reset.Message));
            AnsiConsole.MarkupLine("reference resets:");
            AnsiConsole.Write(resets);
        }
        else AnsiConsole.MarkupLine("reference resets: none");
        return 0;
    }

    public static string Validation(RunSummary s) =>
        s.LastValidation is { } v
            ? $"step {v.Step}: " + string.Join(", ", v.PassAtK.OrderBy(p => int.TryParse(p.Key, out var k) ? k : int.MaxValue)
                .Select(p => $"pass@{p.Key} {p.Value.ToString("F3", CultureInfo.InvariantCulture)}"))
            : "none";

    public static string Bytes(long bytes) => bytes switch
    {
        >= 1L << 30 => (bytes / (double)(1L << 30)).ToString("F1", CultureInfo.InvariantCulture) + " GiB",
        >= 1L << 20 => (bytes / (double)(1L << 20)).ToString("F1", CultureInfo.InvariantCulture) + " MiB",
        >= 1L << 10 => (bytes / (double)(1L << 10)).ToString("F1", CultureInfo.InvariantCulture) + " KiB",
        _ => bytes.ToString(CultureInfo.InvariantCulture) + " B",
    };
}

/// <summary>`prorl runs plot RUN... --metric KEY... --out PNG`: the runs' curves on shared axes, one panel per metric.</summary>
public sealed class RunsPlotCommand : Command<RunsPlotCommand.Settings>
{
    public sealed class Settings : CommandSettings
    {
        [CommandArgument(0, "<RUNS>"), Description("Run directories; each may be written LABEL=DIR to name it in the legend.")]
        public string[] Runs { get; init; } = [];

        [CommandOption("--metric <KEY>"), Description("A metrics.jsonl key, once per panel (default: entropy and reward/mean).")]
        public string[]? Metrics { get; init; }

        [CommandOption("--out <PNG>"), Description("The plot to write.")]
        public string Out { get; init; } = "runs.png";

        [CommandOption("--width <PX>")] public int Width { get; init; } = 1200;
        [CommandOption("--height <PX>")] public int Height { get; init; } = 900;
    }

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        try
        {
            if (settings.Width < 100 || settings.Height < 100) throw new ArgumentException($"--width and --height must be at least 100 pixels (got {settings.Width}×{settings.Height}).");
            var runs = settings.Runs.Select(ReadRun).ToList();
            var metrics = settings.Metrics is { Length: > 0 } m ? m : [ProRL.Worker.RunDirectory.MetricNames.Entropy, ProRL.Worker.RunDirectory.MetricNames.RewardMean];
            ProRL.Onnx.IO.AtomicFile.WriteAllBytes(settings.Out, RunCurvesPlot.RenderPng(runs, metrics, settings.Width, settings.Height));
        }
        catch (Exception e) when (e is IOException or ArgumentException or InvalidDataException or System.Text.Json.JsonException)
        {
            AnsiConsole.MarkupLineInterpolated($"[red]error:[/] {e.Message}");
            return 1;
        }
        AnsiConsole.MarkupLineInterpolated($"plot: {Path.GetFullPath(settings.Out)}");
        return 0;
    }

    private static LabelledRun ReadRun(string argument)
    {
        int equals = argument.IndexOf('=');
        var (label, directory) = equals > 0 ? (argument[..equals], argument[(equals + 1)..]) : (Path.GetFileName(Path.TrimEndingDirectorySeparator(argument)), argument);
        var metricsPath = Path.Combine(directory, "metrics.jsonl");
        if (!File.Exists(metricsPath)) throw new FileNotFoundException($"'{directory}' is not a run directory: it has no metrics.jsonl.", metricsPath);
        var records = File.ReadLines(metricsPath).Where(l => l.Length > 0)
            .Select(l => System.Text.Json.Nodes.JsonNode.Parse(l) as System.Text.Json.Nodes.JsonObject
                         ?? throw new InvalidDataException($"'{metricsPath}' has a line that is not a JSON object."))
            .ToList();
        return new LabelledRun(label, records);
    }
}
