using System.ComponentModel.DataAnnotations;
using ProRL.Training.Autodiff;

namespace ProRL.Worker.Options;

/// <summary><c>Training</c>: how the training graph is built (part of the artifacts cache key) and run.</summary>
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

    /// <summary>
    /// Several responses per row in the trainer's forward and backward passes (the old and reference logprobs too), each
    /// attending to itself only, with rotary positions restarting at 0, so that short responses fill the padding of the
    /// long ones. Needs <c>Algorithm:LossAggregation=token-mean</c> and a model whose attention is the builder's
    /// GroupQueryAttention or MultiHeadAttention. Unset (the default): packed where both hold, padded otherwise (with a
    /// warning when the model is the reason); <c>true</c>: packed or refused; <c>false</c>: one response per row. Part of
    /// the artifacts cache key.
    /// </summary>
    public bool? PackSequences { get; set; }

    /// <summary>Whether to build packed artifacts first: asked for, or unset with the token-mean aggregation.</summary>
    public bool WantsPackedSequences(AlgorithmOptions algorithm) =>
        PackSequences ?? algorithm.LossAggregation.Equals(AlgorithmOptions.TokenMean, StringComparison.OrdinalIgnoreCase);

    public const string ArenaShared = "shared";
    public const string ArenaOff = "off";

    /// <summary>
    /// Memory of the graphs' intermediates: <c>shared</c>, one ONNX Runtime arena for the eval and training graphs,
    /// which keeps the pages of the largest step mapped between steps (faster; more memory at rest); <c>off</c>, each
    /// intermediate malloc'd and freed (slower; memory at rest is the state). Not part of the artifacts cache key.
    /// </summary>
    [OneOf(ArenaShared, ArenaOff)]
    public string MemoryArena { get; set; } = ArenaShared;

    public ProRL.Training.Session.MemoryArena Arena =>
        MemoryArena.Equals(ArenaOff, StringComparison.OrdinalIgnoreCase) ? ProRL.Training.Session.MemoryArena.Off : ProRL.Training.Session.MemoryArena.Shared;

    public RecomputeMode RecomputeMode =>
        Recompute.Equals(RecomputeLayers, StringComparison.OrdinalIgnoreCase) ? RecomputeMode.Layers : RecomputeMode.None;
}

public sealed class TrainingOptionsValidator : SectionValidator<TrainingOptions>;
