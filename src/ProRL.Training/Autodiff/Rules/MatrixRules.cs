using ProRL.Onnx.Graph;

namespace ProRL.Training.Autodiff.Rules;

/// <summary>Rules of MatMul (batched, broadcasting, 1-D operands) and Gemm.</summary>
internal static class MatrixRules
{
    public static void Register(Dictionary<string, GradientRule> rules)
    {
        rules["MatMul"] = GradientRule.OnAllInputs(MatMul);
        rules["Gemm"] = GradientRule.OnAllInputs(Gemm);
    }

    private static void MatMul(RuleContext c)
    {
        int rankA = c.Rank(c.X(0)), rankB = c.Rank(c.X(1));
        if (rankB == 2 && rankA >= 2) MatMulByMatrix(c, rankA);
        else BatchedMatMul(c, rankA, rankB);
    }

    /// <summary>
    /// Y = A·W with a 2-D W (every projection of a decoder): flatten A's batch dims so that both gradients are single
    /// Gemms with a transposed operand (no Transpose nodes, no reduction over the batch): dA = g·Wᵀ, dW = Aᵀ·g.
    /// </summary>
    private static void MatMulByMatrix(RuleContext c, int rankA)
    {
        var e = c.Emit;
        string a = c.X(0), w = c.X(1);
        var g = c.G();
        var g2 = rankA == 2 ? g : e.Op("Reshape", [g, e.Op("Concat", [e.Ints(-1), e.DimTensor(w, 1)], Attr.Int("axis", 0))]);
        if (c.Needs(0))
        {
            var da = e.Op("Gemm", [g2, w], Attr.Int("transB", 1));
            c.Give(0, rankA == 2 ? da : e.Op("Reshape", [da, e.ShapeOf(a)]));
        }
        if (c.Needs(1))
        {
            var a2 = rankA == 2 ? a : e.Op("Reshape", [a, e.Op("Concat", [e.Ints(-1), e.DimTensor(w, 0)], Attr.Int("axis", 0))]);
            c.Give(1, e.Op("Gemm", [a2, g2], Attr.Int("transA", 1)));
        }
    }

    /// <summary>
    /// General case: 1-D operands are promoted to matrices (as MatMul does), then dA = g·Bᵀ and dB = Aᵀ·g with
    /// Transposes of the last two axes only, summed over broadcast batch dims, and reshaped back.
    /// </summary>
    private static void BatchedMatMul(RuleContext c, int rankA, int rankB)
    {
        var e = c.Emit;
        string a = c.X(0), b = c.X(1);
        var g = c.G();
        if (rankA == 1 && rankB == 1) g = e.Op("Reshape", [g, e.Ints(1, 1)]);
        else if (rankA == 1) g = e.Op("Unsqueeze", [g, e.Ints(-2)]);
        else if (rankB == 1) g = e.Op("Unsqueeze", [g, e.Ints(-1)]);
        string a2 = rankA == 1 ? e.Op("Unsqueeze", [a, e.Ints(0)]) : a;
        string b2 = rankB == 1 ? e.Op("Unsqueeze", [b, e.Ints(-1)]) : b;
        int rankA2 = Math.Max(rankA, 2), rankB2 = Math.Max(rankB, 2);
        if (c.Needs(0))
        {
            var da = e.Unbroadcast(e.Op("MatMul", [g, e.SwapLastTwo(b2, rankB2)]), a2);
            c.Give(0, rankA == 1 ? e.Op("Reshape", [da, e.ShapeOf(a)]) : da);
        }
        if (c.Needs(1))
        {
            var db = e.Unbroadcast(e.Op("MatMul", [e.SwapLastTwo(a2, rankA2), g]), b2);
            c.Give(1, rankB == 1 ? e.Op("Reshape", [db, e.ShapeOf(b)]) : db);
        }
    }

    /// <summary>Y = α·op(A)·op(B) + β·C; each gradient is one Gemm choosing its transposes from transA/transB.</summary>
    private static void Gemm(RuleContext c)
    {
        var e = c.Emit;
        string a = c.X(0), b = c.X(1);
        var g = c.G();
        bool transA = c.Node.GetInt("transA", 0) != 0, transB = c.Node.GetInt("transB", 0) != 0;
        float alpha = c.Node.GetFloat("alpha", 1f), beta = c.Node.GetFloat("beta", 1f);
        var alphaAttr = Attr.Float("alpha", alpha);
        if (c.Needs(0))
        {
            // op(A) gradient is g·op(B)ᵀ; when A was transposed, dA is its transpose: op(B)·gᵀ.
            var da = transA
                ? e.Op("Gemm", [b, g], alphaAttr, Attr.Int("transA", transB ? 1 : 0), Attr.Int("transB", 1))
                : e.Op("Gemm", [g, b], alphaAttr, Attr.Int("transB", transB ? 0 : 1));
            c.Give(0, da);
        }
        if (c.Needs(1))
        {
            // op(B) gradient is op(A)ᵀ·g; when B was transposed, dB is its transpose: gᵀ·op(A).
            var db = transB
                ? e.Op("Gemm", [g, a], alphaAttr, Attr.Int("transA", 1), Attr.Int("transB", transA ? 1 : 0))
                : e.Op("Gemm", [a, g], alphaAttr, Attr.Int("transA", transA ? 0 : 1));
            c.Give(1, db);
        }
        c.GiveBroadcast(2, () => beta == 1f ? g : e.Mul(g, e.Scalar(beta, g)));
    }
}
