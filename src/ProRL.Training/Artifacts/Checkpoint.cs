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
            // Both moments share one zero array (tensor data is never mutated in place): at 0.5 B parameters this saves
            // 6 GB of transient copies over a float array per moment converted to bytes.
            var zeros = new byte[t.ElementCount() * sizeof(float)];
            moments[AdamWGraph.FirstMomentName(t.Name)] = new Tensor(AdamWGraph.FirstMomentName(t.Name), TensorDataType.Float, t.Dims, zeros);
            moments[AdamWGraph.SecondMomentName(t.Name)] = new Tensor(AdamWGraph.SecondMomentName(t.Name), TensorDataType.Float, t.Dims, zeros);
        }
        return new Checkpoint(p, moments, 0);
    }

    public void Save(string directory)
    {
        foreach (var t in Parameters.Values.Concat(Moments.Values))
            if (t.DataType != TensorDataType.Float)
                throw new ArgumentException($"Checkpoint tensor '{t.Name}' is {t.DataType}; checkpoints hold float32 master values.");
        static SafetensorsSource Source(Tensor t) => new(t.Name, t.DataType, t.Dims, t.Data.LongLength, s => s.Write(t.Data));
        Save(directory, Parameters.Values.Select(Source), Moments.Values.Select(Source), OptimizerStep);
    }

    /// <summary>
    /// Writes a checkpoint folder from sources that write their own bytes (a session streams its native buffers, with
    /// no managed copy); float32 tensors only. state.json is written last.
    /// </summary>
    public static void Save(string directory, IEnumerable<SafetensorsSource> parameters, IEnumerable<SafetensorsSource> moments, long optimizerStep)
    {
        Directory.CreateDirectory(directory);
        IEnumerable<SafetensorsSource> Float32(IEnumerable<SafetensorsSource> sources) => sources.Select(t => t.DataType == TensorDataType.Float ? t
            : throw new ArgumentException($"Checkpoint tensor '{t.Name}' is {t.DataType}; checkpoints hold float32 master values."));
        Safetensors.Save(Path.Combine(directory, ParametersFile), Float32(parameters));
        Safetensors.Save(Path.Combine(directory, OptimizerFile), Float32(moments));
        AtomicFile.WriteAllText(Path.Combine(directory, StateFile), JsonSerializer.Serialize(new State(optimizerStep), Json) + "\n");
    }

    public static Checkpoint Load(string directory)
    {
        long step = ReadOptimizerStep(directory); // first: a folder without state.json is incomplete, whatever else it holds
        return new Checkpoint(
            Safetensors.Load(Path.Combine(directory, ParametersFile)).ToDictionary(),
            Safetensors.Load(Path.Combine(directory, OptimizerFile)).ToDictionary(),
            step);
    }

    /// <summary>The optimizer step of a checkpoint folder; a folder without a valid state.json is an error naming it.</summary>
    public static long ReadOptimizerStep(string directory)
    {
        var statePath = Path.Combine(directory, StateFile);
        if (!File.Exists(statePath))
            throw new FileNotFoundException($"Checkpoint folder '{directory}' has no {StateFile} (incomplete or not a checkpoint).", statePath);
        State? state;
        try { state = JsonSerializer.Deserialize<State>(File.ReadAllText(statePath), Json); }
        catch (JsonException e) { throw new InvalidDataException($"'{statePath}' is not valid: {e.Message}", e); }
        if (state is null || state.OptimizerStep < 0) throw new InvalidDataException($"'{statePath}' has no valid optimizer_step.");
        return state.OptimizerStep;
    }
}
