using System.Text.Json;
using ProRL.Onnx.IO;

namespace ProRL.Evaluation.Reports;

/// <summary>Reads and writes evaluation reports as indented snake_case JSON.</summary>
public static class ReportJson
{
    private static readonly JsonSerializerOptions Options = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        WriteIndented = true,
    };

    public static string Serialize(EvaluationReport report) => JsonSerializer.Serialize(report, Options);

    /// <summary>Parses a report; <paramref name="source"/> names the file in error messages.</summary>
    public static EvaluationReport Deserialize(string json, string source)
    {
        EvaluationReport? report;
        try
        {
            report = JsonSerializer.Deserialize<EvaluationReport>(json, Options);
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"'{source}' is not a valid evaluation report: {e.Message}", e);
        }
        if (report is null) throw new InvalidDataException($"'{source}' is not an evaluation report (it holds JSON null).");
        Check(report, source);
        return report;
    }

    /// <summary>Writes the report atomically (temporary file, then rename).</summary>
    public static void Save(EvaluationReport report, string path) => AtomicFile.WriteAllText(path, Serialize(report));

    public static EvaluationReport Load(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"Evaluation report '{path}' does not exist.", path);
        return Deserialize(File.ReadAllText(path), path);
    }

    /// <summary>The invariants compare and plot rely on: a known format, and every pass@k list aligned with k.</summary>
    private static void Check(EvaluationReport report, string source)
    {
        if (report.Format != EvaluationReport.CurrentFormat)
            throw new InvalidDataException($"'{source}' has report format '{report.Format}'; this version reads '{EvaluationReport.CurrentFormat}'.");
        if (report.K.Count == 0) throw new InvalidDataException($"'{source}' lists no k values.");
        var bad = report.Problems.FirstOrDefault(p => p.PassAtK.Count != report.K.Count);
        if (bad is not null)
            throw new InvalidDataException($"'{source}': problem '{bad.Id}' has {bad.PassAtK.Count} pass@k values for {report.K.Count} k values.");
        var duplicate = report.Problems.GroupBy(p => p.Id).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null) throw new InvalidDataException($"'{source}': problem id '{duplicate.Key}' appears {duplicate.Count()} times.");
        var summaries = report.Domains.Values.Concat(report.Sources.Values).Append(report.Overall);
        if (summaries.Any(s => !s.PassAtK.Select(p => p.K).SequenceEqual(report.K)))
            throw new InvalidDataException($"'{source}': a summary's k values differ from the report's k list.");
    }
}
