using Microsoft.Extensions.Logging;
using ProRL.Worker.Hosting;

namespace ProRL.Worker.RunDirectory;

/// <summary>
/// Checks, before a commit, that the run directory's disk has room for what is about to be written. With the
/// <c>wait</c> policy it logs one line and retries until space is freed (a service manager would otherwise restart a
/// failing worker in a loop, each time failing the same way); with <c>exit</c> it throws <see cref="DiskFullException"/>.
/// </summary>
public sealed class DiskSpaceGuard(string folder, bool waitWhenFull, TimeSpan retryInterval, ILogger logger, Func<string, long>? freeBytes = null)
{
    /// <summary>Room kept free besides the estimate (plus 5% of it): logs, metrics and the file system's own needs.</summary>
    public const long MarginBytes = 1L << 20;

    /// <summary>How often a continuing wait is logged again.</summary>
    public static readonly TimeSpan ReminderInterval = TimeSpan.FromMinutes(5);

    private readonly Func<string, long> _freeBytes = freeBytes ?? AvailableBytes;
    private DateTime? _lastWarning;

    /// <summary>How often the guard waited (tests and metrics).</summary>
    public int Waits { get; private set; }

    /// <summary>
    /// Returns once <paramref name="neededBytes"/> (plus a margin) fit on the disk; waits, logging what to do, while they
    /// do not (policy <c>wait</c>), or throws <see cref="DiskFullException"/> (policy <c>exit</c>).
    /// </summary>
    public void EnsureRoom(long neededBytes, string what, CancellationToken cancellationToken)
    {
        while (true)
        {
            long free = _freeBytes(folder);
            long wanted = neededBytes + neededBytes / 20 + MarginBytes;
            if (free >= wanted)
            {
                if (_lastWarning is not null) logger.LogInformation("Disk space is back ({Free} free in {Folder}); going on with {What}.", Megabytes(free), folder, what);
                _lastWarning = null;
                return;
            }
            var message = $"{folder}: {Megabytes(free)} free, {what} needs about {Megabytes(wanted)}. " +
                          "Free space on that disk (or lower Run:KeepPolicyVersions / Run:KeepTrainerVersions)";
            if (!waitWhenFull) throw new DiskFullException(message + "; Run:DiskFullPolicy is 'exit', so the worker stops.");
            Waits++;
            // One line when the wait starts, then a reminder every few minutes: a wait of hours must not flood the log.
            if (_lastWarning is not { } last || DateTime.UtcNow - last >= ReminderInterval)
            {
                logger.LogWarning("Disk full: {Message}; retrying every {Seconds} s (Run:DiskFullPolicy=wait).", message, retryInterval.TotalSeconds);
                _lastWarning = DateTime.UtcNow;
            }
            if (cancellationToken.WaitHandle.WaitOne(retryInterval)) cancellationToken.ThrowIfCancellationRequested();
        }
    }

    /// <summary>
    /// Runs <paramref name="commit"/>, and when it fails because the disk filled up anyway (the estimate was short, or
    /// another process wrote), waits for room and runs it again (policy <c>wait</c>). The commit protocol makes the retry
    /// safe: a failed commit leaves only temporary entries, which the next commit deletes.
    /// </summary>
    public void Retrying(Action commit, long neededBytes, string what, CancellationToken cancellationToken)
    {
        while (true)
        {
            EnsureRoom(neededBytes, what, cancellationToken);
            try
            {
                commit();
                return;
            }
            catch (IOException e) when (ExpectedFailures.IsDiskFull(e) && e is not DiskFullException)
            {
                if (!waitWhenFull) throw new DiskFullException($"{folder}: the disk filled up while writing {what} ({e.Message}); Run:DiskFullPolicy is 'exit', so the worker stops.");
                Waits++;
                logger.LogWarning("Disk full while writing {What} in {Folder} ({Message}); retrying in {Seconds} s (Run:DiskFullPolicy=wait).",
                    what, folder, e.Message, retryInterval.TotalSeconds);
                if (cancellationToken.WaitHandle.WaitOne(retryInterval)) cancellationToken.ThrowIfCancellationRequested();
            }
        }
    }

    /// <summary>Total size of the files under <paramref name="path"/> (0 when it does not exist).</summary>
    public static long SizeOf(string? path) =>
        path is not null && Directory.Exists(path)
            ? Directory.EnumerateFiles(path, "*", SearchOption.AllDirectories).Sum(f => new FileInfo(f).Length)
            : 0;

    private static long AvailableBytes(string path) => new DriveInfo(Path.GetFullPath(path)).AvailableFreeSpace;

    private static string Megabytes(long bytes) => $"{bytes / (1024.0 * 1024.0):0.#} MB";
}
