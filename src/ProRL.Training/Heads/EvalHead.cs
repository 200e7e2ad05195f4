using ProRL.Onnx.Graph;
using ProRL.Training.Autodiff;

namespace ProRL.Training.Heads;

/// <summary>Names of the values the eval head adds.</summary>
/// <param name="Logprobs">[B, T−1]: log p(input_ids[:, t+1] | input_ids[:, ≤t]) at the given temperature.</param>
/// <param name="Entropy">[B, T−1]: entropy of that next-token distribution.</param>
public sealed record EvalHeadValues(string Logprobs, string Entropy);

/// <summary>
/// The eval head on a decoder's logits [B, T, V]: the log-probability of each next token under
/// log_softmax(logits[:, :−1] / temperature), and the entropy of that distribution. The temperature is a runtime scalar
/// input so that the trainer's log-probabilities match the rollout engine's at its sampling temperature. The head is one
/// fused node: <see cref="FusedOps.ProjectedNextTokenLogprobs"/> when the logits are the export's plain output
/// projection (then the whole logits are never made), <see cref="FusedOps.NextTokenLogprobs"/> on the logits otherwise.
/// Differentiate the graph first, then <see cref="FusedOps.Lower"/> it before it is saved or run
/// (<see cref="Artifacts.TrainingGraphBuilder"/> does both).
/// </summary>
public static class EvalHead
{
    public const string Temperature = "temperature";
    public const string Logprobs = "logprobs";
    public const string Entropy = "entropy";

    /// <summary>Symbolic dims of the head's per-token values.</summary>
    public static readonly Dim[] TokenShape = ["batch_size", "target_length"];

    /// <summary>The default of <c>chunks</c>: the head holds about 3 slices at once, 3/8 of the [B, T, V] logits' size.</summary>
    public const int DefaultChunks = 8;

    /// <summary>
    /// Adds the <c>temperature</c> input and the head's nodes. When <paramref name="asOutputs"/> is true the two values
    /// are named <c>logprobs</c> and <c>entropy</c> and listed as graph outputs. With <paramref name="chunks"/> ≥ 1 and
    /// logits made by a <see cref="LogitsProjection"/>, the projection joins the head
    /// (<see cref="FusedOps.ProjectedNextTokenLogprobs"/>) and the logits are only ever made a slice of tokens at a time;
    /// with 0, or logits made otherwise, the head reads the whole logits.
    /// </summary>
    public static EvalHeadValues Append(HeadGraph h, string logits, string inputIds, bool asOutputs = true, int chunks = DefaultChunks)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(chunks);
        var projection = chunks > 0 ? LogitsProjection.Find(h.Graph, logits) : null;
        var temperature = h.Input(Temperature);
        // Position t predicts token t+1. Every position is scored (the last one against a pad target) and the per-token
        // results are sliced afterwards, so that no copy of the [B, T, V] logits is made for the slice.
        var targets = h.Op("Slice", inputIds, h.Ints("starts", 1), h.Ints("ends", long.MaxValue), h.Ints("axes", 1));
        var paddedTargets = h.Op("Pad", targets, h.Ints("pads", 0, 0, 0, 1));
        // The fused ops (lowered after differentiation) differentiate the head as one node: see FusedOps.
        string allLogprobs, allEntropies;
        if (projection is not null)
        {
            foreach (var node in projection.Nodes) h.Graph.RemoveNode(node);
            (allLogprobs, allEntropies) = FusedOps.AddProjectedNextTokenLogprobs(h.Graph, projection.X, projection.Weight,
                projection.Bias, paddedTargets, temperature, chunks);
        }
        else
        {
            (allLogprobs, allEntropies, _, _) = FusedOps.AddNextTokenLogprobs(h.Graph, h.Div(logits, temperature), paddedTargets);
        }
        string DropLast(string perPosition) =>
            h.Op("Slice", perPosition, h.Ints("starts", 0), h.Ints("ends", -1), h.Ints("axes", 1));
        var logprobs = DropLast(allLogprobs);
        var entropy = DropLast(allEntropies);
        if (!asOutputs) return new EvalHeadValues(logprobs, entropy);
        return new EvalHeadValues(h.Output(logprobs, Logprobs, TokenShape), h.Output(entropy, Entropy, TokenShape));
    }
}
