using ProRL.Onnx.IO;
using ProRL.Onnx.Graph;
using ProRL.Onnx.Tensors;
using ProRL.Rollout.ModelGeneration;
using ProRL.TestSupport;
using ProRL.Training.Inspection;

namespace ProRL.Training.Tests.Inspection;

public class ModelLayoutTests
{
    [Fact]
    public void The_real_fp16_export_is_read_as_MultiHeadAttention_with_rotary_nodes_a_SentencePiece_tokenizer_and_disagreeing_ids()
    {
        var layout = ModelLayout.Inspect(SharedFixtures.Path(SharedFixtures.LlamaFp16Mha));
        Assert.True(layout.Trainable, layout.NotTrainableReason);
        Assert.Equal((7L, 14L), (layout.IrVersion, layout.Opset));
        Assert.Equal((TensorDataType.Float16, TensorDataType.Float16), (layout.WeightType, layout.LogitsType));
        Assert.Equal("MultiHeadAttention after RotaryEmbedding nodes", layout.Attention);
        Assert.Contains("separate q/k/v", layout.Features);
        Assert.Contains("position_ids input", layout.Features);
        Assert.Equal("SentencePiece-style BPE", layout.Tokenizer!.Kind);
        Assert.Equal(32000, layout.Tokenizer.Size);
        Assert.True(layout.Tokenizer.HasChatTemplate);
        // genai_config.json says bos 0 / eos 1 / pad 2; the tokenizer's <s> is 1 and </s> is 2.
        var warning = Assert.Single(layout.Warnings);
        Assert.Contains("bos 0 (tokenizer: 1)", warning);
        Assert.Contains("eos 1 (tokenizer: 2)", warning);
    }

    [Fact]
    public void The_real_fp32_export_is_read_as_fused_rotary_GQA_with_packed_qkv()
    {
        var layout = ModelLayout.Inspect(SharedFixtures.Path(SharedFixtures.LlamaFp32Opset14));
        Assert.True(layout.Trainable, layout.NotTrainableReason);
        Assert.Equal("GroupQueryAttention, fused rotary", layout.Attention);
        Assert.Contains("packed q/k/v", layout.Features);
        Assert.DoesNotContain("tied embeddings", layout.Features); // the Llama export has its own lm_head
        Assert.Equal((32000, 32000L), (layout.ConfigVocabSize, layout.EmbeddingRows));
        Assert.Equal(1_032_272, layout.Parameters);
    }

    [Fact]
    public void A_generated_Qwen3_layout_is_read_with_its_features_and_byte_level_tokenizer()
    {
        var dir = Path.Combine(Path.GetTempPath(), "prorl-inspect-" + Guid.NewGuid().ToString("N"));
        try
        {
            ModelGenerator.Write(DecoderSpec.Tiny with { QkNorm = true, SlidingWindow = 8, Precision = ModelPrecision.Fp16, TieEmbeddings = true }, dir);
            var layout = ModelLayout.Inspect(dir);
            Assert.True(layout.Trainable, layout.NotTrainableReason);
            Assert.Contains("per-head q/k RMSNorm", layout.Features);
            Assert.Contains("sliding window 8", layout.Features);
            Assert.Contains("tied embeddings", layout.Features);
            Assert.Equal(TensorDataType.Float16, layout.WeightType);
            Assert.Equal("byte-level BPE", layout.Tokenizer!.Kind);
        }
        finally
        {
            if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true);
        }
    }

    [Theory]
    [InlineData("MatMulNBits", "quantized")]
    [InlineData("PagedAttention", "no lowering")]
    public void An_untrainable_op_is_refused_naming_the_node_the_op_and_the_export_to_make(string opType, string reason)
    {
        var export = OnnxModelIO.Load(Path.Combine(SharedFixtures.Path(SharedFixtures.LlamaFp32Opset14), "model.onnx"));
        var node = opType == "MatMulNBits"
            ? export.Graph.Nodes.First(n => n.OpType == "MatMul")
            : export.Graph.Nodes.First(n => n.OpType == "GroupQueryAttention");
        var replaced = new Node(opType, node.Inputs, node.Outputs, node.Name, OnnxModel.MicrosoftDomain);
        export.Graph.Nodes[export.Graph.Nodes.IndexOf(node)] = replaced;

        var refusal = ModelLayout.Trainability(export, "the-export");
        Assert.NotNull(refusal);
        Assert.Contains(node.Name, refusal);
        Assert.Contains(opType, refusal);
        Assert.Contains(reason, refusal);
        Assert.Contains("fp32", refusal); // the export to make instead
    }
}
