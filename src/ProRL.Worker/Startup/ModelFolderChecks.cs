using ProRL.Onnx.Models;
using ProRL.Rollout.Validation;
using ProRL.Training.Inspection;

namespace ProRL.Worker.Startup;

/// <summary>
/// The model-folder checks that run after <see cref="ModelFolderValidator.BuiltInChecks"/>, at the worker's start-up and
/// in the <c>prorl</c> verbs that take <c>--model</c>. Add a check here (an <see cref="IModelFolderCheck"/> from any
/// project the worker references, e.g. ProRL.Training's "layout is trainable") and both run it; it sees the parsed
/// graph and config (<see cref="ModelFolderInspection"/>) and reports one line per problem, naming the file.
/// </summary>
public static class ModelFolderChecks
{
    public static IReadOnlyList<IModelFolderCheck> Default { get; } =
    [
        new OnnxRuntimeLoadCheck(),
    ];

    /// <summary>
    /// <see cref="Default"/> plus the check that the layout can be trained (contrib ops lowered, no quantized weights):
    /// the worker's start-up and the verbs that build training graphs run these.
    /// </summary>
    public static IReadOnlyList<IModelFolderCheck> Training { get; } = [.. Default, new TrainableLayoutCheck()];
}
