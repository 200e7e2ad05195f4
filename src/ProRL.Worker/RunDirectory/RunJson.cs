using System.Text.Json;
using System.Text.Json.Serialization;

namespace ProRL.Worker.RunDirectory;

/// <summary>The JSON conventions of every file in the run directory (camelCase, no NaN, indented for humans).</summary>
public static class RunJson
{
    public static JsonSerializerOptions Indented { get; } = Create(indented: true);

    /// <summary>One record per line, for the JSONL logs.</summary>
    public static JsonSerializerOptions Compact { get; } = Create(indented: false);

    private static JsonSerializerOptions Create(bool indented) => new(JsonSerializerDefaults.Web)
    {
        WriteIndented = indented,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };
}

/// <summary>A run-directory file that cannot be used as it is; the message names the file and what is wrong.</summary>
public sealed class RunDirectoryException(string message, Exception? inner = null) : IOException(message, inner);
