using System.Text.Json;
using System.Text.Json.Nodes;
using ProRL.Onnx.IO;

namespace ProRL.Worker.RunDirectory;

/// <summary><c>run.json</c>: the run's identity, the model it trains, and the resolved configuration it started with.</summary>
public sealed record RunInfo(
    string RunId,
    DateTimeOffset CreatedUtc,
    string ModelPath,
    string? ModelHash,
    JsonObject? Configuration,
    int FormatVersion = RunInfo.CurrentFormatVersion)
{
    public const string FileName = "run.json";
    public const int CurrentFormatVersion = 1;

    public static RunInfo New(string modelPath, string? modelHash, JsonObject? configuration) =>
        new($"run-{DateTime.UtcNow:yyyyMMdd-HHmmss}-{Guid.NewGuid().ToString("N")[..8]}", DateTimeOffset.UtcNow, modelPath, modelHash, configuration);

    /// <summary>Reads <paramref name="path"/>; null when absent; <see cref="RunDirectoryException"/> naming it when unreadable.</summary>
    public static RunInfo? Load(string path)
    {
        if (!File.Exists(path)) return null;
        try
        {
            var info = JsonSerializer.Deserialize<RunInfo>(File.ReadAllBytes(path), RunJson.Indented);
            if (info is null || string.IsNullOrEmpty(info.RunId)) throw new RunDirectoryException($"{path}: no 'runId'.");
            if (info.FormatVersion > CurrentFormatVersion)
                throw new RunDirectoryException($"{path}: format version {info.FormatVersion} is newer than this worker's ({CurrentFormatVersion}).");
            return info;
        }
        catch (JsonException e)
        {
            throw new RunDirectoryException($"{path}: not a valid run file ({e.Message}).", e);
        }
    }

    public void Save(string path) => AtomicFile.WriteAllBytes(path, JsonSerializer.SerializeToUtf8Bytes(this, RunJson.Indented));
}
