using ProRL.Onnx.Graph;

namespace ProRL.Training.Lowering;

/// <summary>
/// Raises an export's ai.onnx opset to <see cref="TargetOpset"/>, the version whose operator forms the lowering, the
/// autodiff rules and the loss heads emit. Exports from 2024–25 are opset 14; the current builder writes 21. Only ops
/// whose signature changed between the export's opset and the target are rewritten (reduction axes and Split/Squeeze/
/// Unsqueeze sizes moving from an attribute to an input); every other op keeps its meaning across those versions.
/// Raising the whole graph is simpler and safer than teaching every emitter each opset's form.
/// </summary>
public static class OpsetUpgrade
{
    /// <summary>The opset every training graph is written against.</summary>
    public const long TargetOpset = 21;

    /// <summary>The oldest opset accepted: Softmax's per-axis semantics and the Clip/Pad input forms date from 11–13.</summary>
    public const long MinimumOpset = 11;

    /// <summary>IR 10 is the first IR version that defines opset 21.</summary>
    public const long TargetIrVersion = 10;

    /// <summary>Reductions whose axes became an input in opset 18 (ReduceSum did so in 13).</summary>
    private static readonly HashSet<string> ReductionsChangedIn18 =
    [
        "ReduceMean", "ReduceMax", "ReduceMin", "ReduceProd", "ReduceL1", "ReduceL2", "ReduceLogSum", "ReduceLogSumExp",
        "ReduceSumSquare",
    ];

    /// <summary>Ops whose axes/sizes became an input in opset 13.</summary>
    private static readonly Dictionary<string, string> AttributeInputsChangedIn13 = new(StringComparer.Ordinal)
    {
        ["ReduceSum"] = "axes",
        ["Squeeze"] = "axes",
        ["Unsqueeze"] = "axes",
        ["Split"] = "split",
    };

    /// <summary>Ops whose axis semantics changed in 13 (before: flatten to 2-D at the axis).</summary>
    private static readonly HashSet<string> CoercingSoftmaxes = ["Softmax", "LogSoftmax", "Hardmax"];

    /// <summary>Rewrites <paramref name="model"/> in place; a model at or above the target is left as it is.</summary>
    public static void Apply(OnnxModel model, string modelName)
    {
        long opset = model.OpsetVersion();
        if (opset >= TargetOpset)
        {
            model.IrVersion = Math.Max(model.IrVersion, TargetIrVersion);
            return;
        }
        if (opset < MinimumOpset)
            throw new LoweringException(
                $"Model '{modelName}' uses ai.onnx opset {opset}; training needs opset {MinimumOpset} or newer. " +
                "Re-export it with the current ONNX Runtime GenAI model builder (which writes opset 21).");
        var graph = model.Graph;
        foreach (var node in graph.Nodes.Where(n => n.IsStandard).ToList())
        {
            if (opset < 13 && AttributeInputsChangedIn13.TryGetValue(node.OpType, out var attributeName))
                MoveIntsAttributeToInput(graph, node, attributeName, inputIndex: 1);
            if (opset < 13 && CoercingSoftmaxes.Contains(node.OpType) && node.GetInt("axis", 1) != -1)
                throw new LoweringException(
                    $"Model '{modelName}', node '{node.Name}' ({node.OpType}): axis {node.GetInt("axis", 1)} under opset {opset} " +
                    "flattens the input to 2-D, which later opsets do not; only axis=-1 can be raised to opset 21. Re-export with a newer builder.");
            if (opset < 18 && ReductionsChangedIn18.Contains(node.OpType))
                MoveIntsAttributeToInput(graph, node, "axes", inputIndex: 1);
        }
        model.Opsets[OnnxModel.StandardDomain] = TargetOpset;
        model.IrVersion = Math.Max(model.IrVersion, TargetIrVersion);
    }

    /// <summary>An ints attribute becomes an int64 initializer at <paramref name="inputIndex"/>; absent stays absent.</summary>
    private static void MoveIntsAttributeToInput(OnnxGraph graph, Node node, string attributeName, int inputIndex)
    {
        var values = node.GetInts(attributeName);
        if (values is null) return;
        node.Attributes.RemoveAll(a => a.Name == attributeName);
        var constant = graph.ConstInt64s($"{(node.Name.Length > 0 ? node.Name : node.OpType)}/{attributeName}", [.. values]);
        while (node.Inputs.Count < inputIndex) node.Inputs.Add("");
        if (node.Inputs.Count == inputIndex) node.Inputs.Add(constant);
        else node.Inputs[inputIndex] = constant;
    }
}
