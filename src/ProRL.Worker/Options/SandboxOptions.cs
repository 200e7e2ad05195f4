using System.ComponentModel.DataAnnotations;

namespace ProRL.Worker.Options;

/// <summary><c>Sandbox</c>: limits of the python3 subprocess that runs code answers against their tests.</summary>
public sealed class SandboxOptions : IOptionsSection
{
    public static string SectionName => "Sandbox";

    public const string Require = "require";
    public const string NoneUnsafe = "none-unsafe";

    [Required]
    public string PythonPath { get; set; } = "python3";

    /// <summary>Wall-clock limit of one python run (one per stdin/stdout test, one for all assert tests).</summary>
    [Range(0.0, 3600.0, MinimumIsExclusive = true)]
    public double RunTimeoutSeconds { get; set; } = 10;

    /// <summary>Wall-clock budget of one answer's whole verification; when it runs out the reward is 0.</summary>
    [Range(0.0, 36_000.0, MinimumIsExclusive = true)]
    public double TotalBudgetSeconds { get; set; } = 30;

    /// <summary>Address-space limit of a run (python needs about 32 MiB to start).</summary>
    [Range(32, 1_048_576)]
    public int MemoryLimitMegabytes { get; set; } = 512;

    [Range(1024, int.MaxValue)]
    public int MaxOutputBytes { get; set; } = 1 << 20;

    /// <summary>Verifications running at once.</summary>
    [Range(1, 100)]
    public int MaxParallel { get; set; } = 2;

    /// <summary>
    /// <c>require</c>: code runs in bubblewrap or, where it is missing, util-linux namespaces; when neither works, code
    /// tasks are refused. <c>none-unsafe</c>: code runs without namespaces and can read the host's files.
    /// </summary>
    [OneOf(Require, NoneUnsafe)]
    public string Isolation { get; set; } = Require;
}

public sealed class SandboxOptionsValidator : SectionValidator<SandboxOptions>
{
    protected override IEnumerable<string> CrossFieldErrors(SandboxOptions o)
    {
        if (o.TotalBudgetSeconds < o.RunTimeoutSeconds)
            yield return $"Sandbox:TotalBudgetSeconds ({Show(o.TotalBudgetSeconds)}) must be at least Sandbox:RunTimeoutSeconds ({Show(o.RunTimeoutSeconds)}).";
    }
}
