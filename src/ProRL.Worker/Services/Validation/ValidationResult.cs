using System.Globalization;
using System.Text.Json;
using ProRL.Onnx.IO;
using ProRL.Worker.RunDirectory;

namespace ProRL.Worker.Services.Validation;

/// <summary>The held-out logic families' part of a validation: never trained on, so reported apart from the rest.</summary>
/// <param name="PassAt1ByFamily">pass@1 of each held-out family.</param>
public sealed record HeldOutFamiliesResult(
    int Items,
    IReadOnlyDictionary<string, double> PassAtK,
    double MeanReward,
    IReadOnlyDictionary<string, double> PassAt1ByFamily);

/// <summary>
/// One validation of a policy version (<c>validation/v000010.json</c>): pass@k and rewards on the validation split of the
/// training mixture, and separately (<see cref="HeldOutFamilies"/>) on the held-out logic families; null in results
/// written before held-out families were validated, or with <c>Validation:HeldOutFamilyItems</c> 0.
/// </summary>
public sealed record ValidationResult(
    long Step,
    int Items,
    int SamplesPerItem,
    IReadOnlyDictionary<string, double> PassAtK,
    double MeanReward,
    IReadOnlyDictionary<string, double> MeanRewardByDomain,
    HeldOutFamiliesResult? HeldOutFamilies = null)
{
    /// <summary>The score the reset triggers follow: pass@1 on the validation split of the training mixture (the held-out
    /// families measure transfer, not the training distribution the reset rules watch).</summary>
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

    /// <summary>The result of version <paramref name="step"/>, or null when it has not been written (or cannot be read: it is redone).</summary>
    public static ValidationResult? TryRead(RunStore store, long step) => File.Exists(PathFor(store, step)) ? TryLoad(PathFor(store, step)) : null;

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
