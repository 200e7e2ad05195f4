using System.Globalization;
using System.Text.Json;
using ProRL.Onnx.IO;
using ProRL.Worker.RunDirectory;

namespace ProRL.Worker.Services.Validation;

/// <summary>One validation of a policy version on the held-out items (<c>validation/v000010.json</c>).</summary>
public sealed record ValidationResult(
    long Step,
    int Items,
    int SamplesPerItem,
    IReadOnlyDictionary<string, double> PassAtK,
    double MeanReward,
    IReadOnlyDictionary<string, double> MeanRewardByDomain)
{
    /// <summary>The score the reset triggers follow: pass@1.</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public double Score => PassAtK.TryGetValue("1", out var p) ? p : MeanReward;

    public static string PathFor(RunStore store, long step) => Path.Combine(store.ValidationFolder, VersionStore.FolderName(step) + ".json");

    public void Save(RunStore store) => AtomicFile.WriteAllBytes(PathFor(store, Step), JsonSerializer.SerializeToUtf8Bytes(this, RunJson.Indented));

    /// <summary>Every readable result, in step order (an unreadable file is skipped: a validation can always be redone).</summary>
    public static IReadOnlyList<ValidationResult> ReadAll(RunStore store) =>
        Directory.EnumerateFiles(store.ValidationFolder, "v*.json")
            .Select(TryLoad)
            .OfType<ValidationResult>()
            .OrderBy(r => r.Step)
            .ToList();

    public static bool Exists(RunStore store, long step) => File.Exists(PathFor(store, step));

    private static ValidationResult? TryLoad(string path)
    {
        try
        {
            return JsonSerializer.Deserialize<ValidationResult>(File.ReadAllBytes(path), RunJson.Indented);
        }
        catch (Exception e) when (e is JsonException or IOException)
        {
            return null;
        }
    }

    public static string KeyOf(int k) => k.ToString(CultureInfo.InvariantCulture);
}
