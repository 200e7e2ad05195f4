using ProRL.Onnx.Graph;

namespace ProRL.Training.Autodiff.Rules;

/// <summary>A vector–Jacobian rule: which inputs carry gradient, and how to emit their gradients.</summary>
internal sealed record GradientRule(Func<Node, int, bool> Differentiable, Action<RuleContext> Apply)
{
    public static GradientRule OnFirstInput(Action<RuleContext> apply) => new((_, i) => i == 0, apply);
    public static GradientRule OnAllInputs(Action<RuleContext> apply) => new((_, _) => true, apply);
    public static GradientRule OnInputs(int[] inputs, Action<RuleContext> apply) => new((_, i) => inputs.Contains(i), apply);
}

/// <summary>The registry of vector–Jacobian rules for standard ONNX ops, and of ops that carry no gradient.</summary>
internal static class GradientRules
{
    private static readonly Dictionary<string, GradientRule> Rules = Build();

    /// <summary>Ops whose outputs are constant with respect to their inputs almost everywhere (indices, masks,
    /// shapes, comparisons, rounding): gradient paths stop there, and no rule is needed.</summary>
    public static readonly IReadOnlySet<string> NonDifferentiable = new HashSet<string>(StringComparer.Ordinal)
    {
        "Shape", "Size", "Equal", "Less", "Greater", "LessOrEqual", "GreaterOrEqual", "Not", "And", "Or", "Xor",
        "NonZero", "Range", "ConstantOfShape", "ArgMax", "ArgMin", "Sign", "Floor", "Ceil", "Round", "IsNaN",
        "IsInf", "EyeLike", "RandomNormal", "RandomUniform", "RandomNormalLike", "RandomUniformLike", "Bernoulli",
        "Multinomial", "Constant", "BitShift", "Mod",
    };

    public static GradientRule? Find(Node node) =>
        node.IsStandard ? Rules.GetValueOrDefault(node.OpType) : FusedOps.IsFused(node) ? FusedRules.Find(node) : null;

    private static Dictionary<string, GradientRule> Build()
    {
        var rules = new Dictionary<string, GradientRule>(StringComparer.Ordinal);
        ElementwiseRules.Register(rules);
        MatrixRules.Register(rules);
        ReductionRules.Register(rules);
        ShapeRules.Register(rules);
        IndexingRules.Register(rules);
        return rules;
    }
}
