using ProRL.Onnx.Graph;
using ProRL.Onnx.Tensors;

namespace ProRL.Training.Lowering;

/// <summary>
/// Turns a GenAI decoder export (KV cache in, KV cache out, contrib ops) into the full-sequence decoder that training
/// differentiates: inputs input_ids [B,T] and attention_mask [B,T] (int64, right padding), output logits [B,T,V],
/// no past/present tensors (past length 0), positions 0..T-1 in every row, and only standard ONNX ops. With
/// <see cref="LoweringOptions.PackedSequences"/>, inputs input_ids, position_ids and segment_ids [B,T] instead: several
/// sequences per row, each attending to itself only, with positions restarting at 0.
/// Initializers are kept as they are (dtype included; see <see cref="PrecisionConversion.ConvertToFloat32"/>).
/// </summary>
public static class DecoderLowering
{
    public const string InputIds = "input_ids";
    public const string AttentionMask = "attention_mask";
    public const string PositionIds = "position_ids";
    /// <summary>Packed rows only: which sequence each token belongs to (0 = the padding after the last one).</summary>
    public const string SegmentIds = "segment_ids";
    public const string Logits = "logits";

    /// <summary>The inputs of each attention op that take the KV cache; the lowering computes them with past length 0.</summary>
    private static readonly Dictionary<string, int[]> CacheSlots = new(StringComparer.Ordinal)
    {
        ["GroupQueryAttention"] = [3, 4],
        ["MultiHeadAttention"] = [6, 7],
    };

    /// <summary>Returns the training decoder; <paramref name="genaiExport"/> is left unchanged.</summary>
    public static OnnxModel ForTraining(OnnxModel genaiExport, LoweringOptions? options = null)
    {
        options ??= new LoweringOptions();
        var modelName = options.ModelName ?? genaiExport.Graph.Name;
        PrecisionConversion.EnsureTrainablePrecision(genaiExport, modelName);
        var model = genaiExport.Clone();
        OpsetUpgrade.Apply(model, modelName);
        var graph = model.Graph;

        RequireInput(graph, InputIds, modelName);
        RequireInput(graph, AttentionMask, modelName);
        var logits = graph.FindOutput(Logits)
            ?? throw new LoweringException($"Model '{modelName}' has no '{Logits}' output (outputs: {string.Join(", ", graph.Outputs.Select(o => o.Name))}).");

        DropKvCache(graph, modelName);
        graph.Outputs.Clear();
        graph.Outputs.Add(logits with { Shape = [new Dim(null, "batch_size"), new Dim(null, "sequence_length"), logits.Shape is { Length: 3 } s ? s[2] : new Dim(null, "vocab_size")] });
        if (options.PackedSequences)
        {
            AttentionMaskOfOnes(graph);
            PackedInputs(graph);
        }
        else
        {
            ReplacePositionIds(graph);
            AsInt64Input(graph, AttentionMask);
        }
        AsInt64Input(graph, InputIds);

        ContribOpLowering.Lower(model, options with { ModelName = modelName });
        graph.RemoveUnused();
        graph.TopologicalSort();
        PruneValueInfos(graph);
        return model;
    }

    private static void RequireInput(OnnxGraph graph, string name, string modelName)
    {
        if (graph.FindInput(name) is null)
            throw new LoweringException($"Model '{modelName}' has no '{name}' input (inputs: {string.Join(", ", graph.Inputs.Select(i => i.Name))}).");
    }

    /// <summary>
    /// Removes the past-KV inputs. An attention op's cache slot is left empty (past length 0). Any other reader (the
    /// builder's attention-mask subgraph reads the past length through Shape; standard-op attention Concats past and
    /// new keys) gets an empty tensor [batch, ..., 0, ...] computed from input_ids, which is what a first prompt feeds.
    /// </summary>
    private static void DropKvCache(OnnxGraph graph, string modelName)
    {
        bool IsCacheSlot(Node n, int slot) => CacheSlots.TryGetValue(n.OpType, out var slots) && !n.IsStandard && slots.Contains(slot);
        var cacheInputs = graph.Inputs.Where(i => i.Name.StartsWith("past_", StringComparison.Ordinal)
            || graph.Consumers(i.Name).Any(n => Enumerable.Range(0, n.Inputs.Count).Any(s => n.Inputs[s] == i.Name && IsCacheSlot(n, s)))).ToList();
        foreach (var input in cacheInputs)
        {
            string? empty = null;
            foreach (var node in graph.Consumers(input.Name))
            {
                for (int slot = 0; slot < node.Inputs.Count; slot++)
                {
                    if (node.Inputs[slot] != input.Name) continue;
                    node.Inputs[slot] = IsCacheSlot(node, slot) ? "" : empty ??= EmptyCache(graph, input, node, modelName);
                }
            }
            graph.Inputs.Remove(input);
        }
    }

    /// <summary>
    /// A tensor shaped like <paramref name="input"/> at past length 0: axis 0 is the batch (read from input_ids), fixed
    /// axes keep their size, and the one symbolic non-batch axis (the past length) is 0.
    /// </summary>
    private static string EmptyCache(OnnxGraph graph, ValueInfo input, Node reader, string modelName)
    {
        if (input.Shape is not { Length: >= 2 } shape || shape.Skip(1).Count(d => d.Value is null) != 1)
            throw new LoweringException(
                $"Model '{modelName}': KV-cache input '{input.Name}' is read by node '{reader.Name}' ({reader.OpType}), and its declared shape " +
                $"[{string.Join(", ", input.Shape?.Select(d => d.Value?.ToString() ?? d.Param) ?? [])}] does not say which axis is the past length " +
                "(expected a batch axis, fixed sizes and one symbolic past-length axis).");
        var batch = graph.OpNamed($"/training/{input.Name}/batch", "Shape", [InputIds], Attr.Int("start", 0), Attr.Int("end", 1));
        var rest = graph.ConstInt64s($"/training/{input.Name}/dims", [.. shape.Skip(1).Select(d => d.Value ?? 0L)]);
        var dims = graph.OpNamed($"/training/{input.Name}/shape", "Concat", [batch, rest], Attr.Int("axis", 0));
        var zero = Tensor.FromFloats("zero", input.ElementType, [1], [0f]);
        return graph.OpNamed($"/training/{input.Name}/empty", "ConstantOfShape", [dims], Attr.Tensor("value", zero));
    }

    /// <summary>A position_ids input becomes 0..T-1 in every row (right padding keeps the real tokens first).</summary>
    private static void ReplacePositionIds(OnnxGraph graph)
    {
        var input = graph.FindInput(PositionIds);
        if (input is null) return;
        graph.Inputs.Remove(input);
        var internalName = graph.UniqueName("/training/position_ids");
        graph.RenameValue(PositionIds, internalName);
        var one = graph.Const("/training/one", Tensor.Scalar("one", 1L));
        var shape = graph.OpNamed("/training/positions/Shape", "Shape", [InputIds]);
        var length = graph.OpNamed("/training/positions/Gather", "Gather", [shape, one], Attr.Int("axis", 0));
        var range = graph.OpNamed("/training/positions/Range", "Range", [graph.Const("/training/zero", Tensor.Scalar("zero", 0L)), length, one]);
        graph.AddNode("Expand", [range, shape], [internalName], graph.UniqueName("/training/positions/Expand"));
    }

    /// <summary>
    /// Packed rows: the attention_mask input goes, and whatever read it (the builder's seqlens_k and mask subgraphs) reads
    /// ones instead, so the model sees one unpadded sequence per row. The attention lowering then keeps each packed
    /// sequence to itself with segment_ids.
    /// </summary>
    private static void AttentionMaskOfOnes(OnnxGraph graph)
    {
        var declared = graph.FindInput(AttentionMask)!;
        graph.Inputs.Remove(declared);
        var internalName = graph.UniqueName("/training/attention_mask");
        graph.RenameValue(AttentionMask, internalName);
        var one = declared.ElementType == TensorDataType.Int32 ? Tensor.FromInt32s("one", [1], [1]) : Tensor.FromInt64s("one", [1], [1L]);
        var shape = graph.OpNamed("/training/attention_mask/Shape", "Shape", [InputIds]);
        graph.AddNode("ConstantOfShape", [shape], [internalName], graph.UniqueName("/training/attention_mask/ones"), "", Attr.Tensor("value", one));
    }

    /// <summary>Packed rows: position_ids (the model's own input, or a new one) and segment_ids, int64 [batch, sequence].</summary>
    private static void PackedInputs(OnnxGraph graph)
    {
        if (graph.FindInput(PositionIds) is null)
            graph.Inputs.Add(new ValueInfo(PositionIds, TensorDataType.Int64, [new Dim(null, "batch_size"), new Dim(null, "sequence_length")]));
        else
            AsInt64Input(graph, PositionIds);
        graph.Inputs.Add(new ValueInfo(SegmentIds, TensorDataType.Int64, [new Dim(null, "batch_size"), new Dim(null, "sequence_length")]));
    }

    /// <summary>Declares the input int64 [batch_size, sequence_length]; an int32 input gets a Cast behind it.</summary>
    private static void AsInt64Input(OnnxGraph graph, string name)
    {
        var index = graph.Inputs.FindIndex(i => i.Name == name);
        var declared = graph.Inputs[index];
        if (declared.ElementType != TensorDataType.Int64)
        {
            var internalName = graph.UniqueName($"/training/{name}");
            graph.RenameValue(name, internalName);
            graph.AddNode("Cast", [name], [internalName], graph.UniqueName($"/training/{name}/Cast"), "", Attr.Int("to", (long)declared.ElementType));
        }
        graph.Inputs[index] = new ValueInfo(name, TensorDataType.Int64, [new Dim(null, "batch_size"), new Dim(null, "sequence_length")]);
    }

    /// <summary>Drops annotations of values the rewrite removed (present.* and the like).</summary>
    private static void PruneValueInfos(OnnxGraph graph)
    {
        var live = new HashSet<string>(graph.Nodes.SelectMany(n => n.Outputs), StringComparer.Ordinal);
        graph.ValueInfos.RemoveAll(v => !live.Contains(v.Name));
    }
}
