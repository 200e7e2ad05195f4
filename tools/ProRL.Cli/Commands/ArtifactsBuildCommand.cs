using System.ComponentModel;
using System.Diagnostics;
using ProRL.Algorithms.Loss;
using ProRL.Training.Artifacts;
using ProRL.Training.Autodiff;
using ProRL.Training.Heads;
using Spectre.Console.Cli;
using Spectre.Console;

namespace ProRL.Cli.Commands;

/// <summary>`prorl artifacts build`: eval/training/optimizer graphs, checkpoint and manifest of a GenAI model folder (DESIGN §5).</summary>
public sealed class ArtifactsBuildCommand : Command<ArtifactsBuildCommand.Settings>
{
    /// <summary>Loss-head options shared by `artifacts build` and `artifacts check`.</summary>
    public class LossSettings : CommandSettings
    {
        [CommandOption("--model <DIR>"), Description("GenAI model folder (fp32, fp16 or bf16 export).")]
        public string? Model { get; init; }

        [CommandOption("--head <NAME>"), Description("policy (ProRL loss, default) or cross-entropy (SFT).")]
        public string Head { get; init; } = "policy";

        [CommandOption("--kl <NAME>"), Description("KL estimator: k3 (default), k2, k1 or none.")]
        public string Kl { get; init; } = "k3";

        [CommandOption("--aggregation <NAME>"), Description("token-mean (default), seq-mean-token-mean or seq-mean-token-sum-norm.")]
        public string Aggregation { get; init; } = "token-mean";

        [CommandOption("--norm-length <N>"), Description("T_max of seq-mean-token-sum-norm (default: the row length).")]
        public int? NormalizationLength { get; init; }

        [CommandOption("--dual-clip"), Description("Add the dual-clip bound input (caps the loss of negative advantages).")]
        public bool DualClip { get; init; }

        [CommandOption("--no-entropy-in-loss"), Description("Report entropy but leave it out of the loss (saves its backward pass).")]
        public bool NoEntropyInLoss { get; init; }

        [CommandOption("--no-accumulate"), Description("Training graph outputs each micro-batch's gradient alone (no grad_in + grad).")]
        public bool NoAccumulate { get; init; }

        [CommandOption("--recompute <MODE>"), Description("none (default) or layers: recompute each decoder layer's forward in the backward pass (less activation memory, one more forward pass).")]
        public string Recompute { get; init; } = "none";

        [CommandOption("--head-chunks <N>"), Description("Token slices of the log-softmax head (default 8): the [[B, T, V]] logits are made a slice at a time, and again in the backward pass. 0: whole logits, kept for the backward pass.")]
        public int HeadChunks { get; init; } = ProRL.Training.Heads.EvalHead.DefaultChunks;

        [CommandOption("--pack-sequences"), Description("Several sequences per row, each attending to itself (inputs segment_ids and position_ids instead of attention_mask). Needs --aggregation token-mean.")]
        public bool PackSequences { get; init; }

        public override ValidationResult Validate()
        {
            if (string.IsNullOrWhiteSpace(Model)) return ValidationResult.Error("--model is required.");
            if (HeadChunks < 0) return ValidationResult.Error($"--head-chunks {HeadChunks} must be ≥ 0.");
            try { ToOptions(); }
            catch (ArgumentException e) { return ValidationResult.Error(e.Message); }
            return ValidationResult.Success();
        }

        public TrainingGraphOptions ToOptions()
        {
            var loss = new PolicyLossHeadOptions
            {
                KlEstimator = Parse<KlEstimator>(Kl, "--kl", ["none", "k1", "k2", "k3"]),
                Aggregation = Parse<LossAggregation>(Aggregation, "--aggregation", ["token-mean", "seq-mean-token-mean", "seq-mean-token-sum-norm"]),
                NormalizationLength = NormalizationLength,
                DualClip = DualClip,
                EntropyInLoss = !NoEntropyInLoss,
            };
            loss.Validate();
            if (PackSequences && loss.Aggregation != LossAggregation.TokenMean)
                throw new ArgumentException($"--pack-sequences needs --aggregation token-mean, not '{Aggregation}' (the per-sequence aggregations read one sequence per row).");
            return new TrainingGraphOptions
            {
                Head = Parse<LossHeadKind>(Head, "--head", ["policy", "cross-entropy"]),
                PolicyLoss = loss,
                AccumulateGradients = !NoAccumulate,
                Recompute = ParseRecompute(Recompute, "--recompute"),
                HeadChunks = HeadChunks,
                PackedSequences = PackSequences,
            };
        }

        /// <summary>none or layers (shared with `bench train`).</summary>
        public static RecomputeMode ParseRecompute(string value, string option) => Parse<RecomputeMode>(value, option, ["none", "layers"]);

        /// <summary>Kebab-case names in enum order (so "k3" is the fourth KlEstimator value).</summary>
        private static T Parse<T>(string value, string option, string[] names) where T : struct, Enum
        {
            int index = Array.IndexOf(names, value.ToLowerInvariant());
            if (index < 0) throw new ArgumentException($"{option} '{value}' is unknown (allowed: {string.Join(", ", names)}).");
            return Enum.GetValues<T>()[index];
        }
    }

    public sealed class Settings : LossSettings
    {
        [CommandOption("--out <DIR>"), Description("Folder to write the artifacts into (created if needed).")]
        public string? Out { get; init; }

        public override ValidationResult Validate() =>
            string.IsNullOrWhiteSpace(Out) ? ValidationResult.Error("--out is required.") : base.Validate();
    }

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        InputChecks.RequireTrainableModel(settings.Model);
        var clock = Stopwatch.StartNew();
        var artifacts = ArtifactsBuilder.Build(settings.Model!, new ArtifactsOptions { Training = settings.ToOptions() });
        artifacts.Write(settings.Out!);
        var m = artifacts.Manifest;
        var table = new Table().AddColumns("property", "value");
        table.AddRow("artifacts", Markup.Escape(Path.GetFullPath(settings.Out!)));
        table.AddRow("source model hash", m.SourceModelHash);
        table.AddRow("parameters", $"{m.Parameters.Length} tensors, {m.Parameters.Sum(p => p.Shape.Aggregate(1L, (a, b) => a * b)):N0} values");
        table.AddRow("head", m.Head == LossHeadKind.Policy
            ? $"policy: kl {m.PolicyLoss.KlEstimator}, {m.PolicyLoss.Aggregation}, dual clip {m.PolicyLoss.DualClip}, entropy in loss {m.PolicyLoss.EntropyInLoss}"
            : "cross-entropy");
        table.AddRow("training graph", $"{artifacts.TrainingModel.Graph.Nodes.Count:N0} nodes, {m.TrainingModel.Inputs.Length} inputs, {m.TrainingModel.Outputs.Length} outputs");
        table.AddRow("recompute", Markup.Escape(m.RecomputeNote ?? m.Recompute.ToString().ToLowerInvariant()));
        table.AddRow("logits", HeadDescription(m.HeadChunks));
        table.AddRow("built in", $"{clock.Elapsed.TotalSeconds:F1} s");
        AnsiConsole.Write(table);
        return 0;
    }

    /// <summary>The manifest's head slicing in words (shared with `bench train`).</summary>
    public static string HeadDescription(int headChunks) =>
        headChunks > 0 ? $"{headChunks} token slices (logits never whole)" : "whole logits";
}
