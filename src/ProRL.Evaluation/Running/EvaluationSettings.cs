using ProRL.Evaluation.Reports;
using ProRL.Rollout.Engine;

namespace ProRL.Evaluation.Running;

/// <summary>How a model is sampled and scored for pass@k (defaults: DESIGN §6 validation settings).</summary>
public sealed record EvaluationSettings
{
    /// <summary>n: samples drawn per problem.</summary>
    public int SamplesPerProblem { get; init; } = 16;
    /// <summary>The k of pass@k; empty: 1, 2, 4, … up to n (see <see cref="ReportBuilder.DefaultK"/>).</summary>
    public IReadOnlyList<int> K { get; init; } = [];
    public double Temperature { get; init; } = 0.6;
    public double TopP { get; init; } = 0.95;
    public int MaxNewTokens { get; init; } = 1024;
    public ulong Seed { get; init; }
    /// <summary>Optional system message placed before each problem's user message.</summary>
    public string? SystemPrompt { get; init; }
    /// <summary>A sample is correct when its reward reaches this (1: partial credit does not count).</summary>
    public double CorrectThreshold { get; init; } = 1.0;
    public int BootstrapResamples { get; init; } = 1000;
    public double ConfidenceLevel { get; init; } = 0.95;
    /// <summary>Sequences generated per engine call (progress is reported after each call).</summary>
    public int RowsPerCall { get; init; } = 64;
    /// <summary>Record the SHA-256 of the weights in the report (reads the whole model once).</summary>
    public bool HashModel { get; init; } = true;
    /// <summary>The task spec as the user wrote it, recorded in the report.</summary>
    public string TasksDescription { get; init; } = "";

    /// <summary>The k values in effect, sorted; throws when one is outside [1, n].</summary>
    public IReadOnlyList<int> EffectiveK() =>
        K.Count == 0 ? ReportBuilder.DefaultK(SamplesPerProblem) : ReportBuilder.NormalizeK(K, SamplesPerProblem);

    public void Validate()
    {
        ToSampling(1).Validate();
        EffectiveK();
        if (!(CorrectThreshold is > 0 and <= 1)) throw new ArgumentException($"The correct threshold must be in (0, 1] (got {CorrectThreshold}).");
        if (BootstrapResamples < 1) throw new ArgumentException($"Bootstrap resamples must be at least 1 (got {BootstrapResamples}).");
        if (!(ConfidenceLevel is > 0 and < 1)) throw new ArgumentException($"The confidence level must be in (0, 1) (got {ConfidenceLevel}).");
        if (RowsPerCall < 1) throw new ArgumentException($"Rows per call must be at least 1 (got {RowsPerCall}).");
    }

    internal SamplingSettings ToSampling(ulong seed) => new()
    {
        SamplesPerPrompt = SamplesPerProblem, Temperature = Temperature, TopP = TopP, MaxNewTokens = MaxNewTokens, Seed = seed,
    };

    internal ReportSettings ToReportSettings() => new()
    {
        Tasks = TasksDescription, Samples = SamplesPerProblem, Temperature = Temperature, TopP = TopP, MaxNewTokens = MaxNewTokens,
        Seed = Seed, CorrectThreshold = CorrectThreshold, BootstrapResamples = BootstrapResamples, ConfidenceLevel = ConfidenceLevel,
    };
}
