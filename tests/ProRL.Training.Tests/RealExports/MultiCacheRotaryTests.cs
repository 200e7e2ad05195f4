using Onnx;
using ProRL.Evaluation.Consistency;
using ProRL.Onnx.Graph;
using ProRL.Onnx.IO;
using ProRL.Onnx.Models;
using ProRL.Onnx.Tensors;
using ProRL.Rollout.ModelGeneration;
using ProRL.Training.Artifacts;
using ProRL.Training.Heads;

namespace ProRL.Training.Tests.RealExports;

/// <summary>
/// LongRoPE exports (Phi-3-128k, Phi-3.5, Phi-4-mini): the builder for CPU and CUDA picks the cos/sin caches at run time,
/// attention_mask → Shape → Gather(1) → Greater(original context) → If(then: long caches, else: short caches), with
/// the caches as Constant nodes inside the branches. The lowering keeps the If (it is not on a differentiable path)
/// and must read the rotary width from the branches; fp16 and float64 conversions must reach into them.
/// </summary>
public class MultiCacheRotaryTests
{
    /// <summary>
    /// Below the engine check's shortest prompt: generation then uses the long caches from its first step, as the
    /// trainer does for the whole sequence. (A sequence that crosses the original context during generation switches
    /// caches midway, which a full-sequence re-evaluation cannot reproduce: see the README's known limits.)
    /// </summary>
    private const int OriginalContext = 4;

    [Theory]
    [InlineData(ModelPrecision.Fp32, AttentionLayout.Gqa, 1f)]
    [InlineData(ModelPrecision.Fp16, AttentionLayout.Gqa, 1f)]
    [InlineData(ModelPrecision.Fp32, AttentionLayout.GqaRotaryOp, 0.5f)]
    [InlineData(ModelPrecision.Fp16, AttentionLayout.Mha, 1f)]
    public void A_long_rope_export_with_an_If_between_two_caches_lowers_differentiates_and_matches_the_engine(
        ModelPrecision precision, AttentionLayout attention, float partialRotary)
    {
        var root = Path.Combine(Path.GetTempPath(), "prorl-longrope-" + Guid.NewGuid().ToString("N"));
        try
        {
            var spec = DecoderSpec.Tiny with { Seed = 4, InitStd = 0.2f, Context = 32, Precision = precision, Attention = attention, PartialRotary = partialRotary };
            var generated = ModelGenerator.Write(spec, Path.Combine(root, "generated"));
            var folder = WithMultiCache(generated, Path.Combine(root, "longrope"));
            var decoder = ArtifactsBuilder.LoadTrainableDecoder(folder);

            // 12 tokens > the original context: the long caches; 4 tokens: the short ones. Both are checked.
            var lowering = ArtifactsCheck.CheckLowering(folder, decoder, batch: 2, length: 12);
            Assert.True(lowering.MaxAbsDifference <= lowering.Tolerance, $"long caches: max |Δlogit| {lowering.MaxAbsDifference}");
            var shortLowering = ArtifactsCheck.CheckLowering(folder, decoder, batch: 2, length: OriginalContext);
            Assert.True(shortLowering.MaxAbsDifference <= shortLowering.Tolerance, $"short caches: max |Δlogit| {shortLowering.MaxAbsDifference}");

            var specs = TrainingGraphBuilder.TrainableParameters(decoder);
            Assert.DoesNotContain(specs, s => s.Name.Contains("cache", StringComparison.Ordinal));
            var parameters = specs.ToDictionary(s => s.Name, s => decoder.Graph.Initializer(s.Name)!, StringComparer.Ordinal);
            foreach (int length in new[] { OriginalContext, 12 })
            {
                var checks = ArtifactsCheck.CheckGradients(decoder, parameters, new TrainingGraphOptions(), folder.Config.Model.VocabSize,
                    directions: 2, batch: 2, length: length, epsilon: 1e-3);
                Assert.All(checks, c => Assert.True(c.Within(1e-5), $"length {length}: analytic {c.Analytic}, central difference {c.FiniteDifference}"));
            }

            var gap = EngineLogprobCheck.Run(folder.Directory, lowering.MaxAbsLogit, threads: 1);
            Assert.True(gap.Passed, $"engine/eval gap {gap.MaxAbsGap} over {gap.Tolerance}");
        }
        finally
        {
            if (Directory.Exists(root)) Directory.Delete(root, recursive: true);
        }
    }

    /// <summary>
    /// Rewrites a generated model the way the builder writes LongRoPE: the cos/sin initializers become the outputs of
    /// an If whose branches hold Constant caches; the long caches differ from the short ones (scaled) so that a wrong
    /// branch shows in the logits.
    /// </summary>
    private static ModelFolder WithMultiCache(ModelFolder generated, string directory)
    {
        Directory.CreateDirectory(directory);
        foreach (var file in Directory.GetFiles(generated.Directory).Where(f => !f.EndsWith(".onnx", StringComparison.Ordinal) && !f.EndsWith(".data", StringComparison.Ordinal)))
            File.Copy(file, Path.Combine(directory, Path.GetFileName(file)));
        var model = OnnxModelIO.Load(generated.ModelPath);
        var graph = model.Graph;
        var cos = graph.Initializer("cos_cache")!;
        var sin = graph.Initializer("sin_cache")!;
        graph.RemoveInitializer("cos_cache");
        graph.RemoveInitializer("sin_cache");
        Tensor Scaled(Tensor t, float factor, string name) =>
            Tensor.FromFloats(name, t.DataType, t.Dims, t.ToFloats().Select(v => v * factor).ToArray());
        Tensor Short(Tensor t, string name) =>
            Tensor.FromFloats(name, t.DataType, [OriginalContext, t.Dims[1]], t.ToFloats().Take(OriginalContext * (int)t.Dims[1]).ToArray());

        var length = graph.OpNamed("/model/rotemb_caches_subgraph/Shape", "Shape", ["attention_mask"]);
        var total = graph.OpNamed("/model/rotemb_caches_subgraph/Gather", "Gather", [length, graph.Const("one", Tensor.Scalar("one", 1L))], Attr.Int("axis", 0));
        var greater = graph.OpNamed("/model/rotemb_caches_subgraph/Greater", "Greater", [total, graph.Const("original", Tensor.Scalar("original", (long)OriginalContext))]);
        var node = graph.AddNode("If", [greater], ["cos_cache", "sin_cache"], "/model/rotemb_caches_subgraph/If");
        node.Attributes.Add(Branch("then_branch", "large", Scaled(cos, 0.9f, "cos_cache_large"), Scaled(sin, 0.9f, "sin_cache_large")));
        node.Attributes.Add(Branch("else_branch", "small", Short(cos, "cos_cache_small"), Short(sin, "sin_cache_small")));
        foreach (var name in new[] { "cos_cache", "sin_cache" })
            graph.ValueInfos.Add(new ValueInfo(name, cos.DataType, [new Dim(null, "max_sequence_length"), new Dim(null, "head_dim / 2")]));
        graph.TopologicalSort();
        OnnxModelIO.Save(model, Path.Combine(directory, "model.onnx"), ExternalDataOptions.SideFile("model.onnx.data"));
        return ModelFolder.Open(directory);
    }

    private static AttributeProto Branch(string attribute, string label, Tensor cos, Tensor sin)
    {
        var graph = new GraphProto { Name = label + "_cache_graph" };
        foreach (var tensor in new[] { cos, sin })
        {
            var constant = new NodeProto { OpType = "Constant", Name = $"/{label}/{tensor.Name}/Constant" };
            constant.Output.Add(tensor.Name);
            constant.Attribute.Add(Attr.Tensor("value", tensor));
            graph.Node.Add(constant);
            graph.Output.Add(OnnxModelIO.ToProto(new ValueInfo(tensor.Name, tensor.DataType, [.. tensor.Dims.Select(d => new Dim(d, null))])));
        }
        return new AttributeProto { Name = attribute, Type = AttributeProto.Types.AttributeType.Graph, G = graph };
    }
}
