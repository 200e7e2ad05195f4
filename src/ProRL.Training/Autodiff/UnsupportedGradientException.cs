namespace ProRL.Training.Autodiff;

/// <summary>
/// Thrown at build time when a node on a path from a differentiated value to the loss has no vector–Jacobian rule
/// (or uses a form of its op the rule cannot handle). Names the op, the node and the model.
/// </summary>
public sealed class UnsupportedGradientException : Exception
{
    public UnsupportedGradientException(string opType, string nodeName, string modelName, string reason)
        : base($"Model '{modelName}': cannot differentiate node '{nodeName}' (op {opType}): {reason}")
    {
        OpType = opType;
        NodeName = nodeName;
        ModelName = modelName;
    }

    public string OpType { get; }
    public string NodeName { get; }
    public string ModelName { get; }
}
