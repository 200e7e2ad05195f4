using ProRL.Onnx.Graph;

namespace ProRL.Training.Autodiff.Rules;

/// <summary>Rules of the Reduce* family (axes as attribute or input, keepdims, noop_with_empty_axes) and of
/// Softmax / LogSoftmax.</summary>
internal static class ReductionRules
{
    public static void Register(Dictionary<string, GradientRule> rules)
    {
        Reduce(rules, "ReduceSum", (c, g) => c.Emit.Op("Expand", [KeepDims(c, g), c.Emit.ShapeOf(c.X())]));
        Reduce(rules, "ReduceMean", (c, g) =>
        {
            var e = c.Emit;
            var share = e.Div(KeepDims(c, g), ElementsPerResult(c, g));
            return e.Op("Expand", [share, e.ShapeOf(c.X())]);
        });
        Reduce(rules, "ReduceMax", ArgExtremum);
        Reduce(rules, "ReduceMin", ArgExtremum);
        Reduce(rules, "ReduceSumSquare", (c, g) => c.Emit.Mul(c.X(), c.Emit.Mul(KeepDims(c, g), c.Emit.Scalar(2, g))));
        Reduce(rules, "ReduceL2", (c, g) => c.Emit.Mul(c.X(), c.Emit.Div(KeepDims(c, g), KeepDims(c, c.Y()))));
        Reduce(rules, "ReduceLogSumExp", (c, g) =>
            c.Emit.Mul(KeepDims(c, g), c.Emit.Op("Exp", [c.Emit.Sub(c.X(), KeepDims(c, c.Y()))])));

        rules["Softmax"] = GradientRule.OnFirstInput(c =>
        {
            // dx = y · (g − Σ g·y) along the axis.
            var e = c.Emit;
            var g = c.G();
            var dot = e.ReduceSum(e.Mul(g, c.Y()), [SoftmaxAxis(c)], keepDims: true);
            c.Give(0, e.Mul(c.Y(), e.Sub(g, dot)));
        });
        rules["LogSoftmax"] = GradientRule.OnFirstInput(c =>
        {
            // dx = g − exp(y) · Σ g along the axis.
            var e = c.Emit;
            var g = c.G();
            var total = e.ReduceSum(g, [SoftmaxAxis(c)], keepDims: true);
            c.Give(0, e.Sub(g, e.Mul(e.Op("Exp", [c.Y()]), total)));
        });
    }

    private static long SoftmaxAxis(RuleContext c)
    {
        if (c.Emit.Opset < 13)
            throw c.Unsupported($"opset {c.Emit.Opset} {c.Node.OpType} flattens to 2-D; only the opset-13+ per-axis form is supported");
        return c.Node.GetInt("axis", -1);
    }

    /// <summary>Registers a reduction rule; "noop" reductions (empty axes with noop_with_empty_axes) pass g through.</summary>
    private static void Reduce(Dictionary<string, GradientRule> rules, string op, Func<RuleContext, string, string> vjp) =>
        rules[op] = GradientRule.OnFirstInput(c =>
        {
            if (IsNoop(c)) c.Give(0, c.G());
            else c.Give(0, vjp(c, c.G()));
        });

    private static bool IsNoop(RuleContext c) =>
        c.Node.GetInt("noop_with_empty_axes", 0) != 0 && c.Shapes.ReduceAxes(c.Node) is [];

    /// <summary>Restores the reduced axes (as size 1) of a value shaped like the output, when keepdims was 0.</summary>
    private static string KeepDims(RuleContext c, string value)
    {
        if (c.Node.GetInt("keepdims", 1) != 0) return value;
        var axes = c.Shapes.ReduceAxes(c.Node);
        if (axes is []) return value; // reduced to a scalar, which broadcasts
        return c.Emit.Op("Unsqueeze", [value, axes is null ? c.X(1) : c.Emit.Ints(axes)]);
    }

    /// <summary>Number of input elements per output element, in the gradient's type (constant when static).</summary>
    private static string ElementsPerResult(RuleContext c, string like)
    {
        var e = c.Emit;
        if (e.StaticDims(c.X()) is { } x && e.StaticDims(c.Y()) is { } y)
            return e.Scalar(x.Aggregate(1L, (p, d) => p * d) / Math.Max(1, y.Aggregate(1L, (p, d) => p * d)), like);
        var count = e.Div(e.Op("Size", [c.X()]), e.Op("Size", [c.Y()]));
        return e.Op("CastLike", [count, like]);
    }

    /// <summary>ReduceMax/Min: g goes to the elements equal to the result, split evenly between ties.</summary>
    private static string ArgExtremum(RuleContext c, string g)
    {
        var e = c.Emit;
        var mask = e.Op("CastLike", [e.Op("Equal", [c.X(), KeepDims(c, c.Y())]), g]);
        var axes = c.Shapes.ReduceAxes(c.Node);
        var ties = axes is []
            ? e.Op("ReduceSum", [mask], Attr.Int("keepdims", 1))
            : e.Op("ReduceSum", [mask, axes is null ? c.X(1) : e.Ints(axes)], Attr.Int("keepdims", 1));
        return e.Mul(mask, e.Div(KeepDims(c, g), ties));
    }
}
