using ProRL.Onnx.IO;
using ProRL.Onnx.Graph;
using ProRL.Onnx.Tensors;
using ProRL.Training.Autodiff.Rules;

namespace ProRL.Training.Autodiff;

/// <summary>
/// Reverse-mode automatic differentiation of ONNX graphs: appends to a graph the nodes that compute the gradient
/// of one of its values with respect to chosen inputs or initializers (vector–Jacobian products, accumulated over
/// every use of a value). Only nodes on a path from a differentiated value to the loss get gradient nodes.
/// </summary>
public static class GradientBuilder
{
    /// <summary>
    /// Adds the gradients of the scalar <paramref name="scalarLoss"/> with respect to each of <paramref name="wrt"/>
    /// (graph inputs, initializers or intermediate values). Returns, per wrt value, the name of its gradient value
    /// in the graph (zeros when the loss does not depend on it). Graph outputs are left to the caller.
    /// </summary>
    public static IReadOnlyDictionary<string, string> AddGradients(OnnxModel model, string scalarLoss,
        IReadOnlyList<string> wrt, GradientOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        var shapes = new ShapeInference(model.Graph);
        var loss = shapes[scalarLoss];
        if (loss.Dims is { } dims && dims.Any(d => d.Value is not 1))
            throw new ArgumentException(
                $"Model '{ModelName(model, options)}': '{scalarLoss}' has shape [{string.Join(",", dims)}], not a single element; pass a seed gradient for non-scalar outputs.",
                nameof(scalarLoss));
        var type = loss.Type ?? throw new ArgumentException(
            $"Model '{ModelName(model, options)}': the element type of '{scalarLoss}' is not known (add a value_info for it).", nameof(scalarLoss));
        if (!type.IsFloatingPoint())
            throw new ArgumentException($"Model '{ModelName(model, options)}': '{scalarLoss}' is {type}, not floating point.", nameof(scalarLoss));
        var one = type == TensorDataType.Double
            ? Tensor.FromArray("seed", TensorDataType.Double, [], [1.0])
            : Tensor.FromFloats("seed", type, [], [1f]);
        var prefix = (options ?? new GradientOptions()).NodePrefix;
        // A single-element loss of rank > 0 gets a seed of its own shape.
        var seed = model.Graph.Const($"{prefix}/seed", loss.Dims is { Length: > 0 } d1
            ? new Tensor("seed", one.DataType, [.. d1.Select(x => x.Value!.Value)], one.Data)
            : one);
        try
        {
            return AddGradients(model, scalarLoss, seed, wrt, options);
        }
        catch (UnsupportedGradientException)
        {
            model.Graph.RemoveInitializer(seed); // leave an unsupported model as it was
            throw;
        }
    }

    /// <summary>
    /// Adds the vector–Jacobian product of <paramref name="output"/> with the seed gradient
    /// <paramref name="seedGradient"/> (a value of the output's shape: a graph input, initializer or computed value)
    /// with respect to each of <paramref name="wrt"/>.
    /// </summary>
    public static IReadOnlyDictionary<string, string> AddGradients(OnnxModel model, string output, string seedGradient,
        IReadOnlyList<string> wrt, GradientOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(wrt);
        options ??= new GradientOptions();
        var graph = model.Graph;
        var modelName = ModelName(model, options);
        CheckDefined(graph, modelName, output, nameof(output));
        CheckDefined(graph, modelName, seedGradient, nameof(seedGradient));
        foreach (var w in wrt) CheckDefined(graph, modelName, w, nameof(wrt));
        if (model.OpsetVersion() < 13)
            throw new NotSupportedException($"Model '{modelName}': opset {model.OpsetVersion()} is too old for gradients (13 or newer needed).");

        graph.TopologicalSort();
        var forwardNodes = graph.Nodes.ToList();
        var shapes = new ShapeInference(graph);
        var needed = NeededValues(forwardNodes, shapes, output, wrt);
        // Fail before adding anything, so that an unsupported model is left as it was.
        foreach (var node in forwardNodes.Where(n => n.Outputs.Any(needed.Contains) && n.Inputs.Any(needed.Contains)))
            if (GradientRules.Find(node) is null)
                throw new UnsupportedGradientException(node.OpType, node.Name, modelName,
                    $"no gradient rule for {(node.IsStandard ? "" : node.Domain + ".")}{node.OpType}, and it lies on a path from a differentiated value to '{output}'");
        var emitter = new GradientEmitter(graph, shapes, options.NodePrefix, model.OpsetVersion());
        var contributions = new Dictionary<string, List<string>>(StringComparer.Ordinal) { [output] = [seedGradient] };
        var accumulated = new Dictionary<string, string>(StringComparer.Ordinal);

        string? GradientOf(string value)
        {
            if (accumulated.TryGetValue(value, out var done)) return done;
            if (!contributions.TryGetValue(value, out var terms)) return null;
            emitter.Scope = "accumulate";
            if (ScatterIntoZeros(graph, terms) is { } scatter)
            {
                // Scatter the sparse term into the sum of the others instead of into zeros: ONNX Runtime scatters in
                // place, so a gradient the size of an embedding is not held twice (once sparse, once summed).
                var rest = terms.Where(t => t != scatter.Outputs[0]).ToList();
                scatter.Inputs[0] = emitter.Sum(rest);
                shapes.Refine(scatter.Outputs[0], shapes[value]);
                return accumulated[value] = scatter.Outputs[0];
            }
            var sum = emitter.Sum(terms);
            shapes.Refine(sum, shapes[value]);
            return accumulated[value] = sum;
        }

        for (int n = forwardNodes.Count - 1; n >= 0; n--)
        {
            var node = forwardNodes[n];
            if (!node.Outputs.Any(needed.Contains) || !node.Inputs.Any(needed.Contains)) continue;
            var outputGrads = node.Outputs.Select(o => needed.Contains(o) ? GradientOf(o) : null).ToArray();
            if (outputGrads.All(g => g is null)) continue;
            var rule = GradientRules.Find(node)!;
            emitter.Scope = node.Name.Length > 0 ? node.Name : node.OpType;
            var context = new RuleContext(node, emitter, outputGrads,
                i => needed.Contains(node.Inputs[i]) && rule.Differentiable(node, i),
                (value, grad) =>
                {
                    if (!contributions.TryGetValue(value, out var list)) contributions[value] = list = [];
                    list.Add(grad);
                    shapes.Refine(grad, shapes[value]); // a gradient has its primal's shape
                },
                modelName);
            rule.Apply(context);
        }

        emitter.Scope = "result";
        var gradients = wrt.Distinct().Select(w => (Wrt: w, Grad: GradientOf(w) ?? emitter.ZerosLike(w))).ToList();
        return NameGradients(graph, gradients, options, forwardNodes);
    }

    /// <summary>
    /// Among two or more gradient terms, one that scatter-adds into zeros made for it alone (the gradient of a Gather),
    /// or null.
    /// </summary>
    private static Node? ScatterIntoZeros(OnnxGraph graph, List<string> terms)
    {
        if (terms.Count < 2) return null;
        foreach (var term in terms)
        {
            if (graph.Producer(term) is not { OpType: "ScatterND" or "ScatterElements", IsStandard: true } scatter) continue;
            if (scatter.GetString("reduction", "none") != "add") continue;
            if (graph.Producer(scatter.Inputs[0]) is not { OpType: "ConstantOfShape" } zeros || graph.Consumers(zeros.Outputs[0]).Count != 1) continue;
            if (zeros.Attribute("value") is { } fill && TensorProtoConverter.FromProto(fill.T).Data.Any(b => b != 0)) continue;
            if (terms.Count(t => t == term) != 1) continue;
            return scatter;
        }
        return null;
    }

    /// <summary>Values on a path from a wrt value to the output (only those carry non-zero gradient).</summary>
    private static HashSet<string> NeededValues(List<Node> nodes, ShapeInference shapes, string output, IReadOnlyList<string> wrt)
    {
        var forward = new HashSet<string>(wrt, StringComparer.Ordinal);
        foreach (var node in nodes)
        {
            if (node.IsStandard && GradientRules.NonDifferentiable.Contains(node.OpType)) continue;
            var rule = GradientRules.Find(node);
            bool reached = node.Inputs.Where((input, i) => input.Length > 0 && forward.Contains(input) && (rule is null || rule.Differentiable(node, i))).Any();
            if (!reached) continue;
            foreach (var o in node.Outputs)
            {
                var type = shapes[o].Type;
                if (o.Length > 0 && (type is null || type.Value.IsFloatingPoint())) forward.Add(o);
            }
        }

        var producers = new Dictionary<string, Node>(StringComparer.Ordinal);
        foreach (var node in nodes)
            foreach (var o in node.Outputs)
                if (o.Length > 0) producers[o] = node;
        var backward = new HashSet<string>(StringComparer.Ordinal);
        var stack = new Stack<string>([output]);
        while (stack.Count > 0)
        {
            var v = stack.Pop();
            if (!backward.Add(v) || !producers.TryGetValue(v, out var node)) continue;
            foreach (var i in node.Inputs)
                if (i.Length > 0 && !backward.Contains(i)) stack.Push(i);
        }
        forward.IntersectWith(backward);
        return forward;
    }

    /// <summary>
    /// Gives each gradient a readable name by renaming the value itself when the builder produced it and no earlier
    /// result took it; otherwise (a forward value, the seed, a value shared by two results) through an Identity.
    /// </summary>
    private static Dictionary<string, string> NameGradients(OnnxGraph graph, List<(string Wrt, string Grad)> gradients,
        GradientOptions options, List<Node> forwardNodes)
    {
        var forward = new HashSet<Node>(forwardNodes);
        var producers = graph.ProducerIndex();
        var graphOutputs = graph.Outputs.Select(o => o.Name).ToHashSet(StringComparer.Ordinal);
        var renamed = new Dictionary<string, string>(StringComparer.Ordinal);
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (wrt, grad) in gradients)
        {
            var name = graph.UniqueName(options.GradientName(wrt));
            if (renamed.TryGetValue(grad, out var current) || !producers.TryGetValue(grad, out var producer)
                || forward.Contains(producer) || graphOutputs.Contains(grad))
            {
                graph.AddNode("Identity", [current ?? grad], [name], graph.UniqueName(name + "/Identity"));
            }
            else
            {
                graph.RenameValue(grad, name);
                renamed[grad] = name;
            }
            result[wrt] = name;
        }
        return result;
    }

    private static void CheckDefined(OnnxGraph graph, string modelName, string value, string parameter)
    {
        bool defined = graph.IsInitializer(value) || graph.FindInput(value) is not null || graph.Nodes.Any(n => n.Outputs.Contains(value));
        if (!defined) throw new ArgumentException($"Model '{modelName}' has no value named '{value}'.", parameter);
    }

    private static string ModelName(OnnxModel model, GradientOptions? options) => options?.ModelName ?? model.Graph.Name;
}
