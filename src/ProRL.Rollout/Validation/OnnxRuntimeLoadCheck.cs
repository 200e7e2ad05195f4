using Microsoft.ML.OnnxRuntime;
using ProRL.Onnx.Models;

namespace ProRL.Rollout.Validation;

/// <summary>
/// Loads <c>model.onnx</c> in ONNX Runtime (CPU, no graph optimisation), as GenAI will: the only complete check that a
/// damaged graph (a flipped byte in an operator or attribute name, a wrong element type, ...) is refused before
/// anything is trained on it or copied from it. Models whose files exceed <see cref="MaxBytes"/> are skipped, since the
/// load would read all their weights once more at start-up; the structural checks still run on them. A graph that is
/// valid but has no CPU kernel for its types (an fp16 export meant for CUDA) is not refused here.
/// </summary>
public sealed class OnnxRuntimeLoadCheck(long maxBytes = OnnxRuntimeLoadCheck.DefaultMaxBytes) : IModelFolderCheck
{
    public const long DefaultMaxBytes = 2L << 30;

    public long MaxBytes { get; } = maxBytes;

    public void Check(ModelFolderInspection folder, ICollection<ModelFolderProblem> problems)
    {
        // Earlier problems (truncated data, broken wiring) already explain a failure; loading would only repeat them.
        if (folder.Graph is null || folder.ModelPath is not { } modelPath || problems.Count > 0) return;
        long bytes = new FileInfo(modelPath).Length + (File.Exists(modelPath + ".data") ? new FileInfo(modelPath + ".data").Length : 0);
        if (bytes > MaxBytes) return;
        try
        {
            using var options = new SessionOptions { GraphOptimizationLevel = GraphOptimizationLevel.ORT_DISABLE_ALL, IntraOpNumThreads = 1 };
            using var session = new InferenceSession(modelPath, options);
        }
        catch (OnnxRuntimeException e) when (e.Message.StartsWith("[ErrorCode:NotImplemented]", StringComparison.Ordinal))
        {
            // No CPU kernel for this type combination: a question for the execution provider, not a damaged file.
        }
        catch (OnnxRuntimeException e)
        {
            problems.Add(new(modelPath, $"ONNX Runtime cannot load it: {FirstLine(e.Message)}"));
        }
    }

    private static string FirstLine(string message)
    {
        var line = message.ReplaceLineEndings("\n").Split('\n')[0].Trim();
        return line.Length <= 400 ? line : line[..400] + "…";
    }
}
