using Onnx;
using ProRL.Onnx.Graph;

namespace ProRL.Training.Autodiff;

/// <summary>Where <see cref="ProjectedHead"/> puts its nodes: the graph (lowering) or the gradient emitter (rule).</summary>
internal interface IOpSink
{
    string Op(string opType, string[] inputs, params AttributeProto[] attributes);
    /// <summary>A 1-D int64 constant.</summary>
    string Ints(params long[] values);
}

/// <summary>The inputs of a <see cref="FusedOps.ProjectedNextTokenLogprobs"/> node.</summary>
internal sealed record ProjectedHeadInputs(string X, string Weight, string Targets, string Temperature, string? Bias);

/// <summary>
/// The arithmetic of <see cref="FusedOps.ProjectedNextTokenLogprobs"/>, shared by its lowering (forward) and its
/// gradient rule (backward). The N tokens are cut into <c>chunks</c> slices of max(⌈N/chunks⌉, <c>min_rows</c>) rows (so
/// that a short batch is not cut into matmuls too small to run fast; the slices past N are empty); each slice's logits
/// [rows, V] are made, used and dropped before the next slice starts, so the [N, V] logits never exist. The backward
/// pass makes each slice's logits again from x and the weight (one more head matmul) instead of keeping them.
/// <para>
/// Slices run one after another because each one's first input waits for the previous slice's result, through
/// <c>x + CastLike(Size(previous)·0, x)</c>: without that, ONNX Runtime may start every slice's matmul first and hold
/// all their logits at once. The backward pass's first slice waits for the incoming gradient in the same way, so it
/// runs when the gradient arrives, not during the forward pass.
/// </para>
/// </summary>
internal static class ProjectedHead
{
    /// <summary>Slice boundaries: start and end rows (1-D int64 [1]) of each of the slices of the rows of x2.</summary>
    private static (string Start, string End)[] Bounds(IOpSink s, string x2, int chunks, int minRows)
    {
        var rows = s.Op("Gather", [s.Op("Shape", [x2]), s.Ints(0)]);
        var size = s.Op("Max", [s.Op("Div", [s.Op("Add", [rows, s.Ints(chunks - 1)]), s.Ints(chunks)]), s.Ints(minRows)]);
        return [.. Enumerable.Range(0, chunks).Select(k => (s.Op("Mul", [size, s.Ints(k)]), s.Op("Mul", [size, s.Ints(k + 1)])))];
    }

    private static string Rows(IOpSink s, string value, (string Start, string End) bound) =>
        s.Op("Slice", [value, bound.Start, bound.End, s.Ints(0)]);

    /// <summary><paramref name="value"/>, available only once <paramref name="anchor"/> is.</summary>
    private static string After(IOpSink s, string value, string anchor)
    {
        var zero = s.Op("Mul", [s.Op("Size", [anchor]), s.Ints(0)]);
        return s.Op("Add", [value, s.Op("CastLike", [zero, value])]);
    }

    /// <summary>One slice's log-softmax, softmax and (when asked) entropy of (x·W + b) / T.</summary>
    private static (string LogSoftmax, string Softmax, string? Entropy) Slice(IOpSink s, ProjectedHeadInputs inputs, string rows, bool entropy)
    {
        var logits = s.Op("MatMul", [rows, inputs.Weight]);
        if (inputs.Bias is not null) logits = s.Op("Add", [logits, inputs.Bias]);
        var logSoftmax = s.Op("LogSoftmax", [s.Op("Div", [logits, inputs.Temperature])], Attr.Int("axis", -1));
        var softmax = s.Op("Exp", [logSoftmax]);
        if (!entropy) return (logSoftmax, softmax, null);
        // −Σ p·log p as a batch of [1, V]·[V, 1] products: no further [rows, V] temporary.
        var expected = s.Op("MatMul", [s.Op("Unsqueeze", [softmax, s.Ints(1)]), s.Op("Unsqueeze", [logSoftmax, s.Ints(2)])]);
        return (logSoftmax, softmax, s.Op("Neg", [s.Op("Reshape", [expected, s.Ints(-1)])]));
    }

    /// <summary>The forward pass: per-token log-probability of the target and entropy, each shaped like the targets.</summary>
    public static (string Logprob, string Entropy) Forward(IOpSink s, ProjectedHeadInputs inputs, int chunks, int minRows)
    {
        var x2 = s.Op("Flatten", [inputs.X], Attr.Int("axis", -1));
        var targets = s.Op("Reshape", [inputs.Targets, s.Ints(-1)]);
        var logprobs = new List<string>();
        var entropies = new List<string>();
        string? previous = null;
        foreach (var bound in Bounds(s, x2, chunks, minRows))
        {
            var rows = Rows(s, x2, bound);
            if (previous is not null) rows = After(s, rows, previous);
            var (logSoftmax, _, entropy) = Slice(s, inputs, rows, entropy: true);
            var picked = s.Op("GatherElements", [logSoftmax, s.Op("Unsqueeze", [Rows(s, targets, bound), s.Ints(1)])], Attr.Int("axis", 1));
            logprobs.Add(s.Op("Reshape", [picked, s.Ints(-1)]));
            entropies.Add(entropy!);
            previous = entropy;
        }
        var shape = s.Op("Shape", [inputs.Targets]);
        string Joined(List<string> parts) =>
            s.Op("Reshape", [parts.Count == 1 ? parts[0] : s.Op("Concat", [.. parts], Attr.Int("axis", 0)), shape]);
        return (Joined(logprobs), Joined(entropies));
    }

    /// <summary>
    /// The backward pass for incoming gradients <paramref name="gradLogprob"/> (a) and <paramref name="gradEntropy"/> (b),
    /// either may be null. Per slice, with log p and p made again: dz = onehot·a − p·(a + b·(log p + H)), dlogits = dz / T,
    /// dx = dlogits·Wᵀ, dW += xᵀ·dlogits, db += Σ_rows dlogits (see FusedRules for the derivation).
    /// </summary>
    public static (string Dx, string? DWeight, string? DBias) Backward(IOpSink s, ProjectedHeadInputs inputs, int chunks, int minRows,
        string? gradLogprob, string? gradEntropy, bool weight, bool bias)
    {
        if (gradLogprob is null && gradEntropy is null) throw new ArgumentException("No incoming gradient.");
        var x2 = s.Op("Flatten", [inputs.X], Attr.Int("axis", -1));
        var targets = s.Op("Reshape", [inputs.Targets, s.Ints(-1)]);
        var a = gradLogprob is null ? null : s.Op("Reshape", [gradLogprob, s.Ints(-1)]);
        var b = gradEntropy is null ? null : s.Op("Reshape", [gradEntropy, s.Ints(-1)]);
        var dxParts = new List<string>();
        string? dWeight = null, dBias = null;
        string anchor = gradLogprob ?? gradEntropy!;
        foreach (var bound in Bounds(s, x2, chunks, minRows))
        {
            var rows = After(s, Rows(s, x2, bound), anchor);
            var (logp, p, entropy) = Slice(s, inputs, rows, entropy: b is not null);
            string? ak = a is null ? null : Rows(s, a, bound), bk = b is null ? null : Rows(s, b, bound);
            string Column(string perRow) => s.Op("Unsqueeze", [perRow, s.Ints(1)]);
            string dz;
            if (bk is null)
            {
                dz = s.Op("Mul", [p, Column(s.Op("Neg", [ak!]))]);
            }
            else
            {
                var entropyTerm = s.Op("Mul", [bk, entropy!]);
                var coefficient = ak is null ? entropyTerm : s.Op("Add", [ak, entropyTerm]);
                var inner = s.Op("Add", [s.Op("Mul", [logp, Column(s.Op("Neg", [bk]))]), Column(s.Op("Neg", [coefficient]))]);
                dz = s.Op("Mul", [p, inner]);
            }
            if (ak is not null)
                dz = s.Op("ScatterElements", [dz, Column(Rows(s, targets, bound)), Column(ak)],
                    Attr.Int("axis", 1), Attr.String("reduction", "add"));
            var dLogits = s.Op("Div", [dz, inputs.Temperature]);
            var dx = s.Op("Gemm", [dLogits, inputs.Weight], Attr.Int("transB", 1));
            dxParts.Add(dx);
            if (weight)
                dWeight = dWeight is null
                    ? s.Op("Gemm", [rows, dLogits], Attr.Int("transA", 1))
                    : s.Op("Gemm", [rows, dLogits, dWeight], Attr.Int("transA", 1));
            if (bias)
            {
                var summed = s.Op("ReduceSum", [dLogits, s.Ints(0)], Attr.Int("keepdims", 0));
                dBias = dBias is null ? summed : s.Op("Add", [dBias, summed]);
            }
            anchor = dx;
        }
        var joined = dxParts.Count == 1 ? dxParts[0] : s.Op("Concat", [.. dxParts], Attr.Int("axis", 0));
        return (s.Op("Reshape", [joined, s.Op("Shape", [inputs.X])]), dWeight, dBias);
    }
}
