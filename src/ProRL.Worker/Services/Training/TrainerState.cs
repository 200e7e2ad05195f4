using System.Text.Json;
using ProRL.Algorithms.Reset;
using ProRL.Onnx.IO;
using ProRL.Tasks.Mixture;

namespace ProRL.Worker.Services.Training;

/// <summary>
/// What a trainer version folder holds besides the optimizer checkpoint: where the task stream stands, which
/// reference the step trained against, and which phase produced it. Together with the checkpoint this is everything a
/// restart needs to continue exactly where the last commit left off.
/// </summary>
/// <param name="KlCoef">The KL coefficient for the next step (an adaptive controller's state); null in states written
/// before adaptive control existed, or by the warm-up, meaning <c>Algorithm:KlCoef</c>.</param>
/// <param name="KlShare">The KL share of this step's loss, which the reset decision after it reads; null when the step
/// made no update (or the state is older than trainer-side reset decisions).</param>
/// <param name="Validation">The validation results since the last reset that the reset decisions have read so far.</param>
public sealed record TrainerState(long Step, string Phase, string MixturePosition, long ReferenceVersion, double? KlCoef = null,
    double? KlShare = null, IReadOnlyList<ValidationPoint>? Validation = null)
{
    public const string FileName = "trainer-state.json";
    public const string CheckpointFolder = "checkpoint";
    public const string RlPhase = "rl";
    public const string SftPhase = "sft";

    public MixturePosition Position => ProRL.Tasks.Mixture.MixturePosition.FromJson(MixturePosition);

    public void WriteTo(string folder) =>
        AtomicFile.WriteAllText(Path.Combine(folder, FileName), JsonSerializer.Serialize(this, new JsonSerializerOptions { WriteIndented = true }));

    public static TrainerState ReadFrom(string folder)
    {
        var path = Path.Combine(folder, FileName);
        try
        {
            return JsonSerializer.Deserialize<TrainerState>(File.ReadAllText(path))
                   ?? throw new InvalidDataException($"'{path}' is empty.");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"'{path}' is not a valid trainer state: {e.Message}", e);
        }
    }
}
