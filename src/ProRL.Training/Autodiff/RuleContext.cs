using ProRL.Onnx.Graph;

namespace ProRL.Training.Autodiff;

/// <summary>
/// What a vector–Jacobian rule sees of one forward node: its inputs and outputs, the incoming gradients of its
/// outputs, which inputs need a gradient, and where to deliver the gradient contributions.
/// </summary>
internal sealed class RuleContext
{
    private readonly string?[] _outputGrads;
    private readonly Func<int, bool> _needs;
    private readonly Action<string, string> _contribute;
    private readonly string _modelName;

    public RuleContext(Node node, GradientEmitter emit, string?[] outputGrads, Func<int, bool> needs,
        Action<string, string> contribute, string modelName)
    {
        Node = node;
        Emit = emit;
        _outputGrads = outputGrads;
        _needs = needs;
        _contribute = contribute;
        _modelName = modelName;
    }

    public Node Node { get; }
    public GradientEmitter Emit { get; }
    public ShapeInference Shapes => Emit.Shapes;

    /// <summary>Name of input <paramref name="i"/>.</summary>
    public string X(int i = 0) => Node.Inputs[i];
    /// <summary>Name of output <paramref name="i"/>.</summary>
    public string Y(int i = 0) => Node.Outputs[i];

    /// <summary>Gradient of output <paramref name="i"/>, or null when nothing downstream contributes to it.</summary>
    public string? GradOrNull(int i) => i < _outputGrads.Length ? _outputGrads[i] : null;

    /// <summary>Gradient of output <paramref name="i"/>, zeros when nothing downstream contributes to it.</summary>
    public string G(int i = 0) => GradOrNull(i) ?? Emit.ZerosLike(Y(i));

    public bool Needs(int input) => input < Node.Inputs.Count && Node.Inputs[input].Length > 0 && _needs(input);

    /// <summary>Delivers <paramref name="grad"/> (shaped like input <paramref name="input"/>) when that input needs it.</summary>
    public void Give(int input, string grad)
    {
        if (Needs(input)) _contribute(Node.Inputs[input], grad);
    }

    /// <summary>Delivers a gradient shaped like the node's broadcast output, summed down to the input's shape.</summary>
    public void GiveBroadcast(int input, Func<string> grad)
    {
        if (Needs(input)) _contribute(Node.Inputs[input], Emit.Unbroadcast(grad(), X(input)));
    }

    public int Rank(string value) =>
        Shapes[value].Rank ?? throw Unsupported($"the rank of '{value}' is not known statically");

    /// <summary>An axis attribute normalised to [0, rank).</summary>
    public long Axis(string attribute, long fallback, string rankOf)
    {
        long axis = Node.GetInt(attribute, fallback);
        return axis < 0 ? axis + Rank(rankOf) : axis;
    }

    public long[] ConstInts(int input, string what) =>
        Shapes.ConstInts(Node.Input(input)) ?? throw Unsupported($"{what} (input {input}) must be a constant");

    public UnsupportedGradientException Unsupported(string reason) =>
        new(Node.OpType, Node.Name, _modelName, reason);
}
