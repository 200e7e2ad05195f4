using ProRL.Onnx.Graph;
using ProRL.Onnx.Tensors;
using ProRL.Training.Autodiff;

namespace ProRL.Training.Tests.Autodiff;

public class CompositeGradientTests
{
    [Fact]
    public void Value_used_many_times_accumulates_every_contribution()
    {
        // y = x·x + exp(x) + x / (x + 2): x feeds five uses.
        var t = new TestGraph(1);
        var x = t.Input("x", [3, 4], 0.1, 1);
        var y = t.Op("Add", [t.Op("Add", [t.Op("Mul", [x, x]), t.Op("Exp", [x])]), t.Op("Div", [x, t.Op("Add", [x, t.Scalar(2)])])]);
        ElementwiseGradientTests.CheckVjp(t, y, x);
    }

    [Fact]
    public void Tied_embedding_gets_the_sum_of_its_gather_and_its_output_projection_gradients()
    {
        var t = new TestGraph(2);
        var embedding = t.Initializer("embed_tokens", [7, 4]);
        var ids = t.IntInput("input_ids", [2, 3], [1, 6, 1, 0, 3, 6], declared: ["batch", "seq"]);
        var hidden = t.Op("Tanh", [t.Op("Gather", [embedding, ids])]);
        var logits = t.Op("MatMul", [hidden, t.Op("Transpose", [embedding], Attr.Ints("perm", 1, 0))]);
        ElementwiseGradientTests.CheckVjp(t, logits, embedding);
    }

    [Fact]
    public void Mlp_with_cross_entropy_loss()
    {
        var t = new TestGraph(3);
        var x = t.Input("x", [5, 4], declared: ["batch", 4]);
        var w1 = t.Initializer("w1", [4, 6]);
        var b1 = t.Initializer("b1", [6]);
        var w2 = t.Initializer("w2", [6, 3]);
        var b2 = t.Initializer("b2", [3]);
        var targets = t.IntInput("targets", [5, 1], [0, 2, 1, 1, 0], declared: ["batch", 1]);
        var h = t.Op("Relu", [t.Op("Add", [t.Op("MatMul", [x, w1]), b1])]);
        var logprobs = t.Op("LogSoftmax", [t.Op("Gemm", [h, w2, b2])], Attr.Int("axis", 1));
        var picked = t.Op("GatherElements", [logprobs, targets], Attr.Int("axis", 1));
        var loss = t.Op("Neg", [t.Op("ReduceMean", [picked], Attr.Int("keepdims", 0))]);
        new FiniteDifferenceChecker().AssertGradients(t.Model(loss), loss, [w1, b1, w2, b2, x], t.Feeds);
    }

    /// <summary>One decoder block in standard ops, with symbolic batch/sequence dims: RMSNorm, q/k/v projections,
    /// heads, scaled scores with a causal mask built from Shape/Range/Less (non-differentiable), padding mask,
    /// Softmax, output projection, residual, SiLU MLP.</summary>
    [Fact]
    public void Attention_block_with_symbolic_dims_and_masks()
    {
        const int heads = 2, headSize = 3, width = heads * headSize;
        var t = new TestGraph(4);
        var x = t.Input("x", [2, 4, width], declared: ["batch", "seq", width]);
        var mask = t.IntInput("attention_mask", [2, 4], [1, 1, 1, 1, 1, 1, 1, 0], declared: ["batch", "seq"]);
        var norm = t.Initializer("norm.weight", [width], 0.5, 1.5);
        string[] w = ["q", "k", "v", "o"];
        var weights = w.Select(n => t.Initializer($"{n}_proj.weight", [width, width], -0.5, 0.5)).ToArray();
        var up = t.Initializer("up.weight", [width, 8], -0.5, 0.5);
        var down = t.Initializer("down.weight", [8, width], -0.5, 0.5);

        string RmsNorm(string v)
        {
            var meanSquare = t.Op("ReduceMean", [t.Op("Pow", [v, t.Scalar(2)]), t.Ints(-1)]);
            var rms = t.Op("Sqrt", [t.Op("Add", [meanSquare, t.Scalar(1e-5)])]);
            return t.Op("Mul", [t.Op("Div", [v, rms]), norm]);
        }
        string Heads(string v) => t.Op("Transpose", [t.Op("Reshape", [v, t.Ints(0, 0, heads, headSize)])], Attr.Ints("perm", 0, 2, 1, 3));

        var normed = RmsNorm(x);
        var q = Heads(t.Op("MatMul", [normed, weights[0]]));
        var k = Heads(t.Op("MatMul", [normed, weights[1]]));
        var v = Heads(t.Op("MatMul", [normed, weights[2]]));
        var scores = t.Op("Mul", [t.Op("MatMul", [q, t.Op("Transpose", [k], Attr.Ints("perm", 0, 1, 3, 2))]), t.Scalar(1 / Math.Sqrt(headSize))]);
        // Causal mask from the run-time sequence length: position j visible from i when j <= i.
        var seq = t.Op("Gather", [t.Op("Shape", [x]), t.Graph.Const("one", Tensor.Scalar("one", 1L))]);
        var positions = t.Op("Range", [t.Graph.Const("zero", Tensor.Scalar("zero", 0L)), seq, t.Graph.Const("step", Tensor.Scalar("step", 1L))]);
        var future = t.Op("Less", [t.Op("Unsqueeze", [positions, t.Ints(0)]), t.Op("Unsqueeze", [positions, t.Ints(1)])]);
        var causal = t.Op("Not", [future]);
        var keep = t.Op("Unsqueeze", [t.Op("Cast", [mask], Attr.Int("to", 9)), t.Ints(1, 2)]);
        var visible = t.Op("And", [causal, keep]);
        var masked = t.Op("Where", [visible, scores, t.Scalar(-1e9)]);
        var attention = t.Op("MatMul", [t.Op("Softmax", [masked], Attr.Int("axis", -1)), v]);
        var merged = t.Op("Reshape", [t.Op("Transpose", [attention], Attr.Ints("perm", 0, 2, 1, 3)), t.Ints(0, 0, width)]);
        var residual = t.Op("Add", [x, t.Op("MatMul", [merged, weights[3]])]);
        var gate = t.Op("MatMul", [RmsNorm(residual), up]);
        var silu = t.Op("Mul", [gate, t.Op("Sigmoid", [gate])]);
        var output = t.Op("Add", [residual, t.Op("MatMul", [silu, down])]);

        ElementwiseGradientTests.CheckVjp(t, output, [x, norm, .. weights, up, down]);
    }

    [Fact]
    public void Runtime_unbroadcasting_for_symbolic_and_unknown_shapes()
    {
        var t = new TestGraph(5);
        var x = t.Input("x", [2, 3, 4], declared: ["b", "t", "h"]);
        var scale = t.Input("scale", [2, 1, 1], declared: ["b", 1, 1]);
        var shift = t.Input("shift", [3, 1], unknownShape: true);
        var bias = t.Input("bias", [4], declared: ["h"]);
        var y = t.Op("Add", [t.Op("Add", [t.Op("Mul", [x, scale]), shift]), bias]);
        ElementwiseGradientTests.CheckVjp(t, y, x, scale, shift, bias);
    }

    [Fact]
    public void Only_paths_between_loss_and_wrt_get_gradient_nodes_and_unreached_wrt_gets_zeros()
    {
        var t = new TestGraph(6);
        var x = t.Input("x", [3]);
        var unused = t.Input("unused", [2]);
        var side = t.Op("Exp", [t.Input("z", [3])]); // not on a path from x
        var loss = t.Op("ReduceSum", [t.Op("Mul", [t.Op("Sin", [x]), side])], Attr.Int("keepdims", 0));
        var model = t.Model(loss);
        var grads = GradientBuilder.AddGradients(model, loss, [x, unused]);
        Assert.DoesNotContain(model.Graph.Nodes, n => n.Name.StartsWith("grad/Exp", StringComparison.Ordinal));
        var analytic = new FiniteDifferenceChecker().AssertGradients(t.Model(loss), loss, [x, unused], t.Feeds);
        Assert.All(analytic[unused], v => Assert.Equal(0.0, v));
        Assert.Equal("x_grad", grads[x]);
    }

    [Fact]
    public void Single_element_loss_of_rank_one_is_accepted_and_a_vector_loss_is_refused()
    {
        var t = new TestGraph(12);
        var x = t.Input("x", [2, 3]);
        var loss = t.Op("ReduceSum", [t.Op("Exp", [x])], Attr.Int("keepdims", 1)); // shape [1, 1]
        var analytic = new FiniteDifferenceChecker().AssertGradients(t.Model(loss), loss, [x], t.Feeds);
        var xs = OrtTensors.ToDoubles(t.Feeds[x]);
        for (int i = 0; i < xs.Length; i++) Assert.Equal(Math.Exp(xs[i]), analytic[x][i], 10);

        var u = new TestGraph(13);
        var z = u.Input("z", [3]);
        var vector = u.Op("Exp", [z]);
        var error = Assert.Throws<ArgumentException>(() => GradientBuilder.AddGradients(u.Model(vector), vector, [z]));
        Assert.Contains("seed gradient", error.Message);
    }

    [Fact]
    public void Seed_gradient_overload_computes_a_vector_jacobian_product()
    {
        var t = new TestGraph(7);
        var x = t.Input("x", [2, 3]);
        var seed = t.Input("seed", [2, 3]);
        var y = t.Op("Tanh", [x]);
        var model = t.Model(y);
        var grads = GradientBuilder.AddGradients(model, y, seed, [x]);
        model.Graph.Outputs.Add(new ValueInfo(grads[x], TensorDataType.Double, null));
        using var session = new Microsoft.ML.OnnxRuntime.InferenceSession(ProRL.Onnx.IO.OnnxModelIO.ToBytes(model));
        var result = OrtTensors.ToDoubles(OrtTensors.Run(session, t.Feeds, [grads[x]])[grads[x]]);
        var xs = OrtTensors.ToDoubles(t.Feeds[x]);
        var ss = OrtTensors.ToDoubles(t.Feeds[seed]);
        for (int i = 0; i < xs.Length; i++)
            Assert.Equal(ss[i] * (1 - Math.Tanh(xs[i]) * Math.Tanh(xs[i])), result[i], 12);
    }

    [Fact]
    public void Op_without_a_rule_on_a_needed_path_is_a_build_time_error_naming_op_node_and_model()
    {
        var t = new TestGraph(8);
        var x = t.Input("x", [3, 3]);
        var cumulative = t.Graph.OpNamed("my_cumsum", "CumSum", [x, t.Graph.Const("axis", Tensor.Scalar("axis", 1L))]);
        var loss = t.Op("ReduceSum", [cumulative], Attr.Int("keepdims", 0));
        var model = t.Model(loss);
        var error = Assert.Throws<UnsupportedGradientException>(() =>
            GradientBuilder.AddGradients(model, loss, [x], new GradientOptions { ModelName = "models/tiny/model.onnx" }));
        Assert.Equal("CumSum", error.OpType);
        Assert.Equal("my_cumsum", error.NodeName);
        Assert.Contains("models/tiny/model.onnx", error.Message);
        Assert.Contains("my_cumsum", error.Message);

        // The same op off the differentiated path is fine.
        var u = new TestGraph(9);
        var a = u.Input("a", [3, 3]);
        var b = u.Input("b", [3, 3]);
        var l2 = u.Op("ReduceSum", [u.Op("Mul", [a, u.Op("CumSum", [b, u.Graph.Const("axis", Tensor.Scalar("axis", 0L))])])], Attr.Int("keepdims", 0));
        new FiniteDifferenceChecker().AssertGradients(u.Model(l2), l2, [a], u.Feeds);
    }

    [Fact]
    public void Contrib_op_on_the_path_is_rejected()
    {
        var t = new TestGraph(10);
        var x = t.Input("x", [2, 4]);
        var w = t.Input("w", [4]);
        var y = t.Graph.AddNode("SimplifiedLayerNormalization", [x, w], ["normed"], "layer0/norm", OnnxModel.MicrosoftDomain).Outputs[0];
        var loss = t.Op("ReduceSum", [y], Attr.Int("keepdims", 0));
        var model = t.Model(loss);
        int nodes = model.Graph.Nodes.Count;
        var error = Assert.Throws<UnsupportedGradientException>(() => GradientBuilder.AddGradients(model, loss, [w]));
        Assert.Equal(nodes, model.Graph.Nodes.Count); // nothing was added before the error
        Assert.Equal(0, model.Graph.InitializerCount);
        Assert.Contains("com.microsoft.SimplifiedLayerNormalization", error.Message);
        Assert.Equal("layer0/norm", error.NodeName);
    }

    [Fact]
    public void Shapes_decided_statically_need_no_run_time_unbroadcasting()
    {
        // Symbolic batch/seq dims flow through elementwise ops, ReduceMean(keepdims), Reshape with −1 and Slice:
        // every broadcast is decided at build time, so no Shape/NonZero machinery is emitted for it.
        var t = new TestGraph(11);
        var x = t.Input("x", [2, 3, 8], declared: ["batch", "seq", 8]);
        var bias = t.Initializer("bias", [8]);
        var scale = t.Op("ReduceMean", [t.Op("Mul", [x, x]), t.Ints(-1)]);
        var h = t.Op("Mul", [t.Op("Add", [x, bias]), scale]);
        var heads = t.Op("Reshape", [h, t.Ints(0, 0, 2, -1)]);
        var firstHalf = t.Op("Slice", [heads, t.Ints(0), t.Ints(2), t.Ints(-1)]);
        var y = t.Op("Mul", [firstHalf, t.Op("Slice", [heads, t.Ints(2), t.Ints(4), t.Ints(-1)])]);
        var model = t.Model(y);
        var loss = model.Graph.Op("ReduceSum", [y], Attr.Int("keepdims", 0));
        int forwardCount = model.Graph.Nodes.Count;
        GradientBuilder.AddGradients(model, loss, [x, bias]);
        var added = model.Graph.Nodes.Skip(forwardCount).Select(n => n.OpType).ToList();
        Assert.DoesNotContain("NonZero", added);
        ElementwiseGradientTests.CheckVjp(t, y, x, bias);
    }

    [Fact]
    public void Sizes_computed_at_run_time_keep_their_symbols()
    {
        // The lowered attention's pattern: Shape → Slice of a static table (RoPE's cache cut to the sequence length),
        // Range over that length, Reshape folding the sequence into 4 × seq with −1 and back, Expand to a computed
        // shape. Each size stays the symbol it came from, so no broadcast is left to decide at run time.
        var t = new TestGraph(12);
        var x = t.Input("x", [2, 3, 8], declared: ["batch", "seq", 8]);
        var table = t.Initializer("table", [16, 8]);
        var w = t.Initializer("w", [8]);
        var seq = t.Op("Shape", [x], Attr.Int("start", 1), Attr.Int("end", 2));
        var rows = t.Op("Slice", [table, t.Ints(0), seq, t.Ints(0)]);
        var rotated = t.Op("Mul", [x, rows]);
        var folded = t.Op("Reshape", [rotated, t.Ints(0, 2, -1)]);
        var unfolded = t.Op("Reshape", [t.Op("Mul", [folded, folded]), t.Ints(0, -1, 8)]);
        var positions = t.Op("Range", [t.Graph.Const("zero", Tensor.Scalar("zero", 0L)), t.Op("Reshape", [seq, t.Ints()]), t.Graph.Const("one", Tensor.Scalar("one", 1L))]);
        var bias = t.Op("Cast", [t.Op("Unsqueeze", [positions, t.Ints(1)])], Attr.Int("to", (long)t.Type));
        var shape = t.Op("Concat", [t.Op("Shape", [x], Attr.Int("end", 2)), t.Ints(8)], Attr.Int("axis", 0));
        var y = t.Op("Mul", [t.Op("Add", [unfolded, bias]), t.Op("Expand", [w, shape])]);
        var model = t.Model(y);
        var loss = model.Graph.Op("ReduceSum", [y], Attr.Int("keepdims", 0));
        int forwardCount = model.Graph.Nodes.Count;
        GradientBuilder.AddGradients(model, loss, [x, table, w]);
        var added = model.Graph.Nodes.Skip(forwardCount).Select(n => n.OpType).ToList();
        Assert.DoesNotContain("NonZero", added);
        ElementwiseGradientTests.CheckVjp(t, y, x, table, w);
    }
}
