namespace ProRL.EndToEnd.Tests;

/// <summary>
/// Worker settings (as configuration keys; <see cref="WorkerProcess"/> passes them as environment variables) for a run
/// whose steps take a second or two on one core: few short samples, a 2-step warm-up, frequent validation.
/// </summary>
internal static class SmallRun
{
    public const int PromptsPerStep = 4;

    public static Dictionary<string, string> Settings(string modelPath, string runDirectory, int promptsPerChunk) => new()
    {
        ["Model:Path"] = modelPath,
        ["Model:CreateIfMissing"] = "none",
        ["Model:Threads"] = "1",
        ["Run:Directory"] = runDirectory,
        ["Run:MaxSteps"] = "0",
        ["Run:PollIntervalMilliseconds"] = "50",
        // Every trainer version stays, so that the test can read every step's consumed-chunk ledger.
        ["Run:KeepTrainerVersions"] = "1000",
        ["Sft:Steps"] = "2",
        ["Sft:BatchSize"] = "4",
        ["Rollout:PromptsPerStep"] = PromptsPerStep.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["Rollout:PromptsPerChunk"] = promptsPerChunk.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["Rollout:SamplesPerPrompt"] = "4",
        ["Rollout:MaxNewTokens"] = "8",
        // Without dynamic sampling every step is one round that keeps every group, so the optimizer runs every step
        // and each step consumes exactly the requests of its round 0.
        ["Algorithm:DynamicSampling"] = "false",
        ["Algorithm:MiniBatches"] = "1",
        ["Validation:EveryNSteps"] = "3",
        ["Validation:Items"] = "4",
        ["Validation:SamplesPerItem"] = "2",
        ["Validation:PassAtK:0"] = "1",
        ["Validation:PassAtK:1"] = "2",
        ["Validation:MaxNewTokens"] = "8",
        ["ReferenceReset:EveryNSteps"] = "4",
        ["ReferenceReset:MinGapSteps"] = "2",
        ["Reporting:PlotEverySteps"] = "0",
    };

    /// <summary>The ids under which the trainer orders the rollouts of an RL step (round 0 only, see above).</summary>
    public static IReadOnlyList<string> RequestIds(long step, int promptsPerChunk) =>
        Enumerable.Range(0, (PromptsPerStep + promptsPerChunk - 1) / promptsPerChunk)
            .Select(i => ProRL.Worker.Services.Training.TrainerExchange.RequestId(step, 0, i).Value)
            .ToList();
}
