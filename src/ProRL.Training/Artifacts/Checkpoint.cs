using System.Text.Json;
using ProRL.Onnx.IO;
using ProRL.Onnx.Tensors;
using ProRL.Training.Optimizer;

namespace ProRL.Training.Artifacts;

/// <summary>
/// A trainer checkpoint folder: <c>parameters.safetensors</c> (fp32 master parameters), <c>optimizer.safetensors</c>
/// (AdamW moments named <c>p.exp_avg</c> / <c>p.exp_avg_sq</c>) and <c>state.json</c> (step counters). Each file is written
/// atomically; state.json is written last, so a folder with a state file has complete tensors.
/// </summary>
public sealed record Checkpoint(IReadOnlyDictionary<string, Tensor> Parameters, IReadOnlyDictionary<string, Tensor> Moments, long OptimizerStep)
{
    public const string ParametersFile = "parameters.safetensors", OptimizerFile = "optimizer.safetensors", StateFile = "state.json";

    private sealed record State(long OptimizerStep);
    private static readonly JsonSerializerOptions Json = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower, WriteIndented = true };

    /// <summary>A fresh checkpoint: the given parameters, zero moments, step 0.</summary>
    public static Checkpoint Initial(IEnumerable<Tensor> parameters)
    {
        var p = parameters.ToDictionary(t => t.Name, StringComparer.Ordinal);
        var moments = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (var t in p.Values)
        {
            var zeros = new float[t.ElementCount()];
            moments[AdamWGraph.FirstMomentName(t.Name)] = Tensor.FromFloats(AdamWGraph.FirstMomentName(t.Name), t.Dims, zeros);
            moments[AdamWGraph.SecondMomentName(t.Name)] = Tensor.FromFloats(AdamWGraph.SecondMomentName(t.Name), t.Dims, zeros);
        }
        return new Checkpoint(p, moments, 0);
    }

    public void Save(string directory)
    {
        Directory.CreateDirectory(directory);
        foreach (var t in Parameters.Values.Concat(Moments.Values))
            if (t.DataType != TensorDataType.Float)
                throw new ArgumentException($"Checkpoint tensor '{t.Name}' is {t.DataType}; checkpoints hold float32 master values.");
        Safetensors.Save(Path.Combine(directory, ParametersFile), Parameters.Values);
        Safetensors.Save(Path.Combine(directory, OptimizerFile), Moments.Values);
        AtomicFile.WriteAllText(Path.Combine(directory, StateFile), JsonSerializer.Serialize(new State(OptimizerStep), Json) + "\n");
    }

    public static Checkpoint Load(string directory)
    {
        var statePath = Path.Combine(directory, StateFile);
        if (!File.Exists(statePath))
            throw new FileNotFoundException($"Checkpoint folder '{directory}' has no {StateFile} (incomplete or not a checkpoint).", statePath);
        State? state;
        try { state = JsonSerializer.Deserialize<State>(File.ReadAllText(statePath), Json); }
        catch (JsonException e) { throw new InvalidDataException($"'{statePath}' is not valid: {e.Message}", e); }
        if (state is null || state.OptimizerStep < 0) throw new InvalidDataException($"'{statePath}' has no valid optimizer_step.");
        return new Checkpoint(
            Safetensors.Load(Path.Combine(directory, ParametersFile)).ToDictionary(),
            Safetensors.Load(Path.Combine(directory, OptimizerFile)).ToDictionary(),
            state.OptimizerStep);
    }
}
