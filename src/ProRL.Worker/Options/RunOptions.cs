using System.ComponentModel.DataAnnotations;

namespace ProRL.Worker.Options;

/// <summary><c>Run</c>: where the run lives and when it ends. Fixed names: <c>Run:Directory</c>, <c>Run:Seed</c>, <c>Run:MaxSteps</c>.</summary>
public sealed class RunOptions : IOptionsSection
{
    public static string SectionName => "Run";

    [Required]
    public string Directory { get; set; } = "";

    public long Seed { get; set; } = 42;

    /// <summary>The worker exits 0 after committing this step; 0 = no limit.</summary>
    [Range(0, long.MaxValue, ErrorMessage = "{0} must be ≥ 0 (0 = no limit).")]
    public long MaxSteps { get; set; }

    [Range(1, 10_000)]
    public int KeepPolicyVersions { get; set; } = 3;

    [Range(1, 10_000)]
    public int KeepReferenceVersions { get; set; } = 2;

    [Range(1, 10_000)]
    public int KeepTrainerVersions { get; set; } = 2;

    /// <summary>How often services look for new chunks and versions.</summary>
    [Range(10, 600_000)]
    public int PollIntervalMilliseconds { get; set; } = 500;

    public const string DiskFullWait = "wait";
    public const string DiskFullExit = "exit";

    /// <summary>
    /// When the run directory's disk cannot hold the next version: <c>wait</c> (retry every
    /// <see cref="DiskFullRetrySeconds"/> until space is freed; a service manager sees a live, waiting process instead of
    /// restarting a failing one in a loop) or <c>exit</c> (stop with exit code 1).
    /// </summary>
    [OneOf(DiskFullWait, DiskFullExit)]
    public string DiskFullPolicy { get; set; } = DiskFullWait;

    [Range(1, 3600)]
    public int DiskFullRetrySeconds { get; set; } = 30;
}

public sealed class RunOptionsValidator : SectionValidator<RunOptions>;
