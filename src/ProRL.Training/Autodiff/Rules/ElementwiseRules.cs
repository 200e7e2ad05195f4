using ProRL.Onnx.Graph;
using ProRL.Onnx.Tensors;

namespace ProRL.Training.Autodiff.Rules;

/// <summary>Rules of elementwise ops (unary math, broadcasting arithmetic, Min/Max/Clip/Where, Cast).</summary>
internal static class ElementwiseRules
{
    public static void Register(Dictionary<string, GradientRule> rules)
    {
        // Unary: dx = g · f'(x), written with the forward output y where that is cheaper.
        Unary(rules, "Identity", (c, g) => g);
        Unary(rules, "Neg", (c, g) => c.Emit.Neg(g));
        Unary(rules, "Abs", (c, g) => c.Emit.Mul(g, c.Emit.Op("Sign", [c.X()])));
        Unary(rules, "Exp", (c, g) => c.Emit.Mul(g, c.Y()));
        Unary(rules, "Log", (c, g) => c.Emit.Div(g, c.X()));
        Unary(rules, "Sqrt", (c, g) => c.Emit.Div(c.Emit.Mul(g, c.Emit.Scalar(0.5, g)), c.Y()));
        Unary(rules, "Reciprocal", (c, g) => c.Emit.Neg(c.Emit.Mul(g, c.Emit.Mul(c.Y(), c.Y()))));
        Unary(rules, "Sigmoid", (c, g) => c.Emit.Mul(g, c.Emit.Mul(c.Y(), c.Emit.Sub(c.Emit.Scalar(1, g), c.Y()))));
        Unary(rules, "Tanh", (c, g) => c.Emit.Mul(g, c.Emit.Sub(c.Emit.Scalar(1, g), c.Emit.Mul(c.Y(), c.Y()))));
        Unary(rules, "Erf", (c, g) =>
        {
            var e = c.Emit;
            var gauss = e.Op("Exp", [e.Neg(e.Mul(c.X(), c.X()))]);
            return e.Mul(g, e.Mul(gauss, e.Scalar(2 / Math.Sqrt(Math.PI), g)));
        });
        Unary(rules, "Relu", (c, g) => c.Emit.Op("Where", [c.Emit.Op("Greater", [c.X(), c.Emit.Scalar(0, c.X())]), g, c.Emit.Scalar(0, g)]));
        Unary(rules, "Softplus", (c, g) => c.Emit.Mul(g, c.Emit.Op("Sigmoid", [c.X()])));
        Unary(rules, "Sin", (c, g) => c.Emit.Mul(g, c.Emit.Op("Cos", [c.X()])));
        Unary(rules, "Cos", (c, g) => c.Emit.Neg(c.Emit.Mul(g, c.Emit.Op("Sin", [c.X()]))));
        Unary(rules, "Dropout", Dropout);
        Unary(rules, "Cast", Cast);
        Unary(rules, "CastLike", (c, g) => c.Emit.Op("CastLike", [g, c.X(0)])); // input 1 only lends its type

        rules["Add"] = GradientRule.OnAllInputs(c =>
        {
            c.GiveBroadcast(0, () => c.G());
            c.GiveBroadcast(1, () => c.G());
        });
        rules["Sub"] = GradientRule.OnAllInputs(c =>
        {
            c.GiveBroadcast(0, () => c.G());
            c.GiveBroadcast(1, () => c.Emit.Neg(c.G()));
        });
        rules["Mul"] = GradientRule.OnAllInputs(c =>
        {
            c.GiveBroadcast(0, () => c.Emit.Mul(c.G(), c.X(1)));
            c.GiveBroadcast(1, () => c.Emit.Mul(c.G(), c.X(0)));
        });
        rules["Div"] = GradientRule.OnAllInputs(c =>
        {
            // y = a / b: da = g / b, db = -(g / b) · y.
            var gOverB = c.Emit.Div(c.G(), c.X(1));
            c.GiveBroadcast(0, () => gOverB);
            c.GiveBroadcast(1, () => c.Emit.Neg(c.Emit.Mul(gOverB, c.Y())));
        });
        rules["Pow"] = GradientRule.OnAllInputs(Pow);
        rules["Sum"] = GradientRule.OnAllInputs(c =>
        {
            for (int i = 0; i < c.Node.Inputs.Count; i++) c.GiveBroadcast(i, () => c.G());
        });
        rules["Mean"] = GradientRule.OnAllInputs(c =>
        {
            var share = c.Emit.Div(c.G(), c.Emit.Scalar(c.Node.Inputs.Count, c.G()));
            for (int i = 0; i < c.Node.Inputs.Count; i++) c.GiveBroadcast(i, () => share);
        });
        rules["Min"] = GradientRule.OnAllInputs(MinMax);
        rules["Max"] = GradientRule.OnAllInputs(MinMax);
        rules["Clip"] = GradientRule.OnAllInputs(Clip);
        rules["Where"] = GradientRule.OnInputs([1, 2], c =>
        {
            var zero = c.Emit.Scalar(0, c.G());
            c.GiveBroadcast(1, () => c.Emit.Op("Where", [c.X(0), c.G(), zero]));
            c.GiveBroadcast(2, () => c.Emit.Op("Where", [c.X(0), zero, c.G()]));
        });
    }

    private static void Unary(Dictionary<string, GradientRule> rules, string op, Func<RuleContext, string, string> vjp) =>
        rules[op] = GradientRule.OnFirstInput(c => c.Give(0, vjp(c, c.G())));

    /// <summary>Inference-mode Dropout is the identity; in training mode y = x · mask / (1 − ratio), which needs the
    /// mask output (the random draw cannot be repeated).</summary>
    private static string Dropout(RuleContext c, string g)
    {
        var training = c.Node.Input(2);
        if (training is null || IsConstFalse(c, training)) return g;
        if (c.Node.Outputs.Count < 2 || c.Node.Outputs[1].Length == 0)
            throw c.Unsupported("Dropout in training mode needs its mask output to be differentiated");
        var e = c.Emit;
        var kept = e.Mul(g, e.Op("CastLike", [c.Y(1), g]));
        var ratio = c.Node.Input(1) is { } r ? e.Op("CastLike", [r, g]) : e.Scalar(0.5, g);
        return e.Div(kept, e.Sub(e.Scalar(1, g), ratio));
    }

    private static bool IsConstFalse(RuleContext c, string value) =>
        c.Shapes.ConstBools(value) is [false];

    private static string Cast(RuleContext c, string g)
    {
        var from = c.Shapes[c.X()].Type;
        if (from is { } t && !t.IsFloatingPoint())
            throw c.Unsupported($"a gradient reaches a Cast from the non-floating type {t}");
        if (from == c.Shapes[g].Type && from is not null) return g;
        return from is { } type ? c.Emit.Op("Cast", [g], Attr.Int("to", (int)type)) : c.Emit.Op("CastLike", [g, c.X()]);
    }

    /// <summary>y = x^p: dx = g · p · x^(p−1) (folded when p is a constant), dp = g · y · ln x.</summary>
    private static void Pow(RuleContext c)
    {
        var e = c.Emit;
        c.GiveBroadcast(0, () =>
        {
            var x = c.X(0);
            if (c.Shapes.ConstFloats(c.X(1)) is [var p])
            {
                if (p == 0) return e.ZerosLike(c.G());
                if (p == 1) return c.G();
                var power = p == 2 ? x : e.Op("Pow", [x, e.Scalar(p - 1, x)]);
                return e.Mul(c.G(), e.Mul(power, e.Scalar(p, x)));
            }
            var exponent = c.Shapes[c.X(1)].Type == c.Shapes[x].Type && c.Shapes[x].Type is not null
                ? c.X(1) : e.Op("CastLike", [c.X(1), x]);
            var derivative = e.Mul(exponent, e.Op("Pow", [x, e.Sub(exponent, e.Scalar(1, x))]));
            return e.Mul(c.G(), derivative);
        });
        c.GiveBroadcast(1, () =>
        {
            var dp = e.Mul(c.G(), e.Mul(c.Y(), e.Op("Log", [c.X(0)])));
            return c.Shapes[c.X(1)].Type == c.Shapes[dp].Type && c.Shapes[dp].Type is not null ? dp : e.Op("CastLike", [dp, c.X(1)]);
        });
    }

    /// <summary>Variadic Min/Max: the gradient goes to the inputs equal to the result, split evenly between ties.</summary>
    private static void MinMax(RuleContext c)
    {
        var e = c.Emit;
        int n = c.Node.Inputs.Count;
        if (n == 1) { c.Give(0, c.G()); return; }
        var masks = Enumerable.Range(0, n)
            .Select(i => e.Op("CastLike", [e.Op("Equal", [c.X(i), c.Y()]), c.G()]))
            .ToArray();
        var share = e.Div(c.G(), e.Sum(masks));
        for (int i = 0; i < n; i++) c.GiveBroadcast(i, () => e.Mul(share, masks[i]));
    }

    /// <summary>Clip(x, min, max): x gets g where min ≤ x ≤ max; a bound gets g where it is the one that applies.</summary>
    private static void Clip(RuleContext c)
    {
        var e = c.Emit;
        string? min = c.Node.Input(1), max = c.Node.Input(2);
        var zero = e.Scalar(0, c.G());
        string? inside = null;
        if (min is not null) inside = e.Op("GreaterOrEqual", [c.X(), min]);
        if (max is not null)
        {
            var belowMax = e.Op("LessOrEqual", [c.X(), max]);
            inside = inside is null ? belowMax : e.Op("And", [inside, belowMax]);
        }
        c.Give(0, inside is null ? c.G() : e.Op("Where", [inside, c.G(), zero]));
        if (min is not null)
        {
            var applies = max is null ? e.Op("Less", [c.X(), min])
                : e.Op("And", [e.Op("Less", [c.X(), min]), e.Op("LessOrEqual", [min, max])]);
            c.GiveBroadcast(1, () => e.Op("Where", [applies, c.G(), zero]));
        }
        if (max is not null)
        {
            // When min > max ONNX returns max everywhere; otherwise max applies where x > max.
            var applies = min is null ? e.Op("Greater", [c.X(), max])
                : e.Op("Or", [e.Op("Greater", [c.X(), max]), e.Op("Greater", [min, max])]);
            c.GiveBroadcast(2, () => e.Op("Where", [applies, c.G(), zero]));
        }
    }
}
