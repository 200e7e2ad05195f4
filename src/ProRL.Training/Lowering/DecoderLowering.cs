using ProRL.Onnx.Graph;
using ProRL.Onnx.Tensors;

namespace ProRL.Training.Lowering;

/// <summary>
/// Turns a GenAI decoder export (KV cache in, KV cache out, contrib ops) into the full-sequence decoder that training
/// differentiates: inputs input_ids [B,T] and attention_mask [B,T] (int64, right padding), output logits [B,T,V],
/// no past/present tensors (past length 0), positions 0..T-1 in every row, and only standard ONNX ops.
/// Initializers are kept as they are (dtype included; see <see cref="PrecisionConversion.ConvertToFloat32"/>).
/// </summary>
public static class DecoderLowering
{
    public const string InputIds = "input_ids";
    public const string AttentionMask = "attention_mask";
    public const string PositionIds = "position_ids";
    public const string Logits = "logits";

    /// <summary>The slots of GroupQueryAttention that take the KV cache.</summary>
    private static readonly int[] CacheSlots = [3, 4];

    /// <summary>Returns the training decoder; <paramref name="genaiExport"/> is left unchanged.</summary>
    public static OnnxModel ForTraining(OnnxModel genaiExport, LoweringOptions? options = null)
    {
        options ??= new LoweringOptions();
        var modelName = options.ModelName ?? genaiExport.Graph.Name;
        PrecisionConversion.EnsureTrainablePrecision(genaiExport, modelName);
        var model = genaiExport.Clone();
        var graph = model.Graph;

        RequireInput(graph, InputIds, modelName);
        RequireInput(graph, AttentionMask, modelName);
        var logits = graph.FindOutput(Logits)
            ?? throw new LoweringException($"Model '{modelName}' has no '{Logits}' output (outputs: {string.Join(", ", graph.Outputs.Select(o => o.Name))}).");

        DropKvCache(graph, modelName);
        graph.Outputs.Clear();
        graph.Outputs.Add(logits with { Shape = [new Dim(null, "batch_size"), new Dim(null, "sequence_length"), logits.Shape is { Length: 3 } s ? s[2] : new Dim(null, "vocab_size")] });
        ReplacePositionIds(graph);
        AsInt64Input(graph, InputIds);
        AsInt64Input(graph, AttentionMask);

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
    /// Removes the past-KV inputs: each must feed only GroupQueryAttention's past_key/past_value slots, which are
    /// left empty (past length 0). Present outputs were already dropped with the other non-logits outputs.
    /// </summary>
    private static void DropKvCache(OnnxGraph graph, string modelName)
    {
        var cacheInputs = graph.Inputs.Where(i => i.Name.StartsWith("past_", StringComparison.Ordinal)
            || graph.Consumers(i.Name).Any(n => n.OpType == "GroupQueryAttention" && CacheSlots.Any(s => n.Input(s) == i.Name))).ToList();
        foreach (var input in cacheInputs)
        {
            foreach (var node in graph.Consumers(input.Name))
            {
                for (int slot = 0; slot < node.Inputs.Count; slot++)
                {
                    if (node.Inputs[slot] != input.Name) continue;
                    if (node.OpType != "GroupQueryAttention" || !CacheSlots.Contains(slot))
                        throw new LoweringException(
                            $"Model '{modelName}': KV-cache input '{input.Name}' is read by node '{node.Name}' ({node.OpType}, input {slot}); " +
                            "only a cache feeding GroupQueryAttention's past_key/past_value can be removed for full-sequence training.");
                    node.Inputs[slot] = "";
                }
            }
            graph.Inputs.Remove(input);
        }
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
