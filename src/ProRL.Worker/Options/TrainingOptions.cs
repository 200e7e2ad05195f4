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

    public RecomputeMode RecomputeMode =>
        Recompute.Equals(RecomputeLayers, StringComparison.OrdinalIgnoreCase) ? RecomputeMode.Layers : RecomputeMode.None;
}

public sealed class TrainingOptionsValidator : SectionValidator<TrainingOptions>;
