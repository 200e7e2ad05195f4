using ProRL.Onnx.Graph;
using ProRL.Onnx.Tensors;

namespace ProRL.Training.Autodiff.Rules;

/// <summary>Rules of Gather (embeddings), GatherElements (picking token log-probabilities), TopK and Trilu.</summary>
internal static class IndexingRules
{
    public static void Register(Dictionary<string, GradientRule> rules)
    {
        rules["Gather"] = GradientRule.OnFirstInput(Gather);
        rules["GatherElements"] = GradientRule.OnFirstInput(c =>
        {
            var e = c.Emit;
            var scattered = e.Op("ScatterElements", [e.ZerosLike(c.X()), c.X(1), c.G()],
                Attr.Int("axis", c.Node.GetInt("axis", 0)), Attr.String("reduction", "add"));
            c.Give(0, scattered);
        });
        rules["TopK"] = GradientRule.OnFirstInput(c =>
        {
            // The values' gradient goes back to the positions the indices output names.
            var e = c.Emit;
            var scattered = e.Op("ScatterElements", [e.ZerosLike(c.X()), c.Y(1), c.G()],
                Attr.Int("axis", c.Node.GetInt("axis", -1)), Attr.String("reduction", "add"));
            c.Give(0, scattered);
        });
        rules["Trilu"] = GradientRule.OnFirstInput(c =>
        {
            var inputs = c.Node.Input(1) is { } k ? new[] { c.G(), k } : [c.G()];
            c.Give(0, c.Emit.Op("Trilu", inputs, Attr.Int("upper", c.Node.GetInt("upper", 1))));
        });
    }

    /// <summary>
    /// Gather along axis a: rows of g are added into zeros at the gathered indices (ScatterND with reduction add,
    /// so repeated tokens accumulate). For a ≠ 0 the gathered axis is moved to the front and back again.
    /// </summary>
    private static void Gather(RuleContext c)
    {
        var e = c.Emit;
        string data = c.X(0), indices = c.X(1);
        long axis = c.Axis("axis", 0, data);
        var index = NonNegativeInt64(c, indices, e.DimTensor(data, axis));
        var rowIndex = e.Op("Unsqueeze", [index, e.Ints(-1)]);
        if (axis == 0)
        {
            c.Give(0, e.Op("ScatterND", [e.ZerosLike(data), rowIndex, c.G()], Attr.String("reduction", "add")));
            return;
        }
        int rank = c.Rank(data), indexRank = c.Rank(indices);
        if (rank == 2 && axis == 1)
        {
            // Columns of a matrix (a tied embedding read as W[:, ids]): scatter g's columns straight into W's layout,
            // with no transposed copy of a matrix-sized gradient.
            var columns = e.Op("Flatten", [c.G()], Attr.Int("axis", 1));
            var columnIndex = e.Op("Expand", [e.Op("Reshape", [index, e.Ints(1, -1)]), e.ShapeOf(columns)]);
            c.Give(0, e.Op("ScatterElements", [e.ZerosLike(data), columnIndex, columns], Attr.Int("axis", 1), Attr.String("reduction", "add")));
            return;
        }
        // data' = data with `axis` first; g' = g with the index dims first, then the other data dims in order.
        var dataPerm = new[] { axis }.Concat(Enumerable.Range(0, rank).Select(i => (long)i).Where(i => i != axis)).ToArray();
        var gradPerm = Enumerable.Range((int)axis, indexRank)
            .Concat(Enumerable.Range(0, (int)axis))
            .Concat(Enumerable.Range((int)axis + indexRank, rank - 1 - (int)axis))
            .Select(i => (long)i).ToArray();
        var movedGrad = indexRank == 0 ? c.G() : e.Op("Transpose", [c.G()], Attr.Ints("perm", gradPerm));
        var movedShape = e.Op("Gather", [e.ShapeTensor(data), e.Ints(dataPerm)]);
        var zeros = e.Zeros(movedShape, data);
        var scattered = e.Op("ScatterND", [zeros, rowIndex, movedGrad], Attr.String("reduction", "add"));
        var inverse = new long[rank];
        for (int i = 0; i < rank; i++) inverse[dataPerm[i]] = i;
        c.Give(0, e.Op("Transpose", [scattered], Attr.Ints("perm", inverse)));
    }

    /// <summary>Gather accepts negative and int32 indices; ScatterND wants them int64 in [0, dim).</summary>
    private static string NonNegativeInt64(RuleContext c, string indices, string dim)
    {
        var e = c.Emit;
        var i64 = c.Shapes[indices].Type == TensorDataType.Int64 ? indices : e.Op("Cast", [indices], Attr.Int("to", (int)TensorDataType.Int64));
        var scalarDim = e.Op("Squeeze", [dim, e.Ints(0)]);
        return e.Op("Where", [e.Op("Less", [i64, e.Int64Scalar(0)]), e.Op("Add", [i64, scalarDim]), i64]);
    }
}
