namespace ProRL.Training.Lowering;

/// <summary>A model cannot be rewritten for training; the message names the model, the node and the operator.</summary>
public sealed class LoweringException(string message) : Exception(message);
