using ProRL.Onnx.IO;
using ProRL.Onnx.Tensors;
using ProRL.Rollout.ModelGeneration;
using ProRL.Training.Session;

namespace ProRL.Training.Tests.Session;

public class ModelExportTests
{
    /// <summary>
    /// A copy of the tiny model whose two weights are stored as fp16 (inline) and bf16 (in the side file): the export must
    /// write each in its own element type and leave every other initializer's bytes alone.
    /// </summary>
    [Theory]
    [InlineData(false)]
    [InlineData(true)] // from float32 spans by name, as a session exports from its buffers
    public void Weights_are_written_in_each_initializers_own_half_precision_type_inline_and_external(bool fromSpans)
    {
        var root = Path.Combine(Path.GetTempPath(), "prorl-export-" + Guid.NewGuid().ToString("N"));
        try
        {
            var source = ModelGenerator.Write(DecoderSpec.Tiny with { Context = 64 }, Path.Combine(root, "source"));
            var model = OnnxModelIO.Load(source.ModelPath);
            var norm = model.Graph.Initializers.First(t => t.Dims.Length == 1 && t.DataType == TensorDataType.Float && t.Name.Contains("norm"));
            const string embed = "model.embed_tokens.weight";
            var embedTensor = model.Graph.Initializer(embed)!;
            model.Graph.SetInitializer(Tensor.FromFloats(norm.Name, TensorDataType.Float16, norm.Dims, norm.ToFloats()));
            model.Graph.SetInitializer(Tensor.FromFloats(embed, TensorDataType.BFloat16, embedTensor.Dims, embedTensor.ToFloats()));
            // The norm weight (64 fp16 values = 128 bytes) stays inline under a 1 KiB threshold; the embedding goes to the side file.
            OnnxModelIO.Save(model, source.ModelPath, ExternalDataOptions.SideFile(ModelGenerator.DataFileName));
            var before = OnnxModelIO.Load(source.ModelPath);

            var normValues = Enumerable.Range(0, (int)norm.ElementCount()).Select(i => 0.5f + i / 128f).ToArray();
            var embedValues = Enumerable.Range(0, (int)embedTensor.ElementCount()).Select(i => (i % 97) / 97f - 0.5f).ToArray();
            var destination = Path.Combine(root, "exported");
            if (fromSpans)
                ModelExport.WriteWeights(source.Directory, destination,
                    [new ProRL.Training.Optimizer.ParameterSpec(norm.Name, norm.Dims), new ProRL.Training.Optimizer.ParameterSpec(embed, embedTensor.Dims)],
                    name => name == embed ? embedValues : normValues);
            else
                ModelExport.WriteWeights(source.Directory, destination, new Dictionary<string, Tensor>
                {
                    [norm.Name] = Tensor.FromFloats(norm.Name, norm.Dims, normValues),
                    [embed] = Tensor.FromFloats(embed, embedTensor.Dims, embedValues),
                });

            var after = OnnxModelIO.Load(Path.Combine(destination, ModelGenerator.ModelFileName));
            var writtenNorm = after.Graph.Initializer(norm.Name)!;
            var writtenEmbed = after.Graph.Initializer(embed)!;
            Assert.Equal(TensorDataType.Float16, writtenNorm.DataType);
            Assert.Equal(TensorDataType.BFloat16, writtenEmbed.DataType);
            Assert.Equal(normValues.Select(v => (float)(Half)v), writtenNorm.ToFloats());
            Assert.Equal(embedValues.Select(v => BFloat16Bits.ToSingle(BFloat16Bits.FromSingle(v))), writtenEmbed.ToFloats());
            foreach (var t in before.Graph.Initializers.Where(t => t.Name != norm.Name && t.Name != embed))
                Assert.Equal(t.Data, after.Graph.Initializer(t.Name)!.Data);
            Assert.Equal(before.Graph.Nodes.Count, after.Graph.Nodes.Count);
            // The source folder is untouched.
            Assert.Equal(before.Graph.Initializer(embed)!.Data, OnnxModelIO.Load(source.ModelPath).Graph.Initializer(embed)!.Data);
        }
        finally
        {
            if (Directory.Exists(root)) Directory.Delete(root, recursive: true);
        }
    }

    [Fact]
    public void A_parameter_whose_shape_differs_from_the_initializer_is_refused()
    {
        var root = Path.Combine(Path.GetTempPath(), "prorl-export-" + Guid.NewGuid().ToString("N"));
        try
        {
            var source = ModelGenerator.Write(DecoderSpec.Tiny with { Context = 64 }, Path.Combine(root, "source"));
            var e = Assert.Throws<InvalidDataException>(() => ModelExport.WriteWeights(source.Directory, Path.Combine(root, "out"),
                new Dictionary<string, Tensor> { ["model.embed_tokens.weight"] = Tensor.FromFloats("model.embed_tokens.weight", [2, 2], new float[4]) }));
            Assert.Contains("shape", e.Message);
            Assert.Throws<ArgumentException>(() => ModelExport.WriteWeights(source.Directory, source.Directory, new Dictionary<string, Tensor>()));
        }
        finally
        {
            if (Directory.Exists(root)) Directory.Delete(root, recursive: true);
        }
    }
}
