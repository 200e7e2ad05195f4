using ProRL.Onnx.Graph;

namespace ProRL.Training.Autodiff.Rules;

/// <summary>Rules of the ops of <see cref="FusedOps.Domain"/>.</summary>
internal static class FusedRules
{
    public static GradientRule? Find(Node node) => node.OpType switch
    {
        FusedOps.NextTokenLogprobs => NextTokenLogprobs,
        _ => null,
    };

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
