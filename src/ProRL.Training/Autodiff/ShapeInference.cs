using ProRL.Onnx.Graph;
using ProRL.Onnx.IO;
using ProRL.Onnx.Tensors;

namespace ProRL.Training.Autodiff;

/// <summary>What is known statically about a value: element type (null = unknown) and shape (null = unknown rank;
/// a <see cref="Dim"/> with neither value nor param is an unknown size).</summary>
internal sealed record ValueShape(TensorDataType? Type, Dim[]? Dims)
{
    public int? Rank => Dims?.Length;
    public static readonly ValueShape Unknown = new(null, null);
}

/// <summary>
/// A light static shape/type inference over the ops the decoders and loss heads use. It only needs to be as good as
/// the gradient rules require: ranks (for Transpose perms, unbroadcasting) and element types (for constants).
/// Unknown results are fine: the rules fall back to run-time shape computation.
/// </summary>
internal sealed class ShapeInference
{
    private int _unknownCount;

    /// <summary>
    /// A size not known statically, as a fresh symbol: values that copy it (elementwise ops, gradients) share the
    /// symbol, so that unbroadcasting can still tell equal dims apart from broadcast ones.
    /// </summary>
    private Dim UnknownDim => new(null, $"unknown_{++_unknownCount}");
    private readonly OnnxGraph _graph;
    private readonly Dictionary<string, ValueShape> _shapes = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Tensor> _constants = new(StringComparer.Ordinal);
    private readonly SymbolicDims _symbols = new();

    /// <summary>
    /// Element values of computed shape tensors (int64/int32, rank 0 or 1), as sizes: Shape(x) holds x's dims, and
    /// Gather, Slice, Concat, Unsqueeze, Mul… of those keep them. Reshape, Expand, Range and Slice read them, so the
    /// sizes an export computes at run time keep their symbols instead of becoming unknown.
    /// </summary>
    private readonly Dictionary<string, Dim[]> _values = new(StringComparer.Ordinal);

    public ShapeInference(OnnxGraph graph)
    {
        _graph = graph;
        foreach (var v in graph.ValueInfos.Concat(graph.Outputs).Concat(graph.Inputs)) _shapes[v.Name] = new(v.ElementType, v.Shape);
        foreach (var t in graph.Initializers)
        {
            _shapes[t.Name] = new(t.DataType, t.Dims.Select(d => (Dim)d).ToArray());
            _constants[t.Name] = t;
        }
        foreach (var node in graph.Nodes) Infer(node);
    }

    public ValueShape this[string name] => _shapes.GetValueOrDefault(name) ?? ValueShape.Unknown;

    /// <summary>Integer values of a constant (initializer or Constant node output), or null.</summary>
    public long[]? ConstInts(string? name)
    {
        if (name is null || !_constants.TryGetValue(name, out var t)) return null;
        return t.DataType is TensorDataType.Int64 or TensorDataType.Int32 ? t.ToInt64s() : null;
    }

    /// <summary>The element values of an integer tensor as sizes (constant, or computed from shapes), or null.</summary>
    internal Dim[]? DimValues(string? name) =>
        ConstInts(name) is { } c ? c.Select(v => (Dim)v).ToArray() : name is not null && _values.TryGetValue(name, out var v) ? v : null;

    private void TrackValues(Node node)
    {
        if (node.Outputs.Count == 0 || node.Outputs[0].Length == 0) return;
        var output = node.Outputs[0];
        if (this[output].Type is not (TensorDataType.Int64 or TensorDataType.Int32) || this[output].Rank is not (0 or 1)) return;
        var x = DimValues(node.Input(0));
        Dim[]? values = node.OpType switch
        {
            "Shape" when this[node.Inputs[0]].Dims is { } dims => ShapeSlice(node, dims),
            "Identity" or "Unsqueeze" or "Squeeze" or "Reshape" or "Cast" => x,
            "Gather" when x is not null && node.GetInt("axis", 0) == 0 && ConstInts(node.Input(1)) is { } idx
                && idx.All(i => i >= -x.Length && i < x.Length) => idx.Select(i => x[i < 0 ? i + x.Length : i]).ToArray(),
            "Slice" => SliceValues(node, x),
            "Concat" => node.Inputs.Select(DimValues).ToList() is var parts && parts.All(p => p is not null) ? parts.SelectMany(p => p!).ToArray() : null,
            "Mul" or "Div" or "Add" or "Sub" => Arithmetic(node.OpType, x, DimValues(node.Input(1))),
            _ => null,
        };
        if (values is not null) _values[output] = values;
    }

    private static Dim[] ShapeSlice(Node node, Dim[] dims)
    {
        int rank = dims.Length;
        long start = Math.Clamp(Normalize(node.GetInt("start", 0), rank), 0, rank);
        long end = node.Attribute("end") is null ? rank : Math.Clamp(Normalize(node.GetInt("end", rank), rank), 0, rank);
        return end > start ? dims[(int)start..(int)end] : [];
    }

    private Dim[]? SliceValues(Node node, Dim[]? x)
    {
        if (x is null || ConstInts(node.Input(1)) is not [var start] || ConstInts(node.Input(2)) is not [var end]) return null;
        if (node.Input(3) is { } axes && ConstInts(axes) is not ([0] or [-1])) return null;
        if (node.Input(4) is { } steps && ConstInts(steps) is not [1]) return null;
        int n = x.Length;
        long s = Math.Clamp(start < 0 ? start + n : start, 0, n), e = Math.Clamp(end < 0 ? end + n : end, 0, n);
        return e > s ? x[(int)s..(int)e] : [];
    }

    /// <summary>Elementwise arithmetic on sizes: products and exact quotients keep symbols; sums only of numbers.</summary>
    private Dim[]? Arithmetic(string op, Dim[]? a, Dim[]? b)
    {
        if (a is null || b is null || (a.Length != b.Length && a.Length != 1 && b.Length != 1)) return null;
        int n = Math.Max(a.Length, b.Length);
        var result = new Dim[n];
        for (int i = 0; i < n; i++)
        {
            Dim l = a[a.Length == 1 ? 0 : i], r = b[b.Length == 1 ? 0 : i];
            if (l.Value is { } lv && r.Value is { } rv)
            {
                if (op == "Div" && (rv == 0 || lv % rv != 0)) return null;
                result[i] = op switch { "Mul" => lv * rv, "Div" => lv / rv, "Add" => lv + rv, _ => lv - rv };
                continue;
            }
            if (_symbols.Read(l) is not { } lm || _symbols.Read(r) is not { } rm) return null;
            var m = op switch { "Mul" => lm.Times(rm), "Div" => lm.Over(rm), _ => null };
            if (m is null) return null;
            result[i] = _symbols.Write(m);
        }
        return result;
    }

    /// <summary>Boolean values of a constant, or null.</summary>
    public bool[]? ConstBools(string? name) =>
        name is not null && _constants.TryGetValue(name, out var t) && t.DataType == TensorDataType.Bool
            ? t.Data.Select(b => b != 0).ToArray() : null;

    /// <summary>Floating-point values of a constant, or null.</summary>
    public double[]? ConstFloats(string? name)
    {
        if (name is null || !_constants.TryGetValue(name, out var t)) return null;
        return t.DataType switch
        {
            TensorDataType.Double => t.AsSpan<double>().ToArray(),
            TensorDataType.Float or TensorDataType.Float16 or TensorDataType.BFloat16 => Array.ConvertAll(t.ToFloats(), f => (double)f),
            _ => null,
        };
    }

    /// <summary>Records the shape of a value the gradient builder adds (so later rules can use it).</summary>
    public void Set(string name, ValueShape shape) => _shapes[name] = shape;

    /// <summary>
    /// Sharpens what is known about <paramref name="name"/> with <paramref name="sameShape"/>, the shape of a value
    /// known to have the same shape (a gradient has its primal's shape): known sizes and symbols win over unknowns.
    /// </summary>
    public void Refine(string name, ValueShape sameShape)
    {
        var current = this[name];
        var dims = current.Dims is { } c && sameShape.Dims is { } p && c.Length == p.Length
            ? c.Zip(p, (cd, pd) => pd.Value is not null || pd.Param is not null ? pd : cd).ToArray()
            : sameShape.Dims ?? current.Dims;
        _shapes[name] = new(current.Type ?? sameShape.Type, dims);
    }

    /// <summary>Infers (and records) the outputs of a node; used for forward nodes and for emitted gradient nodes.</summary>
    public void Infer(Node node)
    {
        if (FusedOps.IsFused(node)) { InferFused(node); return; }
        if (!node.IsStandard) return;
        if (node.OpType == "Constant") { InferConstant(node); return; }
        var result = InferStandard(node);
        if (result is null) return;
        for (int i = 0; i < Math.Min(result.Length, node.Outputs.Count); i++)
        {
            var name = node.Outputs[i];
            if (name.Length == 0) continue;
            // Declared value infos win, except where they leave the shape or type open.
            _shapes[name] = _shapes.TryGetValue(name, out var declared)
                ? new(declared.Type ?? result[i].Type, declared.Dims ?? result[i].Dims)
                : result[i];
        }
        TrackValues(node);
    }

    /// <summary>NextTokenLogprobs: per-row logprob and entropy (x's shape without its last axis), log_softmax and softmax like x.</summary>
    private void InferFused(Node node)
    {
        if (node.OpType == FusedOps.ProjectedNextTokenLogprobs)
        {
            // logprob and entropy are per token: the targets' shape, in x's element type.
            var perToken = new ValueShape(this[node.Inputs[0]].Type, this[node.Inputs[2]].Dims);
            foreach (var output in node.Outputs.Where(o => o.Length > 0)) _shapes[output] = perToken;
            return;
        }
        var x = this[node.Inputs[0]];
        var perRow = x.Dims is { Length: > 0 } d ? d[..^1] : null;
        for (int i = 0; i < node.Outputs.Count; i++)
            if (node.Outputs[i].Length > 0) _shapes[node.Outputs[i]] = new(x.Type, i < 2 ? perRow : x.Dims);
    }

    private void InferConstant(Node node)
    {
        var attr = node.Attribute("value");
        Tensor? t = attr is not null ? TensorProtoConverter.FromProto(attr.T) :
            node.Attribute("value_float") is { } f ? Tensor.Scalar("c", f.F) :
            node.Attribute("value_int") is { } i ? Tensor.Scalar("c", i.I) :
            node.Attribute("value_ints") is { } ints ? Tensor.FromInt64s("c", [ints.Ints.Count], ints.Ints.ToArray()) :
            node.Attribute("value_floats") is { } fs ? Tensor.FromFloats("c", [fs.Floats.Count], fs.Floats.ToArray()) : null;
        if (t is null) return;
        _constants[node.Outputs[0]] = t;
        _shapes[node.Outputs[0]] = new(t.DataType, t.Dims.Select(d => (Dim)d).ToArray());
    }

    private ValueShape[]? InferStandard(Node node)
    {
        ValueShape In(int i) => node.Input(i) is { } n ? this[n] : ValueShape.Unknown;
        var x = In(0);
        switch (node.OpType)
        {
            case "Identity" or "Neg" or "Abs" or "Exp" or "Log" or "Sqrt" or "Reciprocal" or "Sigmoid" or "Tanh"
                or "Erf" or "Relu" or "Softmax" or "LogSoftmax" or "Trilu" or "Clip" or "Sin" or "Cos" or "Sign"
                or "Floor" or "Ceil" or "Round" or "Softplus" or "Gelu" or "LeakyRelu" or "Elu" or "Dropout"
                or "LayerNormalization" or "ScatterElements" or "ScatterND" or "CumSum" or "HardSigmoid":
                return [x];
            case "Add" or "Sub" or "Mul" or "Div" or "Pow" or "Min" or "Max" or "Sum" or "Mean" or "Mod":
                return [new(x.Type, Broadcast(node.Inputs.Select(n => this[n].Dims)))];
            case "Equal" or "Less" or "Greater" or "LessOrEqual" or "GreaterOrEqual" or "And" or "Or" or "Xor":
                return [new(TensorDataType.Bool, Broadcast(node.Inputs.Select(n => this[n].Dims)))];
            case "Not" or "IsNaN" or "IsInf":
                return [new(TensorDataType.Bool, x.Dims)];
            case "Where":
                return [new(In(1).Type ?? In(2).Type, Broadcast(node.Inputs.Select(n => this[n].Dims)))];
            case "Cast":
                return [new((TensorDataType)node.GetInt("to", 0), x.Dims)];
            case "CastLike":
                return [new(In(1).Type, x.Dims)];
            case "Shape":
                return [new(TensorDataType.Int64, ShapeOfShape(node, x))];
            case "Size":
                return [new(TensorDataType.Int64, [])];
            case "MatMul":
                return [new(x.Type, MatMulDims(x.Dims, In(1).Dims))];
            case "Gemm":
                return [new(x.Type, GemmDims(node, x.Dims, In(1).Dims))];
            case "Transpose":
                return [new(x.Type, TransposeDims(node, x.Dims))];
            case "Reshape":
                return [new(x.Type, ReshapeDims(node, x.Dims, node.Input(1)))];
            case "Flatten":
                return [new(x.Type, x.Dims is null ? [UnknownDim, UnknownDim] : FlattenDims(x.Dims, (int)node.GetInt("axis", 1)))];
            case "Gather":
                return [new(x.Type, GatherDims(x.Dims, In(1).Dims, (int)node.GetInt("axis", 0)))];
            case "GatherElements":
                return [new(x.Type, In(1).Dims)];
            case "Unsqueeze":
                return [new(x.Type, UnsqueezeDims(x.Dims, ConstInts(node.Input(1)) ?? node.GetInts("axes")))];
            case "Squeeze":
                return [new(x.Type, SqueezeDims(x.Dims, node.Input(1) is null && node.GetInts("axes") is null ? [] : ConstInts(node.Input(1)) ?? node.GetInts("axes")))];
            case "Concat":
                return [new(x.Type, ConcatDims(node))];
            case "Slice":
                return [new(x.Type, SliceDims(node, x.Dims))];
            case "Pad" or "Tile":
                return [new(x.Type, x.Dims?.Select(_ => UnknownDim).ToArray())];
            case "Split":
                return SplitDims(node, x.Dims).Select(d => new ValueShape(x.Type, d)).ToArray();
            case "Expand":
                return [new(x.Type, ExpandDims(x.Dims, node.Input(1)))];
            case "ReduceSum" or "ReduceMean" or "ReduceMax" or "ReduceMin" or "ReduceProd" or "ReduceL2" or "ReduceLogSumExp" or "ReduceSumSquare":
                return [new(x.Type, ReduceDims(node, x.Dims, ReduceAxes(node)))];
            case "ArgMax" or "ArgMin":
                return [new(TensorDataType.Int64, ReduceDims(node, x.Dims, [node.GetInt("axis", 0)]))];
            case "ConstantOfShape":
                var value = node.Attribute("value") is { } v ? (TensorDataType)v.T.DataType : TensorDataType.Float;
                return [new(value, DimValues(node.Input(0)) is { } s ? s :
                    In(0).Dims is [{ Value: { } n }] ? Enumerable.Repeat(UnknownDim, (int)n).ToArray() : null)];
            case "Range":
                // Range(0, n, 1) has n elements.
                return [new(x.Type, [ConstInts(node.Input(0)) is [0] && ConstInts(node.Input(2)) is [1] && DimValues(node.Input(1)) is [var limit] ? limit : UnknownDim])];
            case "NonZero":
                return [new(TensorDataType.Int64, x.Rank is { } r ? [r, UnknownDim] : [UnknownDim, UnknownDim])];
            default:
                return null;
        }
    }

    private Dim[] ShapeOfShape(Node node, ValueShape x)
    {
        if (x.Rank is not { } rank) return [UnknownDim];
        long start = Normalize(node.GetInt("start", 0), rank), end = node.Attribute("end") is null ? rank : Normalize(node.GetInt("end", rank), rank);
        return [Math.Max(0, Math.Min(end, rank) - Math.Min(start, rank))];
    }

    private static long Normalize(long axis, int rank) => axis < 0 ? axis + rank : axis;

    /// <summary>Numpy broadcasting of static shapes; unknown where it cannot be decided.</summary>
    internal Dim[]? Broadcast(IEnumerable<Dim[]?> shapes)
    {
        var list = shapes.ToList();
        if (list.Any(s => s is null)) return null;
        int rank = list.Max(s => s!.Length);
        var result = new Dim[rank];
        for (int i = 0; i < rank; i++)
        {
            Dim? acc = null;
            foreach (var s in list)
            {
                int j = i - (rank - s!.Length);
                if (j < 0) continue;
                var d = s[j];
                if (acc is null || acc.Value.Value == 1) acc = d;
                else if (d.Value == 1 || SameDim(acc.Value, d)) { }
                else if (d.Value is not null && acc.Value.Value is null) acc = d; // the other side must be 1 or equal
                else if (acc.Value.Value is null && d.Value is null) acc = UnknownDim; // two different symbols
            }
            result[i] = acc ?? (Dim)1;
        }
        return result;
    }

    /// <summary>True when two dims are certainly equal (same value or same symbol).</summary>
    internal static bool SameDim(Dim a, Dim b) =>
        (a.Value is { } va && b.Value is { } vb && va == vb) || (a.Param is { } pa && b.Param is { } pb && pa == pb);

    private Dim[]? MatMulDims(Dim[]? a, Dim[]? b)
    {
        if (a is null || b is null || a.Length == 0 || b.Length == 0) return null;
        if (a.Length == 1 && b.Length == 1) return [];
        if (a.Length == 1) return [.. b[..^2], b[^1]];
        if (b.Length == 1) return a[..^1];
        var batch = Broadcast([a[..^2], b[..^2]])!;
        return [.. batch, a[^2], b[^1]];
    }

    private Dim[]? GemmDims(Node node, Dim[]? a, Dim[]? b)
    {
        if (a is not { Length: 2 } || b is not { Length: 2 }) return [UnknownDim, UnknownDim];
        return [node.GetInt("transA", 0) != 0 ? a[1] : a[0], node.GetInt("transB", 0) != 0 ? b[0] : b[1]];
    }

    private static Dim[]? TransposeDims(Node node, Dim[]? x)
    {
        if (x is null) return null;
        var perm = node.GetInts("perm") ?? Enumerable.Range(0, x.Length).Reverse().Select(i => (long)i).ToArray();
        return perm.Select(p => x[p]).ToArray();
    }

    private Dim[]? ReshapeDims(Node node, Dim[]? x, string? shapeName)
    {
        // allowzero=1 takes a 0 literally; otherwise 0 copies the input's dim.
        bool copyZeros = node.GetInt("allowzero", 0) == 0;
        if (DimValues(shapeName) is { } shape)
        {
            var dims = new Dim[shape.Length];
            for (int i = 0; i < shape.Length; i++)
                dims[i] = shape[i].Value == 0 && copyZeros ? (x is not null && i < x.Length ? x[i] : UnknownDim) : shape[i].Value < 0 ? UnknownDim : shape[i];
            int inferred = Array.FindIndex(shape, d => d.Value == -1);
            if (inferred >= 0 && x is not null && InferredDim(x, dims, inferred) is { } size) dims[inferred] = size;
            return dims;
        }
        return shapeName is not null && this[shapeName].Dims is [{ Value: { } n }] ? Enumerable.Repeat(UnknownDim, (int)n).ToArray() : null;
    }

    /// <summary>Reshape's −1: the input's element count over the other output dims, as a product of sizes.</summary>
    private Dim? InferredDim(Dim[] input, Dim[] output, int inferred)
    {
        var total = _symbols.Product(input);
        var known = _symbols.Product(output.Where((_, i) => i != inferred));
        return total is not null && known is not null && total.Over(known) is { } size ? _symbols.Write(size) : (Dim?)null;
    }

    /// <summary>Slice keeps the unsliced dims; sliced ones are computed when starts, ends, axes, steps and the dim are static.</summary>
    private Dim[]? SliceDims(Node node, Dim[]? x)
    {
        if (x is null) return null;
        var starts = ConstInts(node.Input(1));
        var ends = ConstInts(node.Input(2));
        var axes = node.Input(3) is { } a ? ConstInts(a) : starts is null ? null : Enumerable.Range(0, starts.Length).Select(i => (long)i).ToArray();
        var steps = node.Input(4) is { } st ? ConstInts(st) : axes?.Select(_ => 1L).ToArray();
        if (axes is null || steps is null) return x.Select(_ => UnknownDim).ToArray();
        var symbolicEnds = ends is null ? DimValues(node.Input(2)) : null;
        var dims = x.ToArray();
        for (int i = 0; i < axes.Length; i++)
        {
            int axis = (int)Normalize(axes[i], x.Length);
            if (steps[i] != 1 || starts is null || i >= starts.Length) { dims[axis] = UnknownDim; continue; }
            if (ends is not null && x[axis].Value is { } d)
                dims[axis] = Math.Max(0, Math.Clamp(ends[i] < 0 ? ends[i] + d : ends[i], 0, d) - Math.Clamp(starts[i] < 0 ? starts[i] + d : starts[i], 0, d));
            else if (starts[i] == 0 && ends is not null && ends[i] >= int.MaxValue)
                dims[axis] = x[axis]; // [0, "to the end"): the whole axis, symbol kept
            else if (starts[i] == 0 && symbolicEnds is not null && i < symbolicEnds.Length && symbolicEnds[i].Param is not null
                     && (x[axis].Value is not null || SameDim(x[axis], symbolicEnds[i])))
                // The first n rows of a table of static size (RoPE's cos/sin cache cut to the sequence length): n, on
                // the assumption that the graph runs, i.e. n is within the table (otherwise its consumers cannot broadcast).
                dims[axis] = symbolicEnds[i];
            else
                dims[axis] = UnknownDim;
        }
        return dims;
    }

    /// <summary>Split outputs keep the other dims; the split axis is known from constant sizes or an even split.</summary>
    private Dim[]?[] SplitDims(Node node, Dim[]? x)
    {
        int count = node.Outputs.Count;
        if (x is null) return new Dim[]?[count];
        int axis = (int)Normalize(node.GetInt("axis", 0), x.Length);
        var sizes = ConstInts(node.Input(1)) ?? node.GetInts("split");
        if (sizes is null && x[axis].Value is { } total && total % count == 0) sizes = Enumerable.Repeat(total / count, count).ToArray();
        return Enumerable.Range(0, count).Select(i =>
        {
            var dims = x.ToArray();
            dims[axis] = sizes is not null && i < sizes.Length ? sizes[i] : UnknownDim;
            return (Dim[]?)dims;
        }).ToArray();
    }

    private Dim[] FlattenDims(Dim[] x, int axis)
    {
        axis = (int)Normalize(axis, x.Length);
        Dim Product(IEnumerable<Dim> ds) => _symbols.Product(ds) is { } m ? _symbols.Write(m) : UnknownDim;
        return [Product(x[..axis]), Product(x[axis..])];
    }

    private Dim[]? GatherDims(Dim[]? data, Dim[]? indices, int axis)
    {
        if (data is null || indices is null) return null;
        axis = (int)Normalize(axis, data.Length);
        return [.. data[..axis], .. indices, .. data[(axis + 1)..]];
    }

    private static Dim[]? UnsqueezeDims(Dim[]? x, long[]? axes)
    {
        if (x is null || axes is null) return null;
        int rank = x.Length + axes.Length;
        var set = axes.Select(a => Normalize(a, rank)).ToHashSet();
        var result = new Dim[rank];
        int k = 0;
        for (int i = 0; i < rank; i++) result[i] = set.Contains(i) ? 1 : x[k++];
        return result;
    }

    private static Dim[]? SqueezeDims(Dim[]? x, long[]? axes)
    {
        if (x is null || axes is null) return null;
        if (axes.Length == 0)
            return x.All(d => d.Value is not null) ? x.Where(d => d.Value != 1).ToArray() : null;
        var set = axes.Select(a => Normalize(a, x.Length)).ToHashSet();
        return x.Where((_, i) => !set.Contains(i)).ToArray();
    }

    private Dim[]? ConcatDims(Node node)
    {
        var shapes = node.Inputs.Select(n => this[n].Dims).ToList();
        if (shapes.Any(s => s is null)) return null;
        int rank = shapes[0]!.Length;
        int axis = (int)Normalize(node.GetInt("axis", 0), rank);
        var result = shapes[0]!.ToArray();
        long total = 0;
        foreach (var s in shapes)
        {
            if (s!.Length != rank) return null;
            total = s[axis].Value is { } v && total >= 0 ? total + v : -1;
        }
        result[axis] = total >= 0 ? total : UnknownDim;
        return result;
    }

    private Dim[]? ExpandDims(Dim[]? x, string? shapeName)
    {
        if (DimValues(shapeName) is { } shape) return Broadcast([x, shape]);
        if (x is null || shapeName is null || this[shapeName].Dims is not [{ Value: { } n }]) return null;
        return Enumerable.Repeat(UnknownDim, (int)Math.Max(n, x.Length)).ToArray();
    }

    /// <summary>Constant reduction axes (attribute before opset 18 or input), [] for "all", null when dynamic.</summary>
    internal long[]? ReduceAxes(Node node)
    {
        if (node.GetInts("axes") is { } attr) return attr;
        if (node.Input(1) is null) return [];
        return ConstInts(node.Input(1));
    }

    private Dim[]? ReduceDims(Node node, Dim[]? x, long[]? axes)
    {
        if (x is null) return null;
        bool keep = node.GetInt("keepdims", 1) != 0;
        if (axes is null) return keep ? x.Select(_ => UnknownDim).ToArray() : null;
        if (axes.Length == 0 && node.GetInt("noop_with_empty_axes", 0) != 0) return x;
        var set = axes.Length == 0 ? Enumerable.Range(0, x.Length).Select(i => (long)i).ToHashSet() : axes.Select(a => Normalize(a, x.Length)).ToHashSet();
        return keep ? x.Select((d, i) => set.Contains(i) ? (Dim)1 : d).ToArray() : x.Where((_, i) => !set.Contains(i)).ToArray();
    }
}
