using ProRL.Onnx.Graph;
using ProRL.Onnx.Tensors;
using ProRL.Training.Autodiff;
using ProRL.Training.Heads;
using ProRL.Training.Optimizer;

namespace ProRL.Training.Artifacts;

/// <summary>Which loss the training graph minimises.</summary>
public enum LossHeadKind
{
    /// <summary>ProRL's clipped policy-gradient loss with KL and entropy terms (<see cref="PolicyLossHead"/>).</summary>
    Policy,
    /// <summary>Masked next-token cross-entropy (<see cref="CrossEntropyHead"/>), for SFT and tests.</summary>
    CrossEntropy,
}

/// <summary>Build-time choices of the training graph.</summary>
public sealed record TrainingGraphOptions
{
    public LossHeadKind Head { get; init; } = LossHeadKind.Policy;
    public PolicyLossHeadOptions PolicyLoss { get; init; } = new();

    /// <summary>
    /// Adds an input <c>p.grad.in</c> per parameter and outputs <c>p.grad</c> = p.grad.in + ∂loss/∂p, so micro-batch
    /// gradients add up in buffers that never leave the device. Off: <c>p.grad</c> is the micro-batch's gradient alone.
    /// </summary>
    public bool AccumulateGradients { get; init; } = true;

    /// <summary>
    /// <see cref="RecomputeMode.Layers"/>: gradient checkpointing by decoder layer (<see cref="LayerRecomputation"/>),
    /// less activation memory for one more forward pass of the layers. Falls back to none, saying why, when the
    /// decoder's layers cannot be found.
    /// </summary>
    public RecomputeMode Recompute { get; init; } = RecomputeMode.None;

    /// <summary>
    /// The eval head's token slices (<see cref="EvalHead.Append"/>): the [B, T, V] logits are made a slice at a time, in
    /// the forward and (again) in the backward pass. 0: the whole logits, kept for the backward pass.
    /// </summary>
    public int HeadChunks { get; init; } = EvalHead.DefaultChunks;

    /// <summary>
    /// Lower the decoder for packed sequences (<see cref="Lowering.LoweringOptions.PackedSequences"/>): several samples
    /// per row, kept apart by segment_ids. Needs the token-mean loss aggregation.
    /// </summary>
    public bool PackedSequences { get; init; }
}

/// <summary>
/// Derives the eval and training graphs from a full-sequence decoder (inputs <c>input_ids</c>, <c>attention_mask</c>;
/// output <c>logits</c> [B, T, V]; contrib ops already lowered). Trainable initializers become graph inputs (their
/// values live in the session and the checkpoint, not in the graphs).
/// </summary>
public static class TrainingGraphBuilder
{
    public const string InputIds = "input_ids", AttentionMask = "attention_mask", Logits = "logits";
    /// <summary>The inputs of a decoder lowered for packed sequences, in place of <see cref="AttentionMask"/>.</summary>
    public const string SegmentIds = Lowering.DecoderLowering.SegmentIds, PositionIds = Lowering.DecoderLowering.PositionIds;

    /// <summary>Whether <paramref name="decoder"/> was lowered for packed sequences (it reads segment_ids).</summary>
    public static bool IsPacked(OnnxModel decoder) => decoder.Graph.FindInput(SegmentIds) is not null;

    public static string GradInputName(string parameter) => AdamWGraph.GradName(parameter) + ".in";

    /// <summary>
    /// The default trainable set: floating-point initializers with at least two elements that some node reads, except
    /// the rotary caches and the GenAI builder's constants (names starting with '/').
    /// </summary>
    public static bool IsDefaultTrainable(Tensor initializer) =>
        initializer.DataType.IsFloatingPoint()
        && initializer.ElementCount() >= 2
        && !initializer.Name.StartsWith('/')
        && !initializer.Name.Contains("cos_cache", StringComparison.Ordinal)
        && !initializer.Name.Contains("sin_cache", StringComparison.Ordinal);

    /// <summary>The trainable parameters of <paramref name="decoder"/>, in initializer order.</summary>
    public static IReadOnlyList<ParameterSpec> TrainableParameters(OnnxModel decoder, Func<Tensor, bool>? isTrainable = null)
    {
        isTrainable ??= IsDefaultTrainable;
        var read = decoder.Graph.Nodes.SelectMany(n => n.Inputs).ToHashSet(StringComparer.Ordinal);
        return decoder.Graph.Initializers
            .Where(t => read.Contains(t.Name) && isTrainable(t))
            .Select(t => new ParameterSpec(t.Name, t.Dims))
            .ToList();
    }

    /// <summary>The eval graph: parameters as inputs, <c>temperature</c> input, outputs <c>logprobs</c> and <c>entropy</c>.</summary>
    public static OnnxModel BuildEval(OnnxModel decoder, IReadOnlyList<ParameterSpec> parameters, int headChunks = EvalHead.DefaultChunks)
    {
        var model = PrepareDecoder(decoder, parameters, out var h);
        model.Graph.Outputs.Clear();
        EvalHead.Append(h, Logits, InputIds, chunks: headChunks);
        return Finish(model);
    }

    /// <summary>The training graph: eval head + loss head + gradients of <c>loss</c> for every parameter.</summary>
    public static OnnxModel BuildTraining(OnnxModel decoder, IReadOnlyList<ParameterSpec> parameters, TrainingGraphOptions options) =>
        BuildTraining(decoder, parameters, options, out _);

    /// <summary>
    /// As <see cref="BuildTraining(OnnxModel, IReadOnlyList{ParameterSpec}, TrainingGraphOptions)"/>; with
    /// <see cref="RecomputeMode.Layers"/>, <paramref name="recomputation"/> says what was recomputed (or why nothing was).
    /// </summary>
    public static OnnxModel BuildTraining(OnnxModel decoder, IReadOnlyList<ParameterSpec> parameters, TrainingGraphOptions options,
        out RecomputationReport? recomputation)
    {
        const string gradientPrefix = "grad";
        if (IsPacked(decoder) && options.Head == LossHeadKind.Policy && options.PolicyLoss.Aggregation != ProRL.Algorithms.Loss.LossAggregation.TokenMean)
            throw new ArgumentException($"Packed sequences need the token-mean loss aggregation, not {options.PolicyLoss.Aggregation}: the " +
                "per-sequence aggregations read one sequence per row.");
        var model = PrepareDecoder(decoder, parameters, out var h);
        model.Graph.Outputs.Clear();
        var eval = EvalHead.Append(h, Logits, InputIds, asOutputs: false, chunks: options.HeadChunks);
        if (options.Head == LossHeadKind.Policy) PolicyLossHead.Append(h, eval, options.PolicyLoss);
        else CrossEntropyHead.Append(h, eval);

        var names = parameters.Select(p => p.Name).ToList();
        var forwardNodes = model.Graph.Nodes.ToList();
        var gradients = GradientBuilder.AddGradients(model, PolicyLossHead.Loss, names,
            new GradientOptions { ModelName = "training_model", NodePrefix = gradientPrefix });
        recomputation = options.Recompute == RecomputeMode.Layers
            ? LayerRecomputation.Apply(model, forwardNodes, gradientPrefix)
            : null;
        foreach (var p in parameters)
        {
            var shape = p.Shape.Select(d => (Dim)d).ToArray();
            var gradient = gradients[p.Name];
            if (options.AccumulateGradients)
                gradient = h.Add(h.Input(GradInputName(p.Name), shape), gradient);
            else if (model.Graph.Producer(gradient) is null || model.Graph.FindOutput(gradient) is not null)
                gradient = h.Op("Identity", gradient); // a graph input or a value already named as an output cannot be renamed
            h.Output(gradient, AdamWGraph.GradName(p.Name), shape);
        }
        return Finish(model);
    }

    /// <summary>The head's token slices for <paramref name="decoder"/>: <paramref name="requested"/>, or 0 when its logits are not a plain projection.</summary>
    public static int HeadChunksApplied(OnnxModel decoder, int requested)
    {
        if (requested == 0) return 0;
        var model = PrepareDecoder(decoder, [], out var h);
        model.Graph.Outputs.Clear();
        return LogitsProjection.Find(h.Graph, Logits) is null ? 0 : requested;
    }

    private static OnnxModel PrepareDecoder(OnnxModel decoder, IReadOnlyList<ParameterSpec> parameters, out HeadGraph h)
    {
        var model = decoder.Clone();
        var g = model.Graph;
        foreach (var required in IsPacked(decoder) ? new[] { InputIds, SegmentIds, PositionIds } : [InputIds, AttentionMask])
            if (g.FindInput(required) is null)
                throw new ArgumentException($"The decoder has no input '{required}'; lower it for training first (DecoderLowering.ForTraining).");
        var logits = g.FindOutput(Logits)
            ?? throw new ArgumentException($"The decoder has no output '{Logits}'.");
        foreach (var p in parameters)
        {
            var tensor = g.Initializer(p.Name)
                ?? throw new ArgumentException($"Parameter '{p.Name}' is not an initializer of the decoder.");
            if (!tensor.Dims.SequenceEqual(p.Shape))
                throw new ArgumentException($"Parameter '{p.Name}' has shape [{string.Join(",", tensor.Dims)}] in the decoder, not [{string.Join(",", p.Shape)}].");
            g.RemoveInitializer(p.Name);
            g.Inputs.Add(new ValueInfo(p.Name, tensor.DataType, p.Shape.Select(d => (Dim)d).ToArray()));
        }
        GatherColumnsOfTiedEmbeddings(g);
        h = new HeadGraph(g, logits.ElementType);
        return model;
    }

    /// <summary>
    /// A tied embedding stored as the LM head's W [H, V] is read as Gather(Transpose(W), ids): a transposed copy of W in
    /// the forward pass and, in the backward pass, a transposed copy of its gradient. Gather(W, ids, axis 1) transposed
    /// back is the same values, read in place, and its gradient scatters straight into W's layout.
    /// </summary>
    private static void GatherColumnsOfTiedEmbeddings(OnnxGraph g)
    {
        int rewritten = 0;
        foreach (var gather in g.Nodes.Where(n => n is { OpType: "Gather", IsStandard: true } && n.GetInt("axis", 0) == 0).ToList())
        {
            if (g.Producer(gather.Inputs[0]) is not { OpType: "Transpose", IsStandard: true } transpose) continue;
            var perm = transpose.Attribute("perm")?.Ints.ToArray();
            if (perm is not [1, 0]) continue;
            if (g.FindInput(gather.Inputs[1])?.Shape?.Length is not { } ids || ids < 1) continue;
            var columns = g.OpNamed(gather.Name + "/columns", "Gather", [transpose.Inputs[0], gather.Inputs[1]], Attr.Int("axis", 1));
            // Gather(W, ids, axis 1) is [H, ids...]: move H last.
            var order = Enumerable.Range(1, ids).Select(i => (long)i).Append(0).ToArray();
            g.RemoveNode(gather);
            g.AddNode("Transpose", [columns], [gather.Outputs[0]], g.UniqueName(gather.Name + "/rows"), "", Attr.Ints("perm", order));
            rewritten++;
        }
        if (rewritten > 0) g.TopologicalSort(); // the new nodes were appended; what follows reads the graph in order
    }

    private static OnnxModel Finish(OnnxModel model)
    {
        FusedOps.Lower(model);
        model.Graph.RemoveUnused();
        model.Graph.TopologicalSort();
        return model;
    }
}
