using ProRL.Onnx.Graph;
using ProRL.Onnx.Tensors;

namespace ProRL.Onnx.Tests;

public class GraphTests
{
    private static OnnxGraph Chain()
    {
        var g = new OnnxGraph();
        g.Inputs.Add(new ValueInfo("x", TensorDataType.Float, ["n"]));
        g.AddInitializer(Tensor.FromFloats("two", [], [2f]));
        g.AddNode("Mul", ["x", "two"], ["a"], "mul");
        g.AddNode("Relu", ["a"], ["b"], "relu");
        g.AddNode("Neg", ["b"], ["y"], "neg");
        g.Outputs.Add(new ValueInfo("y", TensorDataType.Float, ["n"]));
        return g;
    }

    [Fact]
    public void Topological_sort_restores_producer_before_consumer_order()
    {
        var g = Chain();
        g.Nodes.Reverse();
        g.TopologicalSort();
        Assert.Equal(["mul", "relu", "neg"], g.Nodes.Select(n => n.Name));
    }

    [Fact]
    public void Topological_sort_names_a_node_in_a_cycle_and_an_undefined_input()
    {
        var g = Chain();
        g.Nodes[0].Inputs[0] = "y"; // mul now reads neg's output
        var e = Assert.Throws<InvalidOperationException>(() => g.TopologicalSort());
        Assert.Contains("cycle", e.Message);

        var h = Chain();
        h.Nodes[1].Inputs[0] = "ghost";
        var e2 = Assert.Throws<InvalidOperationException>(() => h.TopologicalSort());
        Assert.Contains("'ghost'", e2.Message);
        Assert.Contains("relu", e2.Message);
    }

    [Fact]
    public void Rename_value_rewrites_producers_consumers_outputs_and_initializers()
    {
        var g = Chain();
        g.RenameValue("a", "scaled");
        g.RenameValue("y", "out");
        g.RenameValue("two", "factor");
        Assert.Equal("scaled", g.Nodes[0].Outputs[0]);
        Assert.Equal("scaled", g.Nodes[1].Inputs[0]);
        Assert.Equal("out", g.Outputs[0].Name);
        Assert.NotNull(g.Initializer("factor"));
        Assert.Null(g.Initializer("two"));
        Assert.Equal("factor", g.Nodes[0].Inputs[1]);
    }

    [Fact]
    public void Unique_names_never_collide_with_existing_values()
    {
        var g = Chain();
        var n1 = g.UniqueName("a");
        var n2 = g.UniqueName("a");
        Assert.NotEqual("a", n1);
        Assert.NotEqual(n1, n2);
        var o = g.Op("Relu", ["y"]);
        Assert.DoesNotContain(o, new[] { "x", "a", "b", "y", n1, n2 });
    }

    [Fact]
    public void Remove_unused_drops_dead_nodes_and_initializers()
    {
        var g = Chain();
        g.AddInitializer(Tensor.FromFloats("unused", [1], [0f]));
        g.AddNode("Exp", ["x"], ["dead"], "exp");
        Assert.Equal(1, g.RemoveUnused());
        Assert.Null(g.Initializer("unused"));
        Assert.NotNull(g.Initializer("two"));
        Assert.Equal(3, g.Nodes.Count);
    }
}
