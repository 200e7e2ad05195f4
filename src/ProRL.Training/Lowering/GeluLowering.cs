using ProRL.Onnx.Graph;

namespace ProRL.Training.Lowering;

/// <summary>The GELU family as Erf / Tanh / Sigmoid with Mul and Add.</summary>
internal static class GeluLowering
{
    /// <summary>Gelu (com.microsoft, or ai.onnx 20 with approximate="none"|"tanh").</summary>
    public static void Gelu(LoweringContext ctx, Node node)
    {
        var approximate = node.GetString("approximate", "none");
        var y = approximate switch
        {
            "none" => ErfGelu(ctx, node, node.Inputs[0]),
            "tanh" => TanhGelu(ctx, node, node.Inputs[0]),
            _ => throw ctx.Error(node, $"unknown approximate='{approximate}' (expected 'none' or 'tanh')."),
        };
        ctx.Bind(y, node.Outputs[0]);
    }

    /// <summary>BiasGelu(A, B) = Gelu(A + B) with the exact (erf) form.</summary>
    public static void BiasGelu(LoweringContext ctx, Node node) =>
        ctx.Bind(ErfGelu(ctx, node, ctx.Add(node.Inputs[0], node.Inputs[1])), node.Outputs[0]);

    /// <summary>FastGelu(X, bias?) = tanh approximation of Gelu(X + bias).</summary>
    public static void FastGelu(LoweringContext ctx, Node node)
    {
        var x = node.Input(1) is { } bias ? ctx.Add(node.Inputs[0], bias) : node.Inputs[0];
        ctx.Bind(TanhGelu(ctx, node, x), node.Outputs[0]);
    }

    /// <summary>QuickGelu(X) = X · sigmoid(α·X), α defaulting to 1.702.</summary>
    public static void QuickGelu(LoweringContext ctx, Node node)
    {
        var x = node.Inputs[0];
        var alpha = node.GetFloat("alpha", 1.702f);
        var scaled = ctx.Mul(x, ctx.Scalar(alpha, ctx.TypeOf(x, node)));
        ctx.Bind(ctx.Mul(x, ctx.Emit("Sigmoid", [scaled])), node.Outputs[0]);
    }

    /// <summary>0.5 · x · (1 + erf(x / √2)).</summary>
    private static string ErfGelu(LoweringContext ctx, Node node, string x)
    {
        var type = ctx.TypeOf(x, node);
        var erf = ctx.Emit("Erf", [ctx.Mul(x, ctx.Scalar(1.0 / Math.Sqrt(2.0), type))]);
        var onePlus = ctx.Add(erf, ctx.Scalar(1.0, type));
        return ctx.Mul(ctx.Mul(x, ctx.Scalar(0.5, type)), onePlus);
    }

    /// <summary>0.5 · x · (1 + tanh(√(2/π) · (x + 0.044715 x³))).</summary>
    private static string TanhGelu(LoweringContext ctx, Node node, string x)
    {
        var type = ctx.TypeOf(x, node);
        var cube = ctx.Mul(ctx.Mul(x, x), x);
        var inner = ctx.Add(x, ctx.Mul(cube, ctx.Scalar(0.044715, type)));
        var tanh = ctx.Emit("Tanh", [ctx.Mul(inner, ctx.Scalar(Math.Sqrt(2.0 / Math.PI), type))]);
        var onePlus = ctx.Add(tanh, ctx.Scalar(1.0, type));
        return ctx.Mul(ctx.Mul(x, ctx.Scalar(0.5, type)), onePlus);
    }
}
