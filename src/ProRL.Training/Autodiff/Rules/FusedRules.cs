using ProRL.Onnx.Graph;

namespace ProRL.Training.Autodiff.Rules;

/// <summary>Rules of the ops of <see cref="FusedOps.Domain"/>.</summary>
internal static class FusedRules
{
    public static GradientRule? Find(Node node) => node.OpType switch
    {
        FusedOps.NextTokenLogprobs => NextTokenLogprobs,
        FusedOps.ProjectedNextTokenLogprobs => ProjectedNextTokenLogprobs,
        _ => null,
    };

    /// <summary>
    /// The projected head's rule emits the whole sliced backward pass (<see cref="ProjectedHead.Backward"/>): gradients
    /// of x, the weight and the bias. Targets carry none; the temperature is a run-time setting, never trained.
    /// </summary>
    private static readonly GradientRule ProjectedNextTokenLogprobs = GradientRule.OnInputs([0, 1, 3, 4], c =>
    {
        string? a = c.GradOrNull(0), b = c.GradOrNull(1);
        if (a is null && b is null) return;
        if (c.Needs(3)) throw c.Unsupported("the temperature is a run-time setting and has no gradient here");
        var inputs = FusedOps.ProjectedInputs(c.Node);
        var (dx, dWeight, dBias) = ProjectedHead.Backward(new EmitterSink(c.Emit), inputs, FusedOps.Chunks(c.Node), FusedOps.MinRows(c.Node), a, b,
            weight: c.Needs(1), bias: inputs.Bias is not null && c.Needs(4));
        c.Shapes.Set(dx, c.Shapes[inputs.X]);
        c.Give(0, dx);
        if (dWeight is not null) c.Give(1, dWeight);
        if (dBias is not null) c.Give(4, dBias);
    });

    private sealed class EmitterSink(GradientEmitter emit) : IOpSink
    {
        public string Op(string opType, string[] inputs, params global::Onnx.AttributeProto[] attributes) => emit.Op(opType, inputs, attributes);
        public string Ints(params long[] values) => emit.Ints(values);
    }

    /// <summary>
    /// With a = g_logprob, b = g_entropy, log p the fused op's log_softmax output and H the entropy:
    /// ∂logprob/∂x = onehot − p and ∂H/∂x = −p·(log p + H), so dx = onehot·a + p·(−b·log p − (a + b·H)). Only p,
    /// b·log p and the sum have the logits' size; the per-token coefficients are formed first, and the one-hot term is
    /// a ScatterElements of a into the result. log p and p come from the forward pass.
    /// </summary>
    private static readonly GradientRule NextTokenLogprobs = GradientRule.OnFirstInput(c =>
    {
        var e = c.Emit;
        string? a = c.GradOrNull(0), b = c.GradOrNull(1);
        if (c.GradOrNull(2) is not null || c.GradOrNull(3) is not null)
            throw c.Unsupported("the log_softmax and softmax outputs are kept for the backward pass only and cannot be differentiated");
        if (a is null && b is null) return;
        var lastAxis = e.Ints(-1);
        string Unsqueezed(string value) => e.Op("Unsqueeze", [value, lastAxis]);
        var logp = c.Y(2);
        var p = c.Y(3);
        string scaled;
        if (b is null)
        {
            scaled = e.Mul(p, Unsqueezed(e.Neg(a!)));
        }
        else
        {
            var entropyTerm = e.Mul(b, c.Y(1));
            var coefficient = a is null ? entropyTerm : e.Op("Add", [a, entropyTerm]);
            var inner = e.Op("Add", [e.Mul(logp, Unsqueezed(e.Neg(b))), Unsqueezed(e.Neg(coefficient))]);
            scaled = e.Mul(p, inner);
        }
        if (a is not null)
            scaled = e.Op("ScatterElements", [scaled, Unsqueezed(c.X(1)), Unsqueezed(a)],
                Attr.Int("axis", -1), Attr.String("reduction", "add"));
        c.Give(0, scaled);
    });
}
