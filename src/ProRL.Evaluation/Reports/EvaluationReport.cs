using System.Text.Json.Serialization;

namespace ProRL.Evaluation.Reports;

/// <summary>
/// The result of one evaluation: pass@k overall, per domain and per source (family, sample set or file), and per problem.
/// Serialised by <see cref="ReportJson"/>; <c>prorl eval compare</c> reads two of them.
/// </summary>
public sealed record EvaluationReport
{
    public const string CurrentFormat = "prorl-eval/1";

    public string Format { get; init; } = CurrentFormat;
    public required ReportModelInfo Model { get; init; }
    public required ReportSettings Settings { get; init; }
    public DateTimeOffset CreatedUtc { get; init; }
    /// <summary>The k values of every pass@k list in this report, ascending.</summary>
    public required IReadOnlyList<int> K { get; init; }
    public required PassAtKSummary Overall { get; init; }
    public required IReadOnlyDictionary<string, PassAtKSummary> Domains { get; init; }
    public required IReadOnlyDictionary<string, PassAtKSummary> Sources { get; init; }
    public required IReadOnlyList<ProblemResult> Problems { get; init; }
    /// <summary>The best single answer given to every problem (the control a policy must beat); null in older reports.</summary>
    public ConstantAnswerBaseline? ConstantBaseline { get; init; }
    /// <summary>
    /// The best single answer per source (family, sample set or file): a stronger control, which knows each problem's
    /// family. Its overall pass rate is <see cref="ConstantAnswerBaseline.PerSourcePassRate"/>. Null in older reports.
    /// </summary>
    public IReadOnlyDictionary<string, ConstantAnswerBaseline>? ConstantBaselineBySource { get; init; }
}

/// <summary>Which model was evaluated: its folder and the content hash of its weights (empty when unknown).</summary>
public sealed record ReportModelInfo(string Path, string ContentHash);

/// <summary>The settings that produced a report, recorded so that a comparison can say when two runs differ.</summary>
public sealed record ReportSettings
{
    public string Tasks { get; init; } = "";
    public int Samples { get; init; }
    public double Temperature { get; init; }
    public double TopP { get; init; }
    public int MaxNewTokens { get; init; }
    public ulong Seed { get; init; }
    /// <summary>A sample counts as correct when its reward is at least this (1 = only full credit).</summary>
    public double CorrectThreshold { get; init; } = 1.0;
    public int BootstrapResamples { get; init; } = 1000;
    public double ConfidenceLevel { get; init; } = 0.95;
}

/// <summary>Mean pass@k over a set of problems, with a bootstrap interval over problems.</summary>
public sealed record PassAtKPoint(int K, double Mean, double Lower, double Upper);

/// <summary>The aggregate of a group of problems (all, one domain or one source).</summary>
public sealed record PassAtKSummary(int Problems, double MeanReward, IReadOnlyList<PassAtKPoint> PassAtK)
{
    public PassAtKPoint? At(int k) => PassAtK.FirstOrDefault(p => p.K == k);
}

/// <summary>
/// One problem: n samples, c of them correct, the unbiased pass@k for each k of the report (same order as
/// <see cref="EvaluationReport.K"/>), and what the responses looked like.
/// </summary>
public sealed record ProblemResult
{
    public required string Id { get; init; }
    public required string Domain { get; init; }
    public required string Source { get; init; }
    public int Samples { get; init; }
    public int Correct { get; init; }
    public double MeanReward { get; init; }
    public required IReadOnlyList<double> PassAtK { get; init; }
    /// <summary>Responses cut by the token budget (no end-of-sequence).</summary>
    public int Truncated { get; init; }
    public double MeanCompletionTokens { get; init; }
    /// <summary>The verifier's most frequent reason, for a first look at why a problem fails.</summary>
    public string TopReason { get; init; } = "";

    /// <summary>Solved at some k ≤ n: at least one sample was correct.</summary>
    [JsonIgnore]
    public bool SolvedAtSomeK => Correct > 0;
}
