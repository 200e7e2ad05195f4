using ProRL.Onnx.IO;
using ProRL.Onnx.Models;

namespace ProRL.Training.Inspection;

/// <summary>
/// The start-up check that the export lowers to a trainable decoder (<see cref="ModelLayout.Trainability"/>): an int4
/// export or an op without a lowering is refused before anything is written, naming the node, its op and the export
/// to make instead. It loads the model with its weights (the lowering reads initializer shapes), once, at start-up.
/// </summary>
public sealed class TrainableLayoutCheck : IModelFolderCheck
{
    public void Check(ModelFolderInspection folder, ICollection<ModelFolderProblem> problems)
    {
        // Earlier problems (truncated data, a graph ONNX Runtime cannot load) already explain why it cannot be trained.
        if (folder.Graph is null || folder.ModelPath is null || problems.Count > 0) return;
        try
        {
            if (ModelLayout.Trainability(OnnxModelIO.Load(folder.ModelPath), folder.ModelPath) is { } refusal)
                problems.Add(new ModelFolderProblem(folder.ModelPath, "cannot be trained: " + refusal));
        }
        catch (Exception e) when (e is InvalidDataException or OnnxFormatException or IOException)
        {
            problems.Add(new ModelFolderProblem(folder.ModelPath, e.Message));
        }
    }
}
