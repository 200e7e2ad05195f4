using System.Globalization;
using System.Text.Json;
using Spectre.Console;

namespace ProRL.Cli.Commands;

/// <summary>
/// Totals of ONNX Runtime profiler traces (Chrome tracing JSON, one per session): kernel time per op type, largest
/// first, so that a benchmark shows where a step's time goes.
/// </summary>
internal static class ProfileSummary
{
    public static void Print(string prefix, DateTime since, int top = 20)
    {
        var directory = Path.GetDirectoryName(Path.GetFullPath(prefix))!;
        var files = Directory.GetFiles(directory, Path.GetFileName(prefix) + "*.json")
            .Where(f => File.GetLastWriteTimeUtc(f) >= since).Order(StringComparer.Ordinal).ToList();
        if (files.Count == 0)
        {
            AnsiConsole.MarkupLine($"[yellow]No profile written under {Markup.Escape(prefix)}.[/]");
            return;
        }
        var totals = new Dictionary<string, (double Microseconds, long Runs)>(StringComparer.Ordinal);
        foreach (var file in files)
        {
            using var document = JsonDocument.Parse(File.ReadAllBytes(file));
            foreach (var e in document.RootElement.EnumerateArray())
            {
                // Kernel runs are "Node" events named "<node>_kernel_time", with the op type in args.op_name.
                if (!e.TryGetProperty("cat", out var cat) || cat.GetString() != "Node") continue;
                if (!e.TryGetProperty("name", out var name) || name.GetString()?.EndsWith("_kernel_time", StringComparison.Ordinal) != true) continue;
                if (!e.TryGetProperty("args", out var args) || !args.TryGetProperty("op_name", out var op)) continue;
                var key = op.GetString() ?? "?";
                var (us, runs) = totals.GetValueOrDefault(key);
                totals[key] = (us + e.GetProperty("dur").GetDouble(), runs + 1);
            }
        }
        double all = totals.Values.Sum(t => t.Microseconds);
        var table = new Table().AddColumns("op type", "kernel ms", "share", "runs");
        foreach (var (op, (us, runs)) in totals.OrderByDescending(t => t.Value.Microseconds).Take(top))
            table.AddRow(Markup.Escape(op), (us / 1e3).ToString("F1", CultureInfo.InvariantCulture),
                (us / all).ToString("P1", CultureInfo.InvariantCulture), runs.ToString(CultureInfo.InvariantCulture));
        AnsiConsole.MarkupLine($"Profile of {files.Count} session(s), every run (warm-up and eval steps included): {Markup.Escape(string.Join(", ", files))}");
        AnsiConsole.Write(table);
    }
}
