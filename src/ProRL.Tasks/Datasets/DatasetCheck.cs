namespace ProRL.Tasks.Datasets;

/// <summary>What reading one dataset file gave: rows read, rows skipped (the first few with their reasons), and the
/// problems that make the file unusable for training.</summary>
public sealed record DatasetReport(string Path, int RowsRead, int RowsSkipped, IReadOnlyList<SkippedRow> FirstSkipped, IReadOnlyList<string> Problems)
{
    /// <summary>How many skipped rows a summary shows with their reasons.</summary>
    public const int ShownSkippedRows = 5;

    public bool Usable => Problems.Count == 0;

    /// <summary>JSONL rows are lines of the file; Parquet rows are numbered from 1.</summary>
    public static string RowUnit(string path) => path.EndsWith(".parquet", StringComparison.OrdinalIgnoreCase) ? "row" : "line";

    /// <summary>One line: rows read and skipped, and where the first skipped ones are.</summary>
    public string Summary()
    {
        var text = $"{Path}: {RowsRead} rows read, {RowsSkipped} skipped";
        if (FirstSkipped.Count == 0) return text + ".";
        return text + " (" + string.Join("; ", FirstSkipped.Select(s => $"{RowUnit(Path)} {s.Row}: {s.Reason}")) +
               (RowsSkipped > FirstSkipped.Count ? "; …" : "") + ").";
    }
}

/// <summary>
/// Reads a dataset file the way training will and judges it: a file that is missing, unreadable, holds no usable row,
/// or whose share of skipped rows exceeds <c>maxSkippedFraction</c> is refused (a dataset that is mostly malformed is
/// more likely the wrong file or a broken export than data to train on).
/// </summary>
public static class DatasetCheck
{
    public static DatasetReport Inspect(string path, double maxSkippedFraction)
    {
        if (!File.Exists(path)) return new DatasetReport(path, 0, 0, [], [$"{path}: the file does not exist."]);
        TaskDataset dataset;
        try
        {
            dataset = TaskDataset.LoadAsync(path).GetAwaiter().GetResult();
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // Parquet and the file system throw many types for a damaged file; each means "cannot read it".
            return new DatasetReport(path, 0, 0, [], [$"{path}: cannot be read ({e.GetType().Name}: {e.Message})."]);
        }
        return Judge(path, dataset, maxSkippedFraction);
    }

    /// <summary>Judges an already loaded dataset (the trainer loads it once and reports with the same words).</summary>
    public static DatasetReport Judge(string path, TaskDataset dataset, double maxSkippedFraction)
    {
        int read = dataset.Items.Count, skipped = dataset.Skipped.Count;
        var first = dataset.Skipped.Take(DatasetReport.ShownSkippedRows).ToList();
        var unit = DatasetReport.RowUnit(path);
        var problems = new List<string>();
        var report = new DatasetReport(path, read, skipped, first, problems);
        if (read == 0)
            problems.Add($"{path}: no usable task rows ({report.Summary()[(path.Length + 2)..]})");
        else if (read + skipped > 0 && (double)skipped / (read + skipped) > maxSkippedFraction)
            problems.Add($"{path}: {skipped} of {read + skipped} rows are malformed, more than Tasks:MaxSkippedFraction ({maxSkippedFraction:0.###}) allows; " +
                         $"first: {string.Join("; ", first.Select(s => $"{unit} {s.Row}: {s.Reason}"))}.");
        return report;
    }
}
