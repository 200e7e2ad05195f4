using System.Globalization;
using System.Text.RegularExpressions;
using ProRL.Onnx.Graph;
using ProRL.Onnx.Tensors;

namespace ProRL.Training.Autodiff;

/// <summary>Which forward activations the training graph keeps for the backward pass.</summary>
public enum RecomputeMode
{
    /// <summary>Every activation the backward pass reads is kept from the forward pass.</summary>
    None,
    /// <summary>
    /// Only the values that cross decoder-layer boundaries are kept; each layer's forward is run again inside the
    /// backward pass, just before its gradients (gradient checkpointing by layer).
    /// </summary>
    Layers,
}

/// <summary>What <see cref="LayerRecomputation.Apply"/> did: the layers recomputed, or why none were.</summary>
public sealed record RecomputationReport(int LayersFound, int LayersRecomputed, int NodesCopied, string? NotApplied)
{
    public bool Applied => LayersRecomputed > 0;
}

/// <summary>
/// Gradient checkpointing by decoder layer, applied to a graph that <see cref="GradientBuilder"/> has differentiated.
/// Layers are the forward nodes named <c>/model/layers.N/…</c> (the GenAI builder's names, which the contrib-op
/// lowering keeps as a prefix). A layer's internal values (those no node outside the layer reads in the forward pass)
/// are no longer read by the backward pass: the layer's backward nodes read copies of the forward nodes instead, so
/// ONNX Runtime frees the originals during the forward pass. The copies must also run late, not as soon as their
/// forward inputs exist: each copy chain is rooted in its external input plus a zero computed from the size of a
/// gradient flowing into the layer (<c>x + CastLike(Size(g)·0, x)</c>), a data dependency that changes no value and
/// that no constant folding can remove while the batch shape is dynamic.
/// </summary>
public static partial class LayerRecomputation
{
    [GeneratedRegex(@"^/model/layers\.(\d+)/", RegexOptions.CultureInvariant)]
    private static partial Regex LayerPrefix();

    /// <summary>The decoder layer a node name belongs to, or null.</summary>
    public static int? LayerOf(string nodeName, string prefix = "")
    {
        if (!nodeName.StartsWith(prefix, StringComparison.Ordinal)) return null;
        var match = LayerPrefix().Match(nodeName[prefix.Length..]);
        return match.Success ? int.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture) : null;
    }

    /// <summary>
    /// Rewrites <paramref name="model"/> in place. <paramref name="forwardNodes"/> are the nodes that existed before
    /// differentiation; <paramref name="gradientPrefix"/> is <see cref="GradientOptions.NodePrefix"/>, under which the
    /// backward nodes of forward node n are named <c>prefix/n.Name/…</c>.
    /// </summary>
    public static RecomputationReport Apply(OnnxModel model, IReadOnlyCollection<Node> forwardNodes, string gradientPrefix)
    {
        ArgumentNullException.ThrowIfNull(model);
        var graph = model.Graph;
        var forward = forwardNodes.ToHashSet();
        var layerOfNode = new Dictionary<Node, int>();
        foreach (var node in forward)
            if (LayerOf(node.Name) is { } layer) layerOfNode[node] = layer;
        var layers = layerOfNode.Values.Distinct().Order().ToList();
        if (layers.Count == 0)
            return new(0, 0, 0, "no forward node is named /model/layers.N/…, so the decoder layers cannot be told apart");

        // Which layer produces each value, and which layer values are read outside their layer in the forward pass.
        var producerLayer = new Dictionary<string, int>(StringComparer.Ordinal);
        var producer = new Dictionary<string, Node>(StringComparer.Ordinal);
        foreach (var node in graph.Nodes)
            foreach (var o in node.Outputs.Where(o => o.Length > 0))
            {
                producer[o] = node;
                if (layerOfNode.TryGetValue(node, out var l)) producerLayer[o] = l;
            }
        var boundary = new HashSet<string>(graph.Outputs.Select(o => o.Name), StringComparer.Ordinal);
        foreach (var node in forward)
            foreach (var input in node.Inputs)
                if (producerLayer.TryGetValue(input, out var l) && (!layerOfNode.TryGetValue(node, out var reader) || reader != l))
                    boundary.Add(input);

        var backwardByLayer = graph.Nodes.Where(n => !forward.Contains(n))
            .Select(n => (Node: n, Layer: LayerOf(n.Name, gradientPrefix + "/")))
            .Where(p => p.Layer is not null)
            .GroupBy(p => p.Layer!.Value, p => p.Node)
            .ToDictionary(g => g.Key, g => g.ToList());

        var shapes = new ShapeInference(graph);
        int recomputed = 0, copied = 0;
        var skipped = new List<string>();
        foreach (var layer in layers)
        {
            if (!backwardByLayer.TryGetValue(layer, out var backward)) continue; // nothing differentiates through it
            var internalReads = backward.SelectMany(n => n.Inputs)
                .Where(i => producerLayer.TryGetValue(i, out var l) && l == layer && !boundary.Contains(i))
                .Distinct(StringComparer.Ordinal).ToList();
            if (internalReads.Count == 0) continue;
            var anchor = FindAnchor(backward, producer, forward);
            if (anchor is null) { skipped.Add($"layer {layer}: no incoming gradient independent of its own backward pass"); continue; }
            copied += CopyLayer(graph, shapes, layer, internalReads, backward, producer, producerLayer, boundary, anchor);
            recomputed++;
        }
        if (recomputed > 0) graph.TopologicalSort();
        string? reason = recomputed > 0 ? null
            : skipped.Count > 0 ? string.Join("; ", skipped)
            : "the backward pass reads no layer-internal value";
        return new(layers.Count, recomputed, copied, reason);
    }

    /// <summary>
    /// A gradient that the layer's backward nodes read, produced outside them and not depending on any of them: the
    /// copies may wait for it without making a cycle.
    /// </summary>
    private static string? FindAnchor(List<Node> backward, Dictionary<string, Node> producer, HashSet<Node> forward)
    {
        var own = backward.ToHashSet();
        foreach (var input in backward.SelectMany(n => n.Inputs).Distinct(StringComparer.Ordinal))
        {
            if (!producer.TryGetValue(input, out var p) || forward.Contains(p) || own.Contains(p)) continue;
            if (!DependsOnAny(input, own, producer, forward)) return input;
        }
        return null;
    }

    /// <summary>Whether <paramref name="value"/> is computed from an output of any of <paramref name="nodes"/> (forward nodes are not walked: they cannot depend on backward ones).</summary>
    private static bool DependsOnAny(string value, HashSet<Node> nodes, Dictionary<string, Node> producer, HashSet<Node> forward)
    {
        var seen = new HashSet<Node>();
        var stack = new Stack<string>([value]);
        while (stack.Count > 0)
        {
            if (!producer.TryGetValue(stack.Pop(), out var node) || forward.Contains(node) || !seen.Add(node)) continue;
            if (nodes.Contains(node)) return true;
            foreach (var i in node.Inputs) if (i.Length > 0) stack.Push(i);
        }
        return false;
    }

    private static int CopyLayer(OnnxGraph graph, ShapeInference shapes, int layer, List<string> internalReads, List<Node> backward,
        Dictionary<string, Node> producer, Dictionary<string, int> producerLayer, HashSet<string> boundary, string anchor)
    {
        // The layer-internal nodes the reads need, in graph order.
        var needed = new HashSet<Node>();
        var stack = new Stack<string>(internalReads);
        while (stack.Count > 0)
        {
            var v = stack.Pop();
            if (!producerLayer.TryGetValue(v, out var l) || l != layer || boundary.Contains(v)) continue;
            var node = producer[v];
            if (!needed.Add(node)) continue;
            foreach (var i in node.Inputs) if (i.Length > 0) stack.Push(i);
        }
        var prefix = $"recompute/layers.{layer}";
        var copyOf = new Dictionary<string, string>(StringComparer.Ordinal);
        var delayed = new Dictionary<string, string>(StringComparer.Ordinal);
        string? zero = null;

        // x + CastLike(Size(anchor)·0, x): x's values, available only once the anchor is.
        string Delayed(string external)
        {
            if (delayed.TryGetValue(external, out var d)) return d;
            zero ??= graph.OpNamed($"{prefix}/zero", "Mul", [graph.OpNamed($"{prefix}/anchor_size", "Size", [anchor]),
                graph.Const($"{prefix}/int_zero", Tensor.Scalar("zero", 0L))]);
            var typedZero = graph.OpNamed($"{prefix}/typed_zero", "CastLike", [zero, external]);
            return delayed[external] = graph.OpNamed($"{prefix}/delayed_input", "Add", [external, typedZero]);
        }

        bool IsActivation(string value) => producer.ContainsKey(value) && shapes[value].Type is { } t && t.IsFloatingPoint();

        int count = 0;
        foreach (var node in graph.Nodes.Where(needed.Contains).ToList())
        {
            var inputs = node.Inputs.Select(i => copyOf.GetValueOrDefault(i, i)).ToList();
            bool anchored = node.Inputs.Any(copyOf.ContainsKey);
            if (!anchored)
            {
                // Root of a copy chain: wait for the anchor through one floating-point activation input. A node with
                // none (it reads only weights and constants) is not copied: its output is kept, as before.
                int root = node.Inputs.FindIndex(IsActivation);
                if (root < 0) continue;
                inputs[root] = Delayed(node.Inputs[root]);
            }
            var name = graph.UniqueName($"{prefix}/{node.Name}");
            var outputs = node.Outputs.Select(o => o.Length == 0 ? "" : graph.UniqueName($"{prefix}/{o}")).ToList();
            graph.AddNode(node.OpType, inputs, outputs, name, node.Domain, [.. node.Attributes.Select(a => a.Clone())]);
            for (int i = 0; i < node.Outputs.Count; i++)
                if (node.Outputs[i].Length > 0) copyOf[node.Outputs[i]] = outputs[i];
            count++;
        }
        foreach (var node in backward)
            for (int i = 0; i < node.Inputs.Count; i++)
                if (copyOf.TryGetValue(node.Inputs[i], out var c)) node.Inputs[i] = c;
        return count;
    }
}
