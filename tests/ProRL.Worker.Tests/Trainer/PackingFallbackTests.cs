using ProRL.Onnx.IO;
using ProRL.Onnx.Tensors;
using ProRL.Rollout.ModelGeneration;
using ProRL.Training.Artifacts;
using ProRL.Training.Lowering;
using ProRL.Worker.RunDirectory;
using ProRL.Worker.Services.Training;

namespace ProRL.Worker.Tests.Trainer;

/// <summary>
/// Training:PackSequences unset packs where it can: a model whose rotary embedding reads one position offset per row
/// (so per-sequence positions cannot reach it) gets padded artifacts and a reason; asked for explicitly, it is refused.
/// </summary>
public sealed class PackingFallbackTests : IDisposable
{
    private readonly TempFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    /// <summary>A generated RotaryEmbedding-layout model whose rotary nodes read a constant offset [0] instead of position_ids.</summary>
    private string OffsetRotaryModel()
    {
        var generated = ModelGenerator.Write(DecoderSpec.Tiny with { Attention = AttentionLayout.GqaRotaryOp, Seed = 3 }, _folder.Combine("generated"));
        var directory = _folder.Combine("offset-rotary");
        Directory.CreateDirectory(directory);
        foreach (var file in Directory.GetFiles(generated.Directory).Where(f => !f.EndsWith(".onnx", StringComparison.Ordinal) && !f.EndsWith(".data", StringComparison.Ordinal)))
            File.Copy(file, Path.Combine(directory, Path.GetFileName(file)));
        var model = OnnxModelIO.Load(generated.ModelPath);
        var offset = model.Graph.Const("rotary_offset", Tensor.FromInt64s("rotary_offset", [1], [0L]));
        var rotary = model.Graph.Nodes.Where(n => n.OpType == "RotaryEmbedding").ToList();
        Assert.NotEmpty(rotary);
        foreach (var node in rotary) node.Inputs[1] = offset;
        OnnxModelIO.Save(model, Path.Combine(directory, "model.onnx"), ExternalDataOptions.SideFile("model.onnx.data"));
        return directory;
    }

    [Fact]
    public void Unset_falls_back_to_one_response_per_row_saying_why_and_true_is_refused()
    {
        var model = OffsetRotaryModel();
        var hash = VersionManifest.Compute(model, 0).ContentHash();
        var run = _folder.Combine("run");
        var options = PolicyArtifactsFixture.Options with { PackedSequences = true };

        var reasons = new List<string>();
        var artifacts = ArtifactsCache.GetOrBuild(run, model, hash, options, packingOptional: true, reasons.Add);
        Assert.False(ArtifactsManifest.Load(Path.Combine(artifacts, ArtifactsManifest.FileName)).PackedSequences);
        Assert.DoesNotContain("-packed", Path.GetFileName(artifacts));
        var reason = Assert.Single(reasons);
        Assert.Contains("RotaryEmbedding", reason);
        Assert.Contains("per-token position_ids", reason);

        var refused = Assert.Throws<LoweringException>(() => ArtifactsCache.GetOrBuild(run, model, hash, options, packingOptional: false, _ => { }));
        Assert.Contains("Training:PackSequences=false", refused.Message);
    }
}
