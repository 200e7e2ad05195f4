using ProRL.Onnx.Graph;

namespace ProRL.Training.Autodiff.Rules;

/// <summary>Rules of ops that move data without arithmetic: Reshape family, Transpose, Concat, Split, Slice, Expand.</summary>
internal static class ShapeRules
{
    public static void Register(Dictionary<string, GradientRule> rules)
    {
        foreach (var op in new[] { "Reshape", "Flatten", "Squeeze", "Unsqueeze" })
            rules[op] = GradientRule.OnFirstInput(c => c.Give(0, c.Emit.Op("Reshape", [c.G(), c.Emit.ShapeTensor(c.X())])));
        rules["Expand"] = GradientRule.OnFirstInput(c => c.GiveBroadcast(0, () => c.G()));
        rules["Transpose"] = GradientRule.OnFirstInput(Transpose);
        rules["Concat"] = GradientRule.OnAllInputs(Concat);
        rules["Split"] = GradientRule.OnFirstInput(Split);
        rules["Slice"] = GradientRule.OnFirstInput(Slice);
    }

    private static void Transpose(RuleContext c)
    {
        var perm = c.Node.GetInts("perm");
        if (perm is null) { c.Give(0, c.Emit.Op("Transpose", [c.G()])); return; } // reversal is its own inverse
        var inverse = new long[perm.Length];
        for (int i = 0; i < perm.Length; i++) inverse[perm[i]] = i;
        c.Give(0, c.Emit.Op("Transpose", [c.G()], Attr.Ints("perm", inverse)));
    }

    /// <summary>One Split of g along the axis, sized by the inputs' extents there.</summary>
    private static void Concat(RuleContext c)
    {
        var e = c.Emit;
        long axis = c.Node.GetInt("axis", 0);
        var inputs = c.Node.Inputs;
        var sizes = e.Op("Concat", inputs.Select(x => e.DimTensor(x, axis)), Attr.Int("axis", 0));
        var parts = e.OpMulti("Split", [c.G(), sizes], inputs.Count, Attr.Int("axis", axis));
        for (int i = 0; i < inputs.Count; i++) c.Give(i, parts[i]);
    }

    /// <summary>Concat of the outputs' gradients (zeros for outputs nothing downstream differentiates).</summary>
    private static void Split(RuleContext c)
    {
        var parts = Enumerable.Range(0, c.Node.Outputs.Count).Select(c.G);
        c.Give(0, c.Emit.Op("Concat", parts, Attr.Int("axis", c.Node.GetInt("axis", 0))));
    }

    /// <summary>
    /// Slice with unit steps: g padded with zeros back to the input's extent on the sliced axes (Pad with an axes
    /// input, opset 18). The pads are constants when starts/ends/axes and the sliced dims are static, else computed
    /// from the clamped starts and ends, following Slice's own clamping.
    /// </summary>
    private static void Slice(RuleContext c)
    {
        var e = c.Emit;
        if (e.Opset < 18) throw c.Unsupported($"the Slice gradient uses Pad with an axes input (opset 18+); the model has opset {e.Opset}");
        if (c.Node.Input(4) is not null && c.ConstInts(4, "steps").Any(s => s != 1))
            throw c.Unsupported("only slices with steps of 1 are supported");
        var starts = c.Shapes.ConstInts(c.X(1));
        var ends = c.Shapes.ConstInts(c.X(2));
        long[]? axes = c.Node.Input(3) is { } axesName ? c.Shapes.ConstInts(axesName) : DefaultAxes(c, starts);
        string axesTensor = axes is not null ? e.Ints(axes) : c.X(3);
        if (StaticPads(c, starts, ends, axes) is { } constant && axes is not null && c.Shapes[c.X(0)].Rank is { } rank)
        {
            // Full-rank pads without the axes input: ONNX Runtime's transpose optimizer permutes a Pad's pads as if
            // they covered every axis, and reads out of bounds when an axes input makes them shorter.
            var full = new long[2 * rank];
            for (int i = 0; i < axes.Length; i++)
            {
                int axis = (int)(axes[i] < 0 ? axes[i] + rank : axes[i]);
                full[axis] = constant[i];
                full[rank + axis] = constant[axes.Length + i];
            }
            c.Give(0, e.Op("Pad", [c.G(), e.Ints(full)]));
            return;
        }
        var pads = StaticPads(c, starts, ends, axes) is { } known ? e.Ints(known) : RuntimePads(c, axesTensor);
        c.Give(0, e.Op("Pad", [c.G(), pads, "", axesTensor]));
    }

    private static long[] DefaultAxes(RuleContext c, long[]? starts)
    {
        long count = starts?.Length ?? c.Shapes[c.X(1)].Dims?[0].Value
            ?? throw c.Unsupported("without an axes input, the number of starts must be known statically");
        return Enumerable.Range(0, (int)count).Select(i => (long)i).ToArray();
    }

    private static long[]? StaticPads(RuleContext c, long[]? starts, long[]? ends, long[]? axes)
    {
        var dims = c.Shapes[c.X()].Dims;
        if (starts is null || ends is null || axes is null || dims is null) return null;
        var before = new long[axes.Length];
        var after = new long[axes.Length];
        for (int i = 0; i < axes.Length; i++)
        {
            if (dims[(int)(axes[i] < 0 ? axes[i] + dims.Length : axes[i])].Value is not { } d) return null;
            long s = Clamp(starts[i], d), end = Math.Max(Clamp(ends[i], d), s);
            before[i] = s;
            after[i] = d - end;
        }
        return [.. before, .. after];
    }

    private static long Clamp(long index, long dim) => Math.Clamp(index < 0 ? index + dim : index, 0, dim);

    /// <summary>pads = [start', dim − end'] with Slice's clamping, computed from the run-time dims.</summary>
    private static string RuntimePads(RuleContext c, string axesTensor)
    {
        var e = c.Emit;
        var dims = e.Op("Gather", [e.ShapeOf(c.X()), axesTensor]);
        string Clamped(string index)
        {
            var i64 = c.Shapes[index].Type == ProRL.Onnx.Tensors.TensorDataType.Int64 ? index : e.Op("Cast", [index], Attr.Int("to", 7));
            var wrapped = e.Op("Where", [e.Op("Less", [i64, e.Ints(0)]), e.Op("Add", [i64, dims]), i64]);
            return e.Op("Min", [e.Op("Max", [wrapped, e.Ints(0)]), dims]);
        }
        var start = Clamped(c.X(1));
        var end = e.Op("Max", [Clamped(c.X(2)), start]);
        return e.Op("Concat", [start, e.Sub(dims, end)], Attr.Int("axis", 0));
    }
}
