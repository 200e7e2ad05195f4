using System.Globalization;
using System.Text.Json.Nodes;
using ProRL.Worker.Reporting;
using ProRL.Worker.RunDirectory;
using ProRL.Worker.Services.Training;
using ProRL.Worker.Services.Validation;
using ProRL.Worker.Telemetry;

namespace ProRL.Cli.Runs;

public sealed record VersionSummary(long Version, DateTimeOffset CreatedUtc, string? Phase, long? SourcePolicyVersion, string? ResetRule);

public sealed record HostSummary(string Instance, int ProcessId, string Machine, DateTimeOffset StartedUtc, IReadOnlyList<string> Services, bool Alive);

public sealed record ResetSummary(long Step, DateTimeOffset? Time, string? Rule, string Message);

/// <summary>
/// What `prorl runs list/show` report about one run directory, read from committed state only: versions through
/// their <c>LATEST</c> and manifests (a version being written is invisible until its commit), complete lines of the
/// JSONL logs, and validation files that are written atomically. Safe while a worker writes the run.
/// </summary>
public sealed record RunSummary(
    string Path,
    string? RunId,
    string? ModelPath,
    DateTimeOffset? CreatedUtc,
    string State,
    long? Step,
    string? Phase,
    VersionSummary? Policy,
    VersionSummary? Reference,
    IReadOnlyList<ResetSummary> Resets,
    ValidationResult? LastValidation,
    DateTimeOffset? LastActivityUtc,
    IReadOnlyList<HostSummary> Hosts,
    long DiskBytes,
    IReadOnlyDictionary<string, long> DiskBytesByEntry)
{
    /// <summary>A run with no new step, event or commit for this long while its last event says it started is reported as not running.</summary>
    public static readonly TimeSpan ActivityWindow = TimeSpan.FromMinutes(15);

    public static RunSummary Read(string folder, DateTimeOffset? now = null)
    {
        var store = RunReader.Open(folder);
        RunInfo? info = null;
        try
        {
            info = RunInfo.Load(store.RunInfoPath);
        }
        catch (RunDirectoryException)
        {
        }
        var policy = store.Policy.ReadLatest(VerifyLevel.Sizes);
        var reference = store.Reference.ReadLatest(VerifyLevel.Sizes);
        var trainer = store.Trainer.ReadLatest(VerifyLevel.Sizes);
        TrainerState? state = null;
        if (trainer is not null)
        {
            try
            {
                state = TrainerState.ReadFrom(trainer.FolderPath);
            }
            catch (Exception e) when (e is InvalidDataException or IOException)
            {
            }
        }
        var events = store.Events.File.ReadAll().Records;
        var metrics = store.Metrics.File.ReadAll().Records;
        var resets = events.Where(e => Type(e) == EventTypes.ReferenceReset && MetricSeries.TryNumber(e["step"], out _))
            .Select(e => new ResetSummary((long)(double)e["step"]!, Time(e["time"]), (string?)(e["data"] as JsonObject)?["rule"], (string?)e["message"] ?? ""))
            .ToList();
        var validation = ValidationResult.ReadAll(store).LastOrDefault();
        var lastActivity = new[] { Time(metrics.LastOrDefault()?[MetricNames.Time]), Time(events.LastOrDefault()?["time"]), policy?.Manifest.CreatedUtc }
            .Where(t => t is not null).Max();
        var (total, byEntry) = DiskUse(store.Root);
        var hosts = HostLiveness.Probe(store.Root)
            .Select(h => new HostSummary(h.Record.Instance, h.Record.ProcessId, h.Record.Machine, h.Record.StartedUtc, h.Record.Services, h.Alive))
            .ToList();
        return new RunSummary(store.Root, info?.RunId, info?.ModelPath, info?.CreatedUtc,
            InferState(events, hosts, lastActivity, now ?? DateTimeOffset.UtcNow), state?.Step ?? trainer?.Version, state?.Phase,
            Describe(policy), Describe(reference), resets, validation, lastActivity, hosts, total, byEntry);
    }

    /// <summary>Subfolders of <paramref name="root"/> (and the folder itself) that are run directories.</summary>
    public static IReadOnlyList<string> FindRuns(string root)
    {
        if (RunReader.IsRun(root)) return [System.IO.Path.GetFullPath(root)];
        return Directory.Exists(root)
            ? Directory.EnumerateDirectories(root).Where(RunReader.IsRun).Select(System.IO.Path.GetFullPath).Order(StringComparer.Ordinal).ToList()
            : [];
    }

    /// <summary>
    /// Running when a worker holds its liveness file (<see cref="HostLiveness"/>); otherwise the last start/stop event
    /// says whether it stopped cleanly. Runs written before liveness files existed (or on a filesystem without locks,
    /// where every file looks free) fall back to the logs: started and active within <see cref="ActivityWindow"/>.
    /// </summary>
    private static string InferState(IReadOnlyList<JsonObject> events, IReadOnlyList<HostSummary> hosts, DateTimeOffset? lastActivity, DateTimeOffset now)
    {
        var alive = hosts.Where(h => h.Alive).ToList();
        if (alive.Count > 0)
            return "running (" + string.Join(", ", alive.Select(h => $"{h.Instance}: pid {h.ProcessId} on {h.Machine}")) + ")";
        var last = events.LastOrDefault(e => Type(e) is EventTypes.RunStarted or EventTypes.RunStopped);
        if (last is null) return "new";
        if (Type(last) == EventTypes.RunStopped) return "stopped: " + ((string?)last["message"] ?? "");
        var ago = lastActivity is { } a ? $"{(now - a).TotalMinutes.ToString("F0", CultureInfo.InvariantCulture)} min ago" : "never";
        if (hosts.Count > 0) return $"not running (no worker holds its liveness file; last activity {ago})";
        if (lastActivity is { } t && now - t <= ActivityWindow) return "running (from the logs: no liveness files)";
        return $"not running (no stop recorded; last activity {ago})";
    }

    private static VersionSummary? Describe(CommittedVersion? v)
    {
        if (v is null) return null;
        long? source = long.TryParse(v.Property(ManifestProperties.SourcePolicyVersion), NumberStyles.None, CultureInfo.InvariantCulture, out var s) ? s : null;
        return new VersionSummary(v.Version, v.Manifest.CreatedUtc, v.Property("phase"), source, v.Property(ManifestProperties.ResetRule));
    }

    private static (long Total, IReadOnlyDictionary<string, long> ByEntry) DiskUse(string root)
    {
        var byEntry = new SortedDictionary<string, long>(StringComparer.Ordinal);
        foreach (var entry in new DirectoryInfo(root).EnumerateFileSystemInfos())
            byEntry[entry.Name] = entry is DirectoryInfo d ? FolderBytes(d) : Length((FileInfo)entry);
        return (byEntry.Values.Sum(), byEntry);
    }

    private static long FolderBytes(DirectoryInfo folder)
    {
        long total = 0;
        try
        {
            foreach (var file in folder.EnumerateFiles("*", SearchOption.AllDirectories)) total += Length(file);
        }
        catch (Exception e) when (e is DirectoryNotFoundException or IOException)
        {
            // The worker pruned or renamed a folder while we counted: the count is a snapshot either way.
        }
        return total;
    }

    private static long Length(FileInfo file)
    {
        try
        {
            return file.Length;
        }
        catch (FileNotFoundException)
        {
            return 0;
        }
    }

    private static string? Type(JsonObject e) => e["type"] is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;

    private static DateTimeOffset? Time(JsonNode? node) =>
        node is JsonValue v && v.TryGetValue<string>(out var s) &&
        DateTimeOffset.TryParse(s, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var t) ? t : null;
}
