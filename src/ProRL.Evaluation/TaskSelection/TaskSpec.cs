using ProRL.Tasks.Logic;
using ProRL.Tasks.Model;

namespace ProRL.Evaluation.TaskSelection;

/// <summary>What one entry of a task spec names.</summary>
public enum TaskSpecKind
{
    /// <summary>A whole domain (<c>logic</c>): every built-in source of it.</summary>
    Domain,
    /// <summary>One source of a domain (<c>logic:maze</c>, <c>logic:held-out</c>, <c>math:arithmetic</c>, <c>stem:samples</c>).</summary>
    Family,
    /// <summary>A dataset file (<c>.jsonl</c>, <c>.json</c> or <c>.parquet</c>).</summary>
    File,
}

/// <summary>One comma-separated entry of a task spec, as written and as understood.</summary>
public sealed record TaskSpecEntry(string Text, TaskSpecKind Kind, string? Domain, string? Family, string? Path);

/// <summary>
/// A task spec: a comma-separated list of domains (<c>logic</c>), families (<c>logic:maze</c>) and dataset files. Parsing
/// checks names against the built-in domains and families and that files exist, so a typo fails before a model loads.
/// </summary>
public sealed record TaskSpec(IReadOnlyList<TaskSpecEntry> Entries)
{
    /// <summary>Logic family groups: every held-out family (evaluation only) or every training family.</summary>
    public const string HeldOutGroup = "held-out";
    public const string TrainingGroup = "training";
    /// <summary>A non-logic domain's shipped sample set.</summary>
    public const string SamplesFamily = "samples";
    /// <summary>Math's procedural arithmetic generator.</summary>
    public const string ArithmeticFamily = "arithmetic";

    private static readonly string[] DatasetExtensions = [".jsonl", ".json", ".parquet"];

    /// <summary>Parses <paramref name="spec"/>; throws <see cref="ArgumentException"/> naming the bad entry.</summary>
    public static TaskSpec Parse(string spec)
    {
        if (string.IsNullOrWhiteSpace(spec)) throw new ArgumentException("The task spec is empty (expected e.g. 'logic', 'logic:maze' or 'tasks.jsonl').", nameof(spec));
        var entries = spec.Split(',').Select(e => e.Trim()).ToList();
        if (entries.Any(e => e.Length == 0)) throw new ArgumentException($"The task spec '{spec}' has an empty entry (two commas in a row or a trailing comma).", nameof(spec));
        return new TaskSpec(entries.Select(ParseEntry).ToList());
    }

    /// <summary>The families a domain may be split into, for messages and for expanding a whole domain.</summary>
    public static IReadOnlyList<string> FamiliesOf(string domain) => domain switch
    {
        TaskDomains.Logic => LogicGenerators.Families.Select(f => f.Name).ToList(),
        TaskDomains.Math => [SamplesFamily, ArithmeticFamily],
        _ => [SamplesFamily],
    };

    private static TaskSpecEntry ParseEntry(string text)
    {
        if (LooksLikeFile(text)) return ParseFile(text);
        int colon = text.IndexOf(':');
        var domain = colon < 0 ? text : text[..colon];
        if (!TaskDomains.IsKnown(domain))
            throw new ArgumentException(
                $"Unknown domain '{domain}' in task spec entry '{text}' (known: {string.Join(", ", TaskDomains.All)}; dataset files end in {string.Join(", ", DatasetExtensions)}).");
        if (colon < 0) return new TaskSpecEntry(text, TaskSpecKind.Domain, domain, null, null);
        return new TaskSpecEntry(text, TaskSpecKind.Family, domain, ResolveFamily(domain, text[(colon + 1)..], text), null);
    }

    /// <summary>An exact family name, or a prefix that names exactly one family (<c>logic:maze</c> → maze_shortest_path).</summary>
    private static string ResolveFamily(string domain, string family, string entry)
    {
        var known = FamiliesOf(domain).ToList();
        if (domain == TaskDomains.Logic) known.AddRange([HeldOutGroup, TrainingGroup]);
        if (known.Contains(family)) return family;
        var candidates = family.Length == 0 ? [] : known.Where(k => k.StartsWith(family, StringComparison.Ordinal)).ToList();
        return candidates.Count switch
        {
            1 => candidates[0],
            0 => throw new ArgumentException($"Unknown family '{family}' of domain '{domain}' in task spec entry '{entry}' (known: {string.Join(", ", known)})."),
            _ => throw new ArgumentException($"Family '{family}' of domain '{domain}' in task spec entry '{entry}' is ambiguous: it could be {string.Join(", ", candidates)}."),
        };
    }

    private static bool LooksLikeFile(string text) =>
        DatasetExtensions.Any(e => text.EndsWith(e, StringComparison.OrdinalIgnoreCase))
        || text.Contains('/') || text.Contains('\\');

    private static TaskSpecEntry ParseFile(string text)
    {
        var extension = System.IO.Path.GetExtension(text).ToLowerInvariant();
        if (!DatasetExtensions.Contains(extension))
            throw new ArgumentException($"Task spec entry '{text}' looks like a file but is not a dataset (expected {string.Join(", ", DatasetExtensions)}).");
        if (!System.IO.File.Exists(text)) throw new FileNotFoundException($"Dataset file '{text}' named in the task spec does not exist.", text);
        return new TaskSpecEntry(text, TaskSpecKind.File, null, null, System.IO.Path.GetFullPath(text));
    }
}
