using Onnx;
using ProRL.Onnx.Graph;
using ProRL.Onnx.Tensors;

namespace ProRL.Training.Autodiff;

/// <summary>
/// Adds gradient nodes to a graph: fresh names under a prefix, shared constants and Shape nodes, shape bookkeeping
/// for the values it creates, and unbroadcasting (static where shapes are known, computed at run time otherwise).
/// </summary>
internal sealed class GradientEmitter
{
    private readonly OnnxGraph _graph;
    private readonly Dictionary<string, string> _constants = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _shapeNodes = new(StringComparer.Ordinal);

    public GradientEmitter(OnnxGraph graph, ShapeInference shapes, string prefix, long opset)
    {
        _graph = graph;
        Shapes = shapes;
        Prefix = prefix;
        Opset = opset;
    }

    /// <summary>The model's ai.onnx opset (the forms of the ops the rules emit need 13+, Slice's gradient 18+).</summary>
    public long Opset { get; }

    public ShapeInference Shapes { get; }
    public string Prefix { get; }
    /// <summary>Name of the forward node whose rule is being emitted (used in the names of the new nodes).</summary>
    public string Scope { get; set; } = "";

    public string Op(string opType, IEnumerable<string> inputs, params AttributeProto[] attributes) =>
        OpMulti(opType, inputs, 1, attributes)[0];

    public string[] OpMulti(string opType, IEnumerable<string> inputs, int outputs, params AttributeProto[] attributes)
    {
        var nodeName = _graph.UniqueName($"{Prefix}/{Scope}/{opType}");
        var names = Enumerable.Range(0, outputs).Select(i => _graph.UniqueName($"{nodeName}/output_{i}")).ToArray();
        var node = _graph.AddNode(opType, inputs, names, nodeName, "", attributes);
        Shapes.Infer(node);
        return names;
    }

    public string Mul(string a, string b) => Op("Mul", [a, b]);
    public string Div(string a, string b) => Op("Div", [a, b]);
    public string Sub(string a, string b) => Op("Sub", [a, b]);
    public string Neg(string a) => Op("Neg", [a]);

    /// <summary>A scalar constant of the element type of <paramref name="like"/> (shared between uses).</summary>
    public string Scalar(double value, string like)
    {
        var type = Shapes[like].Type;
        if (type is null or not (TensorDataType.Float or TensorDataType.Double or TensorDataType.Float16 or TensorDataType.BFloat16))
            return Op("CastLike", [Scalar(value, TensorDataType.Double), like]);
        return Scalar(value, type.Value);
    }

    public string Scalar(double value, TensorDataType type)
    {
        var key = $"{type}:{value:R}";
        if (_constants.TryGetValue(key, out var name)) return name;
        var tensor = type == TensorDataType.Double
            ? Tensor.FromArray("c", TensorDataType.Double, [], [value])
            : Tensor.FromFloats("c", type, [], [(float)value]);
        return Remember(key, tensor);
    }

    /// <summary>A 1-D int64 constant (shared between uses).</summary>
    public string Ints(params long[] values)
    {
        var key = "i64:" + string.Join(",", values);
        return _constants.TryGetValue(key, out var name) ? name : Remember(key, Tensor.FromInt64s("c", [values.Length], values));
    }

    private string Remember(string key, Tensor tensor)
    {
        var name = _graph.Const($"{Prefix}/const", tensor);
        Shapes.Set(name, new(tensor.DataType, tensor.Dims.Select(d => (Dim)d).ToArray()));
        _constants[key] = name;
        return name;
    }

    /// <summary>Shape(value), emitted once per value.</summary>
    public string ShapeOf(string value)
    {
        if (_shapeNodes.TryGetValue(value, out var s)) return s;
        return _shapeNodes[value] = Op("Shape", [value]);
    }

    /// <summary>The shape of <paramref name="value"/> as a 1-D int64 tensor: a constant when static, else Shape().</summary>
    public string ShapeTensor(string value) =>
        StaticDims(value) is { } dims ? Ints(dims) : ShapeOf(value);

    /// <summary>Size of one axis as a 1-D int64 tensor of length 1 (constant when static).</summary>
    public string DimTensor(string value, long axis)
    {
        var dims = Shapes[value].Dims;
        if (dims is not null && dims[(int)(axis < 0 ? axis + dims.Length : axis)].Value is { } v) return Ints(v);
        return Op("Gather", [ShapeOf(value), Ints(axis)]);
    }

    public long[]? StaticDims(string value) =>
        Shapes[value].Dims is { } dims && dims.All(d => d.Value is not null) ? dims.Select(d => d.Value!.Value).ToArray() : null;

    /// <summary>Zeros with the shape and element type of <paramref name="like"/>.</summary>
    public string ZerosLike(string like) => Zeros(ShapeTensor(like), like);

    /// <summary>Zeros of a given (1-D int64) shape in the element type of <paramref name="like"/>.</summary>
    public string Zeros(string shapeTensor, string like)
    {
        var type = Shapes[like].Type;
        if (type is not { } t || !t.IsFloatingPoint())
            throw new InvalidOperationException($"Cannot make zeros like '{like}': its element type is not a known floating-point type.");
        var zero = t == TensorDataType.Double
            ? Tensor.FromArray("value", TensorDataType.Double, [1], [0.0])
            : Tensor.FromFloats("value", t, [1], [0f]);
        return Op("ConstantOfShape", [shapeTensor], Attr.Tensor("value", zero));
    }

    /// <summary>A scalar int64 constant (shared between uses).</summary>
    public string Int64Scalar(long value)
    {
        var key = $"i64s:{value}";
        return _constants.TryGetValue(key, out var name) ? name : Remember(key, Tensor.Scalar("c", value));
    }

    /// <summary>Sum of gradient contributions (all of the same shape).</summary>
    public string Sum(IReadOnlyList<string> terms) => terms.Count switch
    {
        0 => throw new ArgumentException("No terms to sum."),
        1 => terms[0],
        2 => Op("Add", [terms[0], terms[1]]),
        _ => Op("Sum", terms),
    };

    /// <summary>ReduceSum with constant axes (opset 13+: axes as an input).</summary>
    public string ReduceSum(string x, long[] axes, bool keepDims) =>
        Op("ReduceSum", [x, Ints(axes)], Attr.Int("keepdims", keepDims ? 1 : 0));

    /// <summary>Transpose that swaps the last two axes of a value of the given rank.</summary>
    public string SwapLastTwo(string x, int rank)
    {
        var perm = Enumerable.Range(0, rank).Select(i => (long)i).ToArray();
        (perm[^1], perm[^2]) = (perm[^2], perm[^1]);
        return Op("Transpose", [x], Attr.Ints("perm", perm));
    }

    /// <summary>
    /// Sums <paramref name="grad"/> (shaped like the broadcast result) down to the shape of <paramref name="target"/>,
    /// the operand that was broadcast. Static axes when the shapes decide it; otherwise the axes where the target has
    /// size 1 are found at run time (reducing a size-1 axis that was not broadcast is harmless).
    /// </summary>
    public string Unbroadcast(string grad, string target)
    {
        var g = Shapes[grad].Dims;
        var t = Shapes[target].Dims;
        if (g is null || t is null || t.Length > g.Length) return UnbroadcastAtRunTime(grad, target);
        int lead = g.Length - t.Length;
        var axes = new List<long>();
        bool dynamic = false;
        for (int i = 0; i < t.Length; i++)
        {
            Dim td = t[i], gd = g[lead + i];
            if (ShapeInference.SameDim(td, gd) || (td.Value is { } v && v != 1)) continue;
            if (td.Value == 1) axes.Add(lead + i);
            else dynamic = true;
        }
        var leading = Enumerable.Range(0, lead).Select(i => (long)i).ToArray();
        if (dynamic)
        {
            var reduced = lead > 0 ? ReduceSum(grad, leading, keepDims: false) : grad;
            var ones = Op("NonZero", [Op("Equal", [ShapeOf(target), Ints(1)])]);
            var runtimeAxes = Op("Reshape", [ones, Ints(-1)]);
            return Op("ReduceSum", [reduced, runtimeAxes], Attr.Int("keepdims", 1), Attr.Int("noop_with_empty_axes", 1));
        }
        if (axes.Count == 0) return lead == 0 ? grad : ReduceSum(grad, leading, keepDims: false);
        var summed = ReduceSum(grad, [.. leading, .. axes], keepDims: true);
        return lead == 0 ? summed : Op("Squeeze", [summed, Ints(leading)]);
    }

    /// <summary>Unbroadcasting when even the ranks are unknown: pad the target's shape with leading ones to the
    /// gradient's rank, reduce the axes where it is 1, then reshape to the target's shape.</summary>
    private string UnbroadcastAtRunTime(string grad, string target)
    {
        var targetShape = ShapeOf(target);
        var extra = Op("Sub", [Op("Size", [ShapeOf(grad)]), Op("Size", [targetShape])]);
        var one = Tensor.FromInt64s("value", [1], [1]);
        var padding = Op("ConstantOfShape", [Op("Reshape", [extra, Ints(1)])], Attr.Tensor("value", one));
        var padded = Op("Concat", [padding, targetShape], Attr.Int("axis", 0));
        var axes = Op("Reshape", [Op("NonZero", [Op("Equal", [padded, Ints(1)])]), Ints(-1)]);
        var summed = Op("ReduceSum", [grad, axes], Attr.Int("keepdims", 1), Attr.Int("noop_with_empty_axes", 1));
        return Op("Reshape", [summed, targetShape]);
    }
}
