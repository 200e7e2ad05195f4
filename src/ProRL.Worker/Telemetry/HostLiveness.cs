using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using ProRL.Worker.Options;
using ProRL.Worker.RunDirectory;

namespace ProRL.Worker.Telemetry;

/// <summary>A worker process on a run directory, as its liveness file records it.</summary>
public sealed record HostRecord(string Instance, int ProcessId, string Machine, DateTimeOffset StartedUtc, IReadOnlyList<string> Services);

/// <summary>
/// <c>RUN/hosts/INSTANCE.lock</c>: each worker process keeps its file open (and so file-locked) for its lifetime; the
/// operating system drops the lock when the process dies, however it dies. `prorl runs show` tells a live worker from
/// one that crashed or was stopped by trying the lock, instead of guessing from the logs. .NET takes the lock with
/// flock(2) on Unix and with share modes on Windows; on a network filesystem without flock the logs decide instead.
/// </summary>
public sealed class HostLiveness : IDisposable
{
    public const string FolderName = "hosts";
    public const string Extension = ".lock";

    private readonly FileStream _stream;

    private HostLiveness(string path, FileStream stream)
    {
        Path = path;
        _stream = stream;
    }

    public string Path { get; }

    /// <summary>Creates or takes over the file of <paramref name="record"/>'s instance and holds it open.</summary>
    public static HostLiveness Hold(string runRoot, HostRecord record)
    {
        var folder = Directory.CreateDirectory(System.IO.Path.Combine(runRoot, FolderName)).FullName;
        var path = System.IO.Path.Combine(folder, record.Instance + Extension);
        // FileShare.Read: readers may read the record (a shared lock); a probe asking for exclusive access fails while we live.
        var stream = new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.Read);
        stream.SetLength(0);
        stream.Write(JsonSerializer.SerializeToUtf8Bytes(record, RunJson.Indented));
        stream.Flush(flushToDisk: true);
        return new HostLiveness(path, stream);
    }

    /// <summary>The recorded hosts of a run and whether each is alive now.</summary>
    public static IReadOnlyList<(HostRecord Record, bool Alive)> Probe(string runRoot)
    {
        var folder = System.IO.Path.Combine(runRoot, FolderName);
        if (!Directory.Exists(folder)) return [];
        var hosts = new List<(HostRecord, bool)>();
        foreach (var path in Directory.EnumerateFiles(folder, "*" + Extension).Order(StringComparer.Ordinal))
        {
            bool alive;
            try
            {
                // Asking for exclusive access fails exactly while a process holds the file open.
                using var probe = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.None);
                alive = false;
            }
            catch (IOException)
            {
                alive = true;
            }
            catch (UnauthorizedAccessException)
            {
                continue;
            }
            if (Read(path) is { } record) hosts.Add((record, alive));
        }
        return hosts;
    }

    private static HostRecord? Read(string path)
    {
        try
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
            using var reader = new StreamReader(stream, Encoding.UTF8);
            return JsonSerializer.Deserialize<HostRecord>(reader.ReadToEnd(), RunJson.Indented);
        }
        catch (Exception e) when (e is IOException or JsonException)
        {
            return null;
        }
    }

    public void Dispose() => _stream.Dispose();
}

/// <summary>Holds this process's <see cref="HostLiveness"/> file from start to stop.</summary>
public sealed class HostLivenessService(
    IOptions<RunOptions> run,
    IOptions<ServicesOptions> services,
    ILogger<HostLivenessService> logger) : IHostedService, IDisposable
{
    private HostLiveness? _held;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        var s = services.Value;
        var on = new[] { ("rollout", s.Rollout), ("reward", s.Reward), ("trainer", s.Trainer), ("validation", s.Validation) }
            .Where(p => p.Item2).Select(p => p.Item1).ToList();
        try
        {
            _held = HostLiveness.Hold(run.Value.Directory,
                new HostRecord(s.InstanceName, Environment.ProcessId, Environment.MachineName, DateTimeOffset.UtcNow, on));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Liveness is for `prorl runs show`; training goes on without it.
            logger.LogWarning(e, "Could not hold the liveness file under {Folder}", HostLiveness.FolderName);
        }
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken)
    {
        Dispose();
        return Task.CompletedTask;
    }

    public void Dispose()
    {
        _held?.Dispose();
        _held = null;
    }
}
