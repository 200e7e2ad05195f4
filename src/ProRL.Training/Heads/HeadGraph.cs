using ProRL.Onnx.Graph;
using ProRL.Onnx.Tensors;

namespace ProRL.Training.Heads;

/// <summary>
/// Small graph-building vocabulary shared by the heads and the optimizer graph: typed scalar constants and inputs, the
/// reductions they use, and output naming. Every value is of one floating-point element type (float32 for training,
/// float64 for gradient checks), chosen when the builder is made.
/// </summary>
public sealed class HeadGraph(OnnxGraph graph, TensorDataType elementType = TensorDataType.Float)
{
    public OnnxGraph Graph { get; } = graph;
    public TensorDataType ElementType { get; } = CheckFloat(elementType);

    private static TensorDataType CheckFloat(TensorDataType type) =>
        type is TensorDataType.Float or TensorDataType.Double
            ? type
            : throw new ArgumentException($"Heads are built in float32 or float64, not {type}.", nameof(type));

    /// <summary>A scalar constant of the head's element type.</summary>
    public string Const(string prefix, double value) =>
        Graph.Const(prefix, Tensor.FromFloats(prefix, ElementType, [], [(float)value]));

    public string Ints(string prefix, params long[] values) => Graph.ConstInt64s(prefix, values);

    /// <summary>Declares a graph input of the element type (a scalar when <paramref name="shape"/> is empty).</summary>
    public string Input(string name, params Dim[] shape)
    {
        if (Graph.FindInput(name) is not null || Graph.IsInitializer(name) || Graph.Producer(name) is not null)
            throw new InvalidOperationException($"Cannot add input '{name}': the graph already defines a value of that name.");
        Graph.Inputs.Add(new ValueInfo(name, ElementType, shape));
        Graph.ReserveNames([name]);
        return name;
    }

    public string Op(string op, params string[] inputs) => Graph.Op(op, inputs);
    public string Op(string op, string[] inputs, params global::Onnx.AttributeProto[] attributes) => Graph.Op(op, inputs, attributes);

    public string Add(string a, string b) => Op("Add", a, b);
    public string Sub(string a, string b) => Op("Sub", a, b);
    public string Mul(string a, string b) => Op("Mul", a, b);
    public string Div(string a, string b) => Op("Div", a, b);
    public string Neg(string a) => Op("Neg", a);
    public string Exp(string a) => Op("Exp", a);
    public string Min(string a, string b) => Op("Min", a, b);
    public string Max(string a, string b) => Op("Max", a, b);
    public string Where(string condition, string a, string b) => Op("Where", condition, a, b);
    public string Greater(string a, string b) => Op("Greater", a, b);
    public string Less(string a, string b) => Op("Less", a, b);
    public string And(string a, string b) => Op("And", a, b);

    /// <summary>Casts (a bool or integer tensor) to the element type.</summary>
    public string ToElementType(string value) => Op("Cast", [value], Attr.Int("to", (long)ElementType));

    /// <summary>Sum over the listed axes (keepdims 0); explicit axes keep gradient rules simple.</summary>
    public string ReduceSum(string value, params long[] axes) =>
        Op("ReduceSum", [value, Ints("axes", axes)], Attr.Int("keepdims", 0));

    /// <summary>Makes <paramref name="value"/> available under the exact name <paramref name="name"/> and lists it as a graph output.</summary>
    public string Output(string value, string name, params Dim[] shape)
    {
        if (Graph.UniqueName(name) != name)
            throw new InvalidOperationException($"Cannot add output '{name}': the graph already uses that name.");
        // Renaming the producer's output (rather than adding an Identity) keeps the graph free of no-op nodes.
        if (Graph.Producer(value) is not null) Graph.RenameValue(value, name);
        else Graph.AddNode("Identity", [value], [name], Graph.UniqueName(name + "/Identity"));
        Graph.Outputs.Add(new ValueInfo(name, ElementType, shape));
        return name;
    }
}
