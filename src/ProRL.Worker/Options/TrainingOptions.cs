using System.ComponentModel.DataAnnotations;
using ProRL.Training.Autodiff;

namespace ProRL.Worker.Options;

/// <summary><c>Training</c>: how the training graph is built (part of the artifacts cache key).</summary>
public sealed class TrainingOptions : IOptionsSection
{
    public static string SectionName => "Training";

    public const string RecomputeNone = "none";
    public const string RecomputeLayers = "layers";

    /// <summary>
    /// <c>layers</c>: gradient checkpointing by decoder layer, each layer's forward pass run again in the backward pass
    /// (less activation memory, about one more forward pass of time). Falls back to <c>none</c>, with a warning, for a
    /// decoder whose layers cannot be found.
    /// </summary>
    [OneOf(RecomputeNone, RecomputeLayers)]
    public string Recompute { get; set; } = RecomputeNone;

    /// <summary>
    /// Token slices of the log-softmax head: the [B, T, V] logits are made one slice at a time, in the forward pass and
    /// again in the backward pass, so that a large vocabulary never needs them whole (about one more head matmul of
    /// time). 0: whole logits, kept for the backward pass. Applies when the logits are the export's plain projection
    /// (the builder's /lm_head/MatMul); otherwise the head reads whole logits and the artifacts manifest says so.
    /// </summary>
    [Range(0, 1024)]
    public int HeadChunks { get; set; } = ProRL.Training.Heads.EvalHead.DefaultChunks;

    public RecomputeMode RecomputeMode =>
        Recompute.Equals(RecomputeLayers, StringComparison.OrdinalIgnoreCase) ? RecomputeMode.Layers : RecomputeMode.None;
}

public sealed class TrainingOptionsValidator : SectionValidator<TrainingOptions>;
