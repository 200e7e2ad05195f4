using ProRL.Onnx.Graph;
using ProRL.Onnx.Tensors;

namespace ProRL.Training.Autodiff;

/// <summary>The values alive at the worst point of a sequential run: after node <paramref name="AfterNode"/>.</summary>
public sealed record LiveValuesPeak(long Bytes, int AfterNode, IReadOnlyList<string> Values);

/// <summary>
/// A static estimate of a graph's activation memory: run the nodes in graph order, each computed value alive from its
/// producer to its last consumer (graph outputs to the end), at the sizes that the given input dims imply. ONNX Runtime
/// frees tensors the same way but may order nodes differently, so this bounds the structure of a graph (how many
/// logits-sized tensors coexist, whether a recomputed layer runs late), not the process's RSS. Like ONNX Runtime's CPU
/// kernels, the shape-only ops (<see cref="AliasingOps"/>) share their input's buffer.
/// </summary>
public static class LiveValues
{
    public static readonly IReadOnlySet<string> AliasingOps = new HashSet<string>(StringComparer.Ordinal)
    {
        "Reshape", "Squeeze", "Unsqueeze", "Flatten", "Identity",
    };

    /// <summary>
    /// The peak over the node order of the bytes held by computed values for which <paramref name="counted"/> holds
    /// (given the value's static dims; values whose dims stay unknown are not counted). Graph inputs and initializers
    /// are not activations and are never counted.
    /// </summary>
    public static LiveValuesPeak Peak(OnnxModel model, IReadOnlyDictionary<string, long[]> inputDims, Func<long[], bool>? counted = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        counted ??= _ => true;
        var graph = model.Clone().Graph;
        for (int i = 0; i < graph.Inputs.Count; i++)
            if (inputDims.TryGetValue(graph.Inputs[i].Name, out var dims))
                graph.Inputs[i] = graph.Inputs[i] with { Shape = [.. dims.Select(d => (Dim)d)] };
        graph.ValueInfos.Clear(); // symbolic value infos would override the concrete sizes
        var shapes = new ShapeInference(graph);
        var nodes = graph.Nodes;
        // Each value's buffer: its own, or (through aliasing ops) the buffer of the value it reshapes.
        var buffer = new Dictionary<string, string>(StringComparer.Ordinal);
        string BufferOf(string value) => buffer.GetValueOrDefault(value, value);
        foreach (var node in nodes)
            if (node.IsStandard && AliasingOps.Contains(node.OpType) && node.Outputs.Count == 1)
                buffer[node.Outputs[0]] = BufferOf(node.Inputs[0]);
        var lastUse = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int n = 0; n < nodes.Count; n++)
            foreach (var input in nodes[n].Inputs.Where(i => i.Length > 0)) lastUse[BufferOf(input)] = n;
        foreach (var output in graph.Outputs) lastUse[BufferOf(output.Name)] = int.MaxValue;

        long Bytes(string value)
        {
            var shape = shapes[value];
            if (shape.Type is not { } type || shape.Dims is not { } d || d.Any(x => x.Value is null)) return 0;
            var concrete = d.Select(x => x.Value!.Value).ToArray();
            return counted(concrete) ? Tensor.ElementCount(concrete) * type.SizeOf() : 0;
        }

        var alive = new Dictionary<string, long>(StringComparer.Ordinal);
        long current = 0;
        var peak = new LiveValuesPeak(0, -1, []);
        for (int n = 0; n < nodes.Count; n++)
        {
            foreach (var output in nodes[n].Outputs.Where(o => o.Length > 0 && BufferOf(o) == o && !alive.ContainsKey(o)))
            {
                long size = Bytes(output);
                alive[output] = size;
                current += size;
            }
            if (current > peak.Bytes) peak = new LiveValuesPeak(current, n, [.. alive.Where(p => p.Value > 0).Select(p => p.Key)]);
            foreach (var value in alive.Keys.ToList())
                if (lastUse.GetValueOrDefault(value, -1) <= n) { current -= alive[value]; alive.Remove(value); }
        }
        return peak;
    }
}
