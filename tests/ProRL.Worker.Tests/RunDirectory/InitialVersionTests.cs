using ProRL.Onnx.IO;
using ProRL.Rollout.ModelGeneration;
using ProRL.Worker.RunDirectory;

namespace ProRL.Worker.Tests.RunDirectory;

public sealed class InitialVersionTests : IDisposable
{
    private readonly TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void Version_zero_of_an_export_with_padded_vocabulary_masks_the_padded_rows_and_leaves_the_export_untouched()
    {
        var model = ModelGenerator.Write(DecoderSpec.Tiny with { Vocab = 300 }, _temp.Combine("model"));
        var exportBytes = File.ReadAllBytes(model.ModelPath);
        var store = RunStore.Open(_temp.Combine("run"));

        Assert.True(store.EnsureInitialVersions(model.Directory));

        Assert.Equal(exportBytes, File.ReadAllBytes(model.ModelPath));
        foreach (var version in new[] { store.Policy.ReadLatest()!, store.Reference.ReadLatest()! })
        {
            var graph = OnnxModelIO.Load(Path.Combine(version.FolderPath, "model.onnx")).Graph;
            var mask = graph.Initializer(ProRL.Training.Session.VocabularyMask.MaskName)!.ToFloats();
            Assert.Equal(300, mask.Length);
            Assert.All(mask.Take(ByteLevelTokenizer.VocabSize), v => Assert.Equal(0f, v));
            Assert.All(mask.Skip(ByteLevelTokenizer.VocabSize), v => Assert.Equal(ProRL.Training.Session.VocabularyMask.Fill, v));
            Assert.Contains(graph.Nodes, n => n.OpType == "Add" && n.Outputs.Contains("logits") && n.Inputs.Contains(ProRL.Training.Session.VocabularyMask.MaskName));
        }
    }

    [Fact]
    public void Version_zero_of_an_export_without_padding_is_a_byte_copy()
    {
        var model = ModelGenerator.Write(DecoderSpec.Tiny, _temp.Combine("model"));
        var store = RunStore.Open(_temp.Combine("run"));
        store.EnsureInitialVersions(model.Directory);
        Assert.Equal(File.ReadAllBytes(model.ModelPath), File.ReadAllBytes(Path.Combine(store.Policy.ReadLatest()!.FolderPath, "model.onnx")));
    }
}
