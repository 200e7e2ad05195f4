using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Configuration.CommandLine;
using Microsoft.Extensions.Configuration.EnvironmentVariables;
using Microsoft.Extensions.Configuration.Json;
using ProRL.Worker.Hosting;

namespace ProRL.Worker.Startup;

/// <summary>
/// Top-level configuration sections: the worker's own and the framework's. A section that is neither is a misspelling
/// (<c>Algoritm:ClipHigh</c>) or a setting for a feature this worker does not have (<c>Cluster:Mode</c>); left alone,
/// it would be ignored silently, so start-up refuses it and names the closest known section.
/// </summary>
public static partial class ConfigurationSections
{
    /// <summary>The worker's sections (the options classes of <see cref="Options.WorkerOptionsRegistration"/>).</summary>
    public static IReadOnlyList<string> Worker => RunBootstrapService.RecordedSections;

    /// <summary>Sections (and host settings) that .NET's hosting, logging and web stack read.</summary>
    public static readonly IReadOnlyList<string> Framework =
        ["Logging", "AllowedHosts", "Kestrel", "ConnectionStrings", "Urls", "Environment", "ApplicationName", "ContentRoot", "HostBuilder", "DetailedErrors"];

    public static IEnumerable<string> Known => Worker.Concat(Framework);

    /// <summary>
    /// One message per unknown section, naming where it came from and the closest known one. Files and command-line
    /// arguments are checked strictly. Environment variables are checked only for near-misses of a known section,
    /// because the host reads every variable of the process (<c>PATH</c>, <c>HOME</c>, …) as configuration too.
    /// </summary>
    public static IReadOnlyList<string> Problems(IConfiguration configuration)
    {
        if (configuration is not IConfigurationRoot root) return [];
        var problems = new List<string>();
        var reported = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (var provider in root.Providers)
        {
            var (source, strict) = Describe(provider);
            if (source is null) continue;
            foreach (var key in provider.GetChildKeys([], null).Distinct(StringComparer.OrdinalIgnoreCase))
            {
                if (key.Length == 0 || Known.Contains(key, StringComparer.OrdinalIgnoreCase)) continue;
                var (closest, distance) = Closest(key);
                // An environment variable is meant for .NET configuration only when it is hierarchical (Section__Option).
                if (!strict && !(distance <= 2 && key.Length >= 4 && provider.GetChildKeys([], key).Any())) continue;
                if (!reported.Add(source + "\n" + key)) continue;
                problems.Add($"{source}: '{key}' is not a configuration section of this worker; did you mean '{closest}'? " +
                             $"Known sections: {string.Join(", ", Worker)} (and the framework's {string.Join(", ", Framework.Take(4))}).");
            }
        }
        return problems;
    }

    /// <summary>
    /// Where the value of <paramref name="key"/> (an option, or a section) comes from: the file, "command line" or
    /// "environment variable" of the last source that sets it (later sources override earlier ones); null if none does.
    /// </summary>
    public static string? SourceOf(IConfiguration configuration, string key)
    {
        if (configuration is not IConfigurationRoot root) return null;
        foreach (var provider in root.Providers.Reverse())
        {
            if (!provider.TryGet(key, out _) && !provider.GetChildKeys([], key).Any()) continue;
            return provider switch
            {
                JsonConfigurationProvider json => json.Source.FileProvider?.GetFileInfo(json.Source.Path ?? "").PhysicalPath ?? json.Source.Path,
                CommandLineConfigurationProvider => "the command line",
                EnvironmentVariablesConfigurationProvider => "an environment variable",
                _ => null,
            };
        }
        return null;
    }

    /// <summary>
    /// Adds where the option a problem names was set (" (set in /etc/prorl/appsettings.json)"), so that a message about
    /// a value also names the file to edit.
    /// </summary>
    public static string WithSource(IConfiguration configuration, string problem)
    {
        foreach (System.Text.RegularExpressions.Match m in OptionPath().Matches(problem))
        {
            var path = m.Value.TrimEnd('.', ':');
            if (!Worker.Contains(path.Split(':')[0], StringComparer.OrdinalIgnoreCase)) continue;
            // The most specific key that a source sets: Tasks:Datasets:0:Path, else Tasks:Datasets:0, ...
            for (var key = path; key.Contains(':'); key = key[..key.LastIndexOf(':')])
                if (SourceOf(configuration, key) is { } source)
                    return source.Contains(Path.DirectorySeparatorChar) && problem.Contains(source, StringComparison.Ordinal) ? problem : $"{problem} (set in {source})";
            return problem;
        }
        return problem;
    }

    [System.Text.RegularExpressions.GeneratedRegex(@"\b[A-Za-z]+(?::[A-Za-z0-9_/\-\.]+)+")]
    private static partial System.Text.RegularExpressions.Regex OptionPath();

    /// <summary>The closest known section by case-insensitive edit distance.</summary>
    public static (string Section, int Distance) Closest(string key) =>
        Known.Select(k => (k, EditDistance(key.ToLowerInvariant(), k.ToLowerInvariant()))).MinBy(p => p.Item2);

    /// <summary>Levenshtein distance: insertions, deletions and substitutions.</summary>
    public static int EditDistance(string a, string b)
    {
        var previous = new int[b.Length + 1];
        var current = new int[b.Length + 1];
        for (int j = 0; j <= b.Length; j++) previous[j] = j;
        for (int i = 1; i <= a.Length; i++)
        {
            current[0] = i;
            for (int j = 1; j <= b.Length; j++)
                current[j] = Math.Min(Math.Min(current[j - 1] + 1, previous[j] + 1), previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1));
            (previous, current) = (current, previous);
        }
        return previous[b.Length];
    }

    private static (string? Source, bool Strict) Describe(IConfigurationProvider provider) => provider switch
    {
        JsonConfigurationProvider json => (json.Source.FileProvider?.GetFileInfo(json.Source.Path ?? "").PhysicalPath ?? json.Source.Path, true),
        CommandLineConfigurationProvider => ("command line", true),
        EnvironmentVariablesConfigurationProvider => ("environment variable", false),
        // The host's own configuration (DOTNET_* variables, --environment ...) is chained in; it is the framework's.
        ChainedConfigurationProvider => (null, false),
        _ => (provider.ToString(), true),
    };
}
