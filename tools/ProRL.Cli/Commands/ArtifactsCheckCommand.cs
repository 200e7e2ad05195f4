using System.ComponentModel;
using System.Globalization;
using ProRL.Evaluation.Consistency;
using ProRL.Onnx.Models;
using ProRL.Training.Artifacts;
using Spectre.Console;
using Spectre.Console.Cli;

namespace ProRL.Cli.Commands;

/// <summary>
/// `prorl artifacts check`: the lowering against the export's own logits, and the training graph's gradients against
/// float64 central differences along random directions. Exits 1 when a tolerance is exceeded.
/// </summary>
public sealed class ArtifactsCheckCommand : Command<ArtifactsCheckCommand.Settings>
{
    public sealed class Settings : ArtifactsBuildCommand.LossSettings
    {
        [CommandOption("--artifacts <DIR>"), Description("Built artifacts: check their loss options and checkpoint parameters (and that they belong to --model).")]
        public string? Artifacts { get; init; }

        [CommandOption("--directions <N>"), Description("Random directions of the gradient spot-check (default 3).")]
        public int Directions { get; init; } = 3;

        [CommandOption("--lowering-tolerance <X>"), Description("Largest allowed |Δlogit| of the lowering (default: by the export's logits dtype, 1e-4 fp32, 5e-3 fp16, 4e-2 bf16, times max(1, largest |logit|)).")]
        public double? LoweringTolerance { get; init; }

        [CommandOption("--epsilon <X>"), Description("Step of the float64 central differences (default 1e-4; larger steps suit directions within small tensors).")]
        public double Epsilon { get; init; } = 1e-4;

        [CommandOption("--engine"), Description("Also compare the rollout engine's behaviour log-probabilities with the eval graph's (GenAI must run the export: not bf16 on the CPU).")]
        public bool Engine { get; init; }

        [CommandOption("--no-gradients"), Description("Skip the float64 gradient check (it holds several float64 copies of the parameters: about 40 bytes per parameter, too much for models of several hundred million parameters on a small machine).")]
        public bool NoGradients { get; init; }

        [CommandOption("--per-tensor"), Description("Also check one direction restricted to each parameter tensor (slower).")]
        public bool PerTensor { get; init; }

        [CommandOption("--gradient-tolerance <X>"), Description("Largest allowed relative error of a directional derivative (default 1e-5).")]
        public double GradientTolerance { get; init; } = 1e-5;

        [CommandOption("--length <N>"), Description("Tokens per sequence of the checks (default 12).")]
        public int Length { get; init; } = 12;

        public override ValidationResult Validate()
        {
            if (Directions < 1) return ValidationResult.Error("--directions must be at least 1.");
            if (Length < 2) return ValidationResult.Error("--length must be at least 2.");
            if (LoweringTolerance is { } l && !(l > 0) || !(GradientTolerance > 0) || !(Epsilon > 0)) return ValidationResult.Error("Tolerances must be > 0.");
            return base.Validate();
        }
    }

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        InputChecks.RequireTrainableModel(settings.Model);
        var folder = ModelFolder.Open(settings.Model!);
        var options = settings.ToOptions();
        ArtifactsManifest? manifest = null;
        if (settings.Artifacts is { } dir)
        {
            manifest = ArtifactsManifest.Load(Path.Combine(dir, ArtifactsManifest.FileName));
            if (manifest.SourceModelHash != folder.ContentHash())
                AnsiConsole.MarkupLine("[yellow]warning:[/] the artifacts were built from a different model (content hash differs).");
            options = options with { Head = manifest.Head, PolicyLoss = manifest.PolicyLoss, PackedSequences = manifest.PackedSequences };
        }
        var decoder = ArtifactsBuilder.LoadTrainableDecoder(folder, options.PackedSequences);
        IReadOnlyDictionary<string, ProRL.Onnx.Tensors.Tensor> parameters;
        if (manifest is not null)
            parameters = Checkpoint.Load(Path.Combine(settings.Artifacts!, manifest.CheckpointDirectory)).Parameters;
        else
        {
            var specs = TrainingGraphBuilder.TrainableParameters(decoder);
            parameters = specs.ToDictionary(s => s.Name, s => decoder.Graph.Initializer(s.Name)!, StringComparer.Ordinal);
        }

        var lowering = ArtifactsCheck.CheckLowering(folder, decoder, length: settings.Length);
        IReadOnlyList<DirectionCheck> checks = settings.NoGradients ? [] : ArtifactsCheck.CheckGradients(decoder, parameters, options,
            folder.Config.Model.VocabSize, settings.Directions, length: settings.Length, epsilon: settings.Epsilon, perTensor: settings.PerTensor);

        double loweringTolerance = settings.LoweringTolerance ?? lowering.Tolerance;
        bool loweringOk = lowering.MaxAbsDifference <= loweringTolerance;
        var table = new Table().AddColumns("check", "value", "tolerance", "result");
        var layout = options.PackedSequences ? "packed rows, each sequence against the export run alone" : "right-padded batch";
        table.AddRow($"lowering: max |Δlogit| vs the {lowering.Oracle} ({lowering.LogitsType} logits, {layout})",
            Format(lowering.MaxAbsDifference), Format(loweringTolerance), Verdict(loweringOk));
        bool gradientsOk = true;
        foreach (var c in checks)
        {
            bool ok = c.Within(settings.GradientTolerance);
            gradientsOk &= ok;
            table.AddRow($"gradient direction {c.Index}{(c.Tensor is null ? "" : $" ({c.Tensor} only)")}: analytic {Format(c.Analytic)}, central difference {Format(c.FiniteDifference)}",
                Format(c.RelativeError), Format(settings.GradientTolerance), Verdict(ok));
        }
        bool engineOk = true;
        if (settings.Engine)
        {
            var gap = EngineLogprobCheck.Run(folder.Directory, lowering.MaxAbsLogit);
            engineOk = gap.Passed;
            table.AddRow($"rollout engine vs eval graph: max |Δ logprob| over {gap.Tokens} sampled tokens ({gap.LogitsType} logits)",
                Format(gap.MaxAbsGap), Format(gap.Tolerance), Verdict(engineOk));
        }
        AnsiConsole.Write(table);
        var worst = checks.MaxBy(c => c.RelativeError);
        AnsiConsole.MarkupLine($"worst: |Δlogit| {Format(lowering.MaxAbsDifference)} (largest |logit| {Format(lowering.MaxAbsLogit)})" +
            (worst is null ? ", gradients not checked (--no-gradients)" : $", gradient relative error {Format(worst.RelativeError)} (direction {worst.Index})"));
        return loweringOk && gradientsOk && engineOk ? 0 : 1;
    }

    private static string Format(double x) => x.ToString("G4", CultureInfo.InvariantCulture);
    private static string Verdict(bool ok) => ok ? "[green]ok[/]" : "[red]FAILED[/]";
}
