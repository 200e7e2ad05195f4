using System.ComponentModel.DataAnnotations;

namespace ProRL.Worker.Options;

/// <summary><c>Tasks</c>: the training mixture (built-in procedural generators and/or datasets).</summary>
public sealed class TasksOptions : IOptionsSection
{
    public static string SectionName => "Tasks";

    public static readonly IReadOnlyList<string> Domains = ["math", "code", "stem", "logic", "ifeval"];

    /// <summary>
    /// Weights of the built-in generators by domain (<c>logic</c>) or by family (<c>logic/countdown</c>); empty means
    /// every built-in generator with equal weight.
    /// </summary>
    public Dictionary<string, double> Mixture { get; set; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>JSONL or Parquet datasets mixed in besides the generators.</summary>
    public List<DatasetOptions> Datasets { get; set; } = [];

    /// <summary><c>none</c>: the verifier reads the text after the last <c>&lt;/think&gt;</c>; <c>think-then-answer</c>: a
    /// response must be <c>&lt;think&gt;…&lt;/think&gt;</c> then an answer, else reward 0.</summary>
    [OneOf(NoFormat, ThinkThenAnswer)]
    public string ResponseFormat { get; set; } = NoFormat;

    public const string NoFormat = "none";
    public const string ThinkThenAnswer = "think-then-answer";

    /// <summary>Difficulty range of the procedural generators (each generator caps it at its own maximum).</summary>
    [Range(0, 10)]
    public int MinDifficulty { get; set; }

    [Range(0, 10)]
    public int MaxDifficulty { get; set; } = 2;

    /// <summary>Share of malformed rows above which start-up refuses a dataset file (it is more likely the wrong file).</summary>
    [Range(0.0, 1.0)]
    public double MaxSkippedFraction { get; set; } = 0.1;
}

/// <summary>One dataset file of <c>Tasks:Datasets</c>.</summary>
public sealed class DatasetOptions
{
    public static readonly IReadOnlyList<string> Extensions = [".jsonl", ".json", ".parquet"];

    [Required]
    public string Path { get; set; } = "";

    /// <summary>Weight in the mixture.</summary>
    [Range(0.0, 1e9)]
    public double Weight { get; set; } = 1.0;
}

public sealed class TasksOptionsValidator : SectionValidator<TasksOptions>
{
    protected override IEnumerable<string> CrossFieldErrors(TasksOptions o)
    {
        if (o.MinDifficulty > o.MaxDifficulty)
            yield return $"Tasks:MinDifficulty ({o.MinDifficulty}) must not exceed Tasks:MaxDifficulty ({o.MaxDifficulty}).";
        foreach (var (key, weight) in o.Mixture)
        {
            var parts = key.Split('/', 2);
            var domain = parts[0];
            if (!TasksOptions.Domains.Contains(domain, StringComparer.OrdinalIgnoreCase))
                yield return $"Tasks:Mixture:{key}: unknown domain '{domain}'; allowed domains: {string.Join(", ", TasksOptions.Domains)} (optionally 'logic/family').";
            else if (parts.Length == 2 && !string.Equals(domain, "logic", StringComparison.OrdinalIgnoreCase))
                yield return $"Tasks:Mixture:{key}: only the logic domain has families; use '{domain}'.";
            else if (parts.Length == 2 && !ProRL.Tasks.Logic.LogicGenerators.IsKnown(parts[1]))
                yield return $"Tasks:Mixture:{key}: unknown logic family '{parts[1]}'; allowed: " +
                             string.Join(", ", ProRL.Tasks.Logic.LogicGenerators.Families.Select(f => f.Name)) + ".";
            if (!double.IsFinite(weight) || weight < 0)
                yield return $"Tasks:Mixture:{key} ({Show(weight)}) must be a number ≥ 0.";
        }
        if (o.Mixture.Count > 0 && o.Datasets.Count == 0 && o.Mixture.Values.Sum() <= 0)
            yield return "Tasks:Mixture: the weights sum to 0; give at least one a positive weight.";
        for (int i = 0; i < o.Datasets.Count; i++)
        {
            var path = o.Datasets[i].Path;
            if (!File.Exists(path))
                yield return $"Tasks:Datasets:{i}:Path: file '{path}' does not exist.";
            else if (!DatasetOptions.Extensions.Contains(System.IO.Path.GetExtension(path), StringComparer.OrdinalIgnoreCase))
                yield return $"Tasks:Datasets:{i}:Path: '{path}' must end with one of: {string.Join(", ", DatasetOptions.Extensions)}.";
        }
    }
}
