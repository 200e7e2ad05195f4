using ProRL.Tasks.Model;

namespace ProRL.Tasks.Datasets;

/// <summary>The small JSONL sample sets shipped inside this assembly: math, code, stem and ifeval.</summary>
public static class SampleSets
{
    public static IReadOnlyList<string> Domains { get; } = [TaskDomains.Math, TaskDomains.Code, TaskDomains.Stem, TaskDomains.IfEval];

    /// <summary>Loads the sample set of a domain. A skipped row here is a bug in the shipped data, so it throws.</summary>
    public static IReadOnlyList<TaskItem> Load(string domain)
    {
        if (!Domains.Contains(domain))
            throw new ArgumentException($"no sample set for domain '{domain}' (available: {string.Join(", ", Domains)}; logic is generated)", nameof(domain));
        var name = $"ProRL.Tasks.Data.{domain}.jsonl";
        using var stream = typeof(SampleSets).Assembly.GetManifestResourceStream(name)
                           ?? throw new InvalidOperationException($"embedded resource {name} is missing from the build");
        using var reader = new StreamReader(stream);
        var dataset = TaskDataset.ReadJsonl(reader, $"{domain}.jsonl (embedded)", domain);
        if (dataset.Skipped.Count > 0) throw new InvalidDataException("shipped sample set is invalid: " + string.Join("; ", dataset.Skipped));
        return dataset.Items;
    }
}
