using ProRL.Onnx.Models;

namespace ProRL.Cli;

/// <summary>Input that a verb refuses before doing anything; the CLI prints one line per problem and exits 2.</summary>
public sealed class InputRefusedException(IReadOnlyList<string> problems) : Exception(string.Join(Environment.NewLine, problems))
{
    public IReadOnlyList<string> Problems { get; } = problems;
}

/// <summary>
/// The worker's start-up checks of a model folder, for the verbs that take <c>--model</c>: the same checks (built-in
/// plus the ONNX Runtime load) and the same one-line messages, prefixed with the option instead of <c>Model:Path</c>.
/// </summary>
public static class InputChecks
{
    /// <summary>The worker's list, so that a check added there applies here too.</summary>
    public static IReadOnlyList<IModelFolderCheck> ModelChecks => ProRL.Worker.Startup.ModelFolderChecks.Default;

    /// <summary>Throws <see cref="InputRefusedException"/> listing what is wrong with the model folder at <paramref name="path"/>.</summary>
    public static void RequireModel(string? path, string option = "--model") => Require(path, option, ModelChecks);

    /// <summary>As <see cref="RequireModel"/>, and the layout must be trainable (verbs that build training graphs).</summary>
    public static void RequireTrainableModel(string? path, string option = "--model") =>
        Require(path, option, ProRL.Worker.Startup.ModelFolderChecks.Training);

    private static void Require(string? path, string option, IReadOnlyList<IModelFolderCheck> checks)
    {
        if (string.IsNullOrWhiteSpace(path)) throw new InputRefusedException([$"{option} is required."]);
        var problems = ModelFolderValidator.Validate(path, checks);
        if (problems.Count > 0) throw new InputRefusedException(problems.Select(p => $"{option}: {p}").ToList());
    }
}
