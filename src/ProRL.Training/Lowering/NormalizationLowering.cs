using ProRL.Onnx.Graph;
using ProRL.Onnx.Tensors;

namespace ProRL.Training.Lowering;

/// <summary>
/// RMS and layer normalization (plain and with a fused residual "skip") as ReduceMean / Mul / Sqrt / Div, computed
/// in float32 when the input is float16/bfloat16 (the contrib kernels' stash_type=1 behaviour).
/// </summary>
internal static class NormalizationLowering
{
    /// <summary>SimplifiedLayerNormalization(X, scale) → Y, inv_std_var: Y = X / sqrt(mean(X²) + ε) · scale.</summary>
    public static void Simplified(LoweringContext ctx, Node node)
    {
        var x = node.Inputs[0];
        var axes = NormalizedAxes(ctx, node, x);
        var (y, invStd) = Rms(ctx, node, x, node.Inputs[1], axes);
        ctx.Bind(y, node.Outputs[0]);
        if (node.Outputs.Count > 1) ctx.Bind(invStd, node.Outputs[1]);
    }

    /// <summary>LayerNormalization(X, scale, B?) → Y, Mean, InvStdDev.</summary>
    public static void Layer(LoweringContext ctx, Node node)
    {
        var x = node.Inputs[0];
        var axes = NormalizedAxes(ctx, node, x);
        var (y, mean, invStd) = Standardize(ctx, node, x, node.Inputs[1], node.Input(2), axes);
        ctx.Bind(y, node.Outputs[0]);
        if (node.Outputs.Count > 1) ctx.Bind(mean, node.Outputs[1]);
        if (node.Outputs.Count > 2) ctx.Bind(invStd, node.Outputs[2]);
    }

    /// <summary>SkipSimplifiedLayerNormalization(input, skip, gamma, bias?) → output, mean (unused), inv_std_var, input_skip_bias_sum.</summary>
    public static void SkipSimplified(LoweringContext ctx, Node node)
    {
        var sum = SkipSum(ctx, node.Inputs[0], node.Inputs[1], node.Input(3));
        var (y, invStd) = Rms(ctx, node, sum, node.Inputs[2], [-1]);
        ctx.Bind(y, node.Outputs[0]);
        if (node.Outputs.Count > 1 && node.Outputs[1].Length > 0)
            throw ctx.Error(node, "output 'mean' is not defined for RMS normalization; leave it empty.");
        if (node.Outputs.Count > 2) ctx.Bind(invStd, node.Outputs[2]);
        if (node.Outputs.Count > 3) ctx.Bind(sum, node.Outputs[3]);
    }

    /// <summary>SkipLayerNormalization(input, skip, gamma, beta?, bias?) → output, mean, inv_std_var, input_skip_bias_sum.</summary>
    public static void Skip(LoweringContext ctx, Node node)
    {
        var sum = SkipSum(ctx, node.Inputs[0], node.Inputs[1], node.Input(4));
        var (y, mean, invStd) = Standardize(ctx, node, sum, node.Inputs[2], node.Input(3), [-1]);
        ctx.Bind(y, node.Outputs[0]);
        if (node.Outputs.Count > 1) ctx.Bind(mean, node.Outputs[1]);
        if (node.Outputs.Count > 2) ctx.Bind(invStd, node.Outputs[2]);
        if (node.Outputs.Count > 3) ctx.Bind(sum, node.Outputs[3]);
    }

    private static string SkipSum(LoweringContext ctx, string input, string skip, string? bias)
    {
        var sum = ctx.Add(input, skip);
        return bias is null ? sum : ctx.Add(sum, bias);
    }

    private static (string Y, string InvStd) Rms(LoweringContext ctx, Node node, string x, string scale, long[] axes)
    {
        var type = ctx.TypeOf(x, node);
        var xf = ToFloat32(ctx, x, type);
        var meanSquare = ctx.ReduceMean(ctx.Mul(xf, xf), axes);
        var invStd = InverseStd(ctx, node, meanSquare);
        var y = ctx.Mul(ctx.Mul(xf, invStd), ToFloat32(ctx, scale, ctx.TypeOf(scale, node)));
        return (FromFloat32(ctx, y, type), invStd);
    }

    private static (string Y, string Mean, string InvStd) Standardize(LoweringContext ctx, Node node, string x, string scale,
        string? bias, long[] axes)
    {
        var type = ctx.TypeOf(x, node);
        var xf = ToFloat32(ctx, x, type);
        var mean = ctx.ReduceMean(xf, axes);
        var centered = ctx.Sub(xf, mean);
        var variance = ctx.ReduceMean(ctx.Mul(centered, centered), axes);
        var invStd = InverseStd(ctx, node, variance);
        var y = ctx.Mul(ctx.Mul(centered, invStd), ToFloat32(ctx, scale, ctx.TypeOf(scale, node)));
        if (bias is not null) y = ctx.Add(y, ToFloat32(ctx, bias, ctx.TypeOf(bias, node)));
        return (FromFloat32(ctx, y, type), mean, invStd);
    }

    /// <summary>1 / sqrt(v + ε) as Div(1, Sqrt(...)): both have simple gradients.</summary>
    private static string InverseStd(LoweringContext ctx, Node node, string variance)
    {
        var epsilon = node.GetFloat("epsilon", 1e-5f);
        var std = ctx.Emit("Sqrt", [ctx.Add(variance, ctx.Scalar(epsilon, TensorDataType.Float))]);
        return ctx.Div(ctx.Scalar(1.0, TensorDataType.Float), std);
    }

    private static string ToFloat32(LoweringContext ctx, string x, TensorDataType type) =>
        type == TensorDataType.Float ? x : ctx.Cast(x, TensorDataType.Float);

    private static string FromFloat32(LoweringContext ctx, string y, TensorDataType type) =>
        type == TensorDataType.Float ? y : ctx.Cast(y, type);

    /// <summary>The normalized axes [axis, rank): from a negative axis directly, from a non-negative one via the rank.</summary>
    private static long[] NormalizedAxes(LoweringContext ctx, Node node, string x)
    {
        long axis = node.GetInt("axis", -1);
        if (axis < 0) return [.. Enumerable.Range(0, (int)-axis).Select(i => axis + i)];
        var rank = ctx.Graph.Inputs.Concat(ctx.Graph.ValueInfos).FirstOrDefault(v => v.Name == x)?.Shape?.Length
            ?? throw ctx.Error(node, $"axis {axis} is non-negative and the rank of '{x}' is unknown; use a negative axis.");
        return [.. Enumerable.Range((int)axis, rank - (int)axis).Select(i => (long)i)];
    }
}
