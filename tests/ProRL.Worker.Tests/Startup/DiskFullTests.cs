using Microsoft.Extensions.Logging;
using ProRL.Worker.Chunks;
using ProRL.Worker.Hosting;
using ProRL.Worker.RunDirectory;
using ProRL.Worker.Services.Training;

namespace ProRL.Worker.Tests.Startup;

public sealed class DiskFullTests : IDisposable
{
    private readonly TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    private static IOException NoSpace() => new("No space left on device : '/run/x'", 28);

    [Fact]
    public void Wait_policy_waits_with_one_warning_until_space_is_freed_then_says_it_goes_on()
    {
        var logger = new CapturingLogger<DiskFullTests>();
        long free = 1 << 20;
        int polls = 0;
        var guarded = new DiskSpaceGuard(_temp.Path, true, TimeSpan.FromMilliseconds(10), logger, _ =>
        {
            if (++polls == 3) free = 1L << 40; // someone freed space while the trainer waited
            return free;
        });
        guarded.EnsureRoom(100L << 20, "step 7", CancellationToken.None);
        Assert.Equal(2, guarded.Waits);
        var warning = Assert.Single(logger.Entries, e => e.Level == LogLevel.Warning); // not one per retry
        Assert.Contains(_temp.Path, warning.Message);
        Assert.Contains("step 7", warning.Message);
        Assert.Contains("Free space", warning.Message);
        Assert.Null(warning.Exception);
        Assert.Contains(logger.Entries, e => e.Level == LogLevel.Information && e.Message.Contains("Disk space is back"));
    }

    [Fact]
    public void Exit_policy_throws_a_disk_full_failure_naming_the_folder()
    {
        var guard = new DiskSpaceGuard(_temp.Path, waitWhenFull: false, TimeSpan.FromMilliseconds(10), new CapturingLogger<DiskFullTests>(), _ => 1 << 20);
        var e = Assert.Throws<DiskFullException>(() => guard.EnsureRoom(100L << 20, "step 7", CancellationToken.None));
        Assert.Contains(_temp.Path, e.Message);
        Assert.True(ExpectedFailures.IsDiskFull(e));
        Assert.NotNull(ExpectedFailures.Advice(e));
    }

    [Fact]
    public void Only_a_full_disk_counts_as_one()
    {
        Assert.True(ExpectedFailures.IsDiskFull(NoSpace()));
        Assert.True(ExpectedFailures.IsDiskFull(new InvalidOperationException("wrapped", NoSpace())));
        Assert.False(ExpectedFailures.IsDiskFull(new IOException("Directory not empty : '/run/x'", 39))); // ENOTEMPTY on Linux
        Assert.False(ExpectedFailures.IsDiskFull(new IOException("Permission denied")));
    }

    [Fact]
    public void Enough_room_returns_at_once()
    {
        var guard = new DiskSpaceGuard(_temp.Path, true, TimeSpan.FromHours(1), new CapturingLogger<DiskFullTests>(), _ => 1L << 40);
        guard.EnsureRoom(100L << 20, "step 1", CancellationToken.None);
        Assert.Equal(0, guard.Waits);
    }

    [Fact]
    public void Waiting_ends_when_the_worker_is_stopped()
    {
        var guard = new DiskSpaceGuard(_temp.Path, true, TimeSpan.FromMilliseconds(20), new CapturingLogger<DiskFullTests>(), _ => 0);
        using var stop = new CancellationTokenSource(TimeSpan.FromMilliseconds(100));
        Assert.ThrowsAny<OperationCanceledException>(() => guard.EnsureRoom(1, "step 1", stop.Token));
    }

    [Fact]
    public void Disk_filling_up_during_a_commit_is_retried_and_the_step_then_commits_whole()
    {
        // The trainer state commits, then the disk fills while the policy is written; after the wait the commit runs
        // again, skips the committed half and finishes the policy (what restarting after freeing space also does).
        var run = RunStore.Open(_temp.Combine("run"));
        var model = _temp.Combine("model");
        Directory.CreateDirectory(model);
        File.WriteAllText(Path.Combine(model, "model.onnx"), "weights v0");
        run.EnsureInitialVersions(model);
        var exchange = new TrainerExchange(run);
        exchange.Resume();
        var guard = new DiskSpaceGuard(run.Root, true, TimeSpan.FromMilliseconds(10), new CapturingLogger<DiskFullTests>(), _ => 1L << 40);
        int policyWrites = 0;
        guard.Retrying(() => exchange.CommitStep(1, [], f => File.WriteAllText(Path.Combine(f, "state.json"), "s1"), f =>
        {
            File.WriteAllText(Path.Combine(f, "model.onnx"), "weights v1");
            if (++policyWrites == 1) throw NoSpace();
        }), 1000, "step 1", CancellationToken.None);

        Assert.Equal(2, policyWrites);
        Assert.Equal(1, guard.Waits);
        Assert.Equal(1, run.Trainer.ReadLatest()!.Version);
        var policy = run.Policy.ReadLatest()!;
        Assert.Equal(1, policy.Version);
        Assert.Equal("weights v1", File.ReadAllText(Path.Combine(policy.FolderPath, "model.onnx")));
        Assert.DoesNotContain(Directory.EnumerateFileSystemEntries(run.Policy.Folder), e => TempNames.IsTemporary(Path.GetFileName(e)));
    }

    [Fact]
    public void Disk_filling_up_under_the_exit_policy_stops_with_a_disk_full_failure()
    {
        var guard = new DiskSpaceGuard(_temp.Path, false, TimeSpan.FromMilliseconds(10), new CapturingLogger<DiskFullTests>(), _ => 1L << 40);
        var e = Assert.Throws<DiskFullException>(() => guard.Retrying(() => throw NoSpace(), 1, "step 1", CancellationToken.None));
        Assert.Contains("Run:DiskFullPolicy", e.Message);
    }
}
