using ProRL.Onnx.Tensors;
using Onnx;

namespace ProRL.Onnx.Graph;

/// <summary>
/// A mutable ONNX graph made for rewriting: nodes in a list, initializers by name, helpers to find producers and
/// consumers, rename values, add nodes with fresh names, and restore topological order.
/// </summary>
public sealed class OnnxGraph
{
    private readonly Dictionary<string, Tensor> _initializers = new(StringComparer.Ordinal);
    private readonly List<string> _initializerOrder = [];
    private readonly HashSet<string> _usedNames = new(StringComparer.Ordinal);
    private int _nameCounter;
    // Names of nodes added straight to Nodes are indexed lazily, on the first request for a fresh name (initializers
    // register theirs as they are added, so the set being non-empty does not mean the nodes were indexed).
    private bool _namesIndexed;

    public string Name { get; set; } = "main_graph";
    public List<Node> Nodes { get; } = [];
    public List<ValueInfo> Inputs { get; } = [];
    public List<ValueInfo> Outputs { get; } = [];
    /// <summary>Shape/type annotations of intermediate values (optional in ONNX).</summary>
    public List<ValueInfo> ValueInfos { get; } = [];

    // ---------- initializers ----------

    /// <summary>Initializers in insertion order.</summary>
    public IEnumerable<Tensor> Initializers => _initializerOrder.Select(n => _initializers[n]);
    public int InitializerCount => _initializerOrder.Count;

    public Tensor AddInitializer(Tensor tensor)
    {
        if (_initializers.ContainsKey(tensor.Name))
            throw new InvalidOperationException($"Graph '{Name}' already has an initializer named '{tensor.Name}'.");
        _initializers.Add(tensor.Name, tensor);
        _initializerOrder.Add(tensor.Name);
        _usedNames.Add(tensor.Name);
        return tensor;
    }

    /// <summary>Adds or replaces an initializer, keeping its position when it exists.</summary>
    public void SetInitializer(Tensor tensor)
    {
        if (_initializers.ContainsKey(tensor.Name)) _initializers[tensor.Name] = tensor;
        else AddInitializer(tensor);
    }

    public bool TryGetInitializer(string name, out Tensor tensor) => _initializers.TryGetValue(name, out tensor!);
    public Tensor? Initializer(string name) => _initializers.GetValueOrDefault(name);
    public bool IsInitializer(string name) => _initializers.ContainsKey(name);

    public bool RemoveInitializer(string name)
    {
        if (!_initializers.Remove(name)) return false;
        _initializerOrder.Remove(name);
        return true;
    }

    // ---------- names ----------

    /// <summary>A value or node name not used anywhere in the graph yet (prefix, then prefix_1, prefix_2, ...).</summary>
    public string UniqueName(string prefix)
    {
        if (!_namesIndexed) IndexNames();
        if (_usedNames.Add(prefix)) return prefix;
        while (true)
        {
            var candidate = $"{prefix}_{++_nameCounter}";
            if (_usedNames.Add(candidate)) return candidate;
        }
    }

    private void IndexNames()
    {
        _namesIndexed = true;
        foreach (var n in Nodes)
        {
            _usedNames.Add(n.Name);
            foreach (var o in n.Outputs) _usedNames.Add(o);
            foreach (var i in n.Inputs) _usedNames.Add(i);
        }
        foreach (var v in Inputs) _usedNames.Add(v.Name);
        foreach (var v in Outputs) _usedNames.Add(v.Name);
    }

    /// <summary>Marks names taken (call after adding nodes with explicit names from outside).</summary>
    public void ReserveNames(IEnumerable<string> names)
    {
        if (!_namesIndexed) IndexNames();
        foreach (var n in names) _usedNames.Add(n);
    }

    // ---------- nodes ----------

    /// <summary>Appends a node with explicit output names.</summary>
    public Node AddNode(string opType, IEnumerable<string> inputs, IEnumerable<string> outputs, string? name = null,
        string domain = "", params AttributeProto[] attributes)
    {
        var node = new Node(opType, inputs, outputs, name ?? UniqueName(opType), domain);
        node.Attributes.AddRange(attributes);
        ReserveNames(node.Outputs.Append(node.Name));
        Nodes.Add(node);
        return node;
    }

    /// <summary>Appends a single-output node and returns the (fresh) name of its output.</summary>
    public string Op(string opType, IEnumerable<string> inputs, params AttributeProto[] attributes) =>
        OpNamed(opType, opType, inputs, attributes);

    /// <summary>Like <see cref="Op"/>, with a readable prefix for the node and output names.</summary>
    public string OpNamed(string namePrefix, string opType, IEnumerable<string> inputs, params AttributeProto[] attributes)
    {
        var nodeName = UniqueName(namePrefix);
        var output = UniqueName(nodeName + "/output_0");
        AddNode(opType, inputs, [output], nodeName, "", attributes);
        return output;
    }

    /// <summary>Appends a node with <paramref name="outputCount"/> fresh outputs.</summary>
    public string[] OpMulti(string opType, IEnumerable<string> inputs, int outputCount, params AttributeProto[] attributes)
    {
        var nodeName = UniqueName(opType);
        var outputs = Enumerable.Range(0, outputCount).Select(i => UniqueName($"{nodeName}/output_{i}")).ToArray();
        AddNode(opType, inputs, outputs, nodeName, "", attributes);
        return outputs;
    }

    /// <summary>Adds a constant initializer with a fresh name and returns that name.</summary>
    public string Const(string prefix, Tensor value) => AddInitializer(value.WithName(UniqueName(prefix))).Name;
    public string ConstInt64s(string prefix, params long[] values) => Const(prefix, Tensor.FromInt64s(prefix, [values.Length], values));
    public string ConstScalar(string prefix, float value) => Const(prefix, Tensor.Scalar(prefix, value));

    public Node? Producer(string valueName) => Nodes.FirstOrDefault(n => n.Outputs.Contains(valueName));

    public List<Node> Consumers(string valueName) => Nodes.Where(n => n.Inputs.Contains(valueName)).ToList();

    /// <summary>Map from value name to the node producing it.</summary>
    public Dictionary<string, Node> ProducerIndex()
    {
        var map = new Dictionary<string, Node>(StringComparer.Ordinal);
        foreach (var n in Nodes)
            foreach (var o in n.Outputs)
                if (o.Length > 0) map[o] = n;
        return map;
    }

    public void RemoveNode(Node node)
    {
        if (!Nodes.Remove(node)) throw new InvalidOperationException($"Node {node} is not in graph '{Name}'.");
    }

    /// <summary>Makes every reader of <paramref name="oldName"/> (node inputs, graph outputs) read <paramref name="newName"/>.</summary>
    public void ReplaceUses(string oldName, string newName)
    {
        foreach (var n in Nodes)
            for (int i = 0; i < n.Inputs.Count; i++)
                if (n.Inputs[i] == oldName) n.Inputs[i] = newName;
        for (int i = 0; i < Outputs.Count; i++)
            if (Outputs[i].Name == oldName) Outputs[i] = Outputs[i] with { Name = newName };
    }

    /// <summary>Renames a value everywhere: producers, readers, graph I/O, initializers and annotations.</summary>
    public void RenameValue(string oldName, string newName)
    {
        if (oldName == newName) return;
        ReplaceUses(oldName, newName);
        foreach (var n in Nodes)
            for (int i = 0; i < n.Outputs.Count; i++)
                if (n.Outputs[i] == oldName) n.Outputs[i] = newName;
        for (int i = 0; i < Inputs.Count; i++)
            if (Inputs[i].Name == oldName) Inputs[i] = Inputs[i] with { Name = newName };
        for (int i = 0; i < ValueInfos.Count; i++)
            if (ValueInfos[i].Name == oldName) ValueInfos[i] = ValueInfos[i] with { Name = newName };
        if (_initializers.Remove(oldName, out var t))
        {
            t.Name = newName;
            _initializers.Add(newName, t);
            _initializerOrder[_initializerOrder.IndexOf(oldName)] = newName;
        }
        ReserveNames([newName]);
    }

    /// <summary>
    /// Reorders nodes so that each comes after the producers of its inputs (stable: keeps the existing order where
    /// it is already valid). Throws, naming a node, when the graph has a cycle or reads a value nothing defines.
    /// </summary>
    public void TopologicalSort()
    {
        var available = new HashSet<string>(StringComparer.Ordinal) { "" };
        foreach (var i in Inputs) available.Add(i.Name);
        foreach (var n in _initializerOrder) available.Add(n);

        var producers = ProducerIndex();
        var pending = new List<Node>(Nodes);
        var sorted = new List<Node>(Nodes.Count);
        var waiting = new Dictionary<string, List<Node>>(StringComparer.Ordinal);
        var missing = new Dictionary<Node, int>();
        var ready = new Queue<Node>();
        foreach (var node in pending)
        {
            int count = 0;
            foreach (var input in node.Inputs.Distinct())
            {
                if (available.Contains(input)) continue;
                if (!producers.ContainsKey(input))
                    throw new InvalidOperationException($"Graph '{Name}': node {node} reads '{input}', which no node, input or initializer defines.");
                count++;
                if (!waiting.TryGetValue(input, out var list)) waiting[input] = list = [];
                list.Add(node);
            }
            missing[node] = count;
            if (count == 0) ready.Enqueue(node);
        }
        // Kahn's algorithm; the queue is seeded in original order so that an already-sorted graph is unchanged.
        var order = Nodes.Select((n, i) => (n, i)).ToDictionary(p => p.n, p => p.i);
        var readySet = new SortedSet<int>(ready.Select(n => order[n]));
        while (readySet.Count > 0)
        {
            int idx = readySet.Min;
            readySet.Remove(idx);
            var node = Nodes[idx];
            sorted.Add(node);
            foreach (var output in node.Outputs)
            {
                if (!waiting.TryGetValue(output, out var readers)) continue;
                foreach (var r in readers)
                    if (--missing[r] == 0) readySet.Add(order[r]);
            }
        }
        if (sorted.Count != Nodes.Count)
        {
            var stuck = Nodes.First(n => missing[n] > 0);
            throw new InvalidOperationException($"Graph '{Name}' has a cycle through node {stuck}.");
        }
        Nodes.Clear();
        Nodes.AddRange(sorted);
    }

    /// <summary>Removes nodes and initializers that no graph output depends on; returns how many nodes went.</summary>
    public int RemoveUnused()
    {
        var producers = ProducerIndex();
        var live = new HashSet<Node>();
        var needed = new HashSet<string>(Outputs.Select(o => o.Name), StringComparer.Ordinal);
        var stack = new Stack<string>(needed);
        while (stack.Count > 0)
        {
            var v = stack.Pop();
            if (!producers.TryGetValue(v, out var node) || !live.Add(node)) continue;
            foreach (var i in node.Inputs.Concat(SubgraphInputs(node)))
                if (needed.Add(i)) stack.Push(i);
        }
        int removed = Nodes.RemoveAll(n => !live.Contains(n));
        foreach (var name in _initializerOrder.Where(n => !needed.Contains(n)).ToList()) RemoveInitializer(name);
        return removed;
    }

    /// <summary>Outer-scope values a node's subgraphs (If/Loop/Scan bodies) read implicitly.</summary>
    private static IEnumerable<string> SubgraphInputs(Node node)
    {
        foreach (var a in node.Attributes)
        {
            var graphs = a.G is not null ? new[] { a.G } : a.Graphs.ToArray();
            foreach (var g in graphs)
                foreach (var n in g.Node)
                    foreach (var i in n.Input)
                        yield return i;
        }
    }

    public ValueInfo? FindInput(string name) => Inputs.FirstOrDefault(v => v.Name == name);
    public ValueInfo? FindOutput(string name) => Outputs.FirstOrDefault(v => v.Name == name);
}
