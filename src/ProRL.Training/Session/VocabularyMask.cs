using Google.Protobuf;
using Onnx;
using ProRL.Onnx.Graph;
using ProRL.Onnx.Models;
using ProRL.Onnx.Tensors;

namespace ProRL.Training.Session;

/// <summary>
/// Real exports often have more embedding rows (genai_config vocab_size) than the tokenizer has ids: the padded rows
/// are not tokens, so a policy must never sample them. Every graph this project writes or lowers for such a model adds
/// a constant to the logits: 0 for real ids, <see cref="Fill"/> for padded ones, so their probability is exactly 0 in
/// float32 and fp16 alike while log-probabilities and entropies stay finite (no −∞, no 0·∞).
/// </summary>
public static class VocabularyMask
{
    /// <summary>Far below any logit (exp underflows to 0), yet finite in fp16 after division by any sane temperature.</summary>
    public const float Fill = -1e4f;

    public const string MaskName = "/prorl/vocabulary_mask";
    private const string NodeName = "/prorl/vocabulary_mask/Add";

    /// <summary>The tokenizer's id count when it is below the config's vocab_size, else null (nothing to mask).</summary>
    public static int? RealTokenCount(ModelFolder folder)
    {
        int size;
        try { size = TokenizerInfo.Read(folder.Directory).Size; }
        catch (InvalidDataException) { return null; } // the start-up checks report a malformed tokenizer
        return size > 0 && size < folder.Config.Model.VocabSize ? size : null;
    }

    /// <summary>
    /// Adds the mask to the model file of a GenAI folder in place (a copy of an export being committed as a policy or
    /// reference version); returns false when the folder needs none or has it already.
    /// </summary>
    public static bool ApplyToFolder(string modelDirectory)
    {
        // Only a complete, readable model folder is rewritten: anything less was refused by the start-up checks
        // already (and run-directory tests commit stand-in folders that are no models at all).
        ModelFolder folder;
        try { folder = ModelFolder.Open(modelDirectory); }
        catch (Exception e) when (e is IOException or InvalidDataException) { return false; }
        if (RealTokenCount(folder) is not { } realTokens) return false;
        ModelProto proto;
        try { proto = ModelProto.Parser.ParseFrom(File.ReadAllBytes(folder.ModelPath)); }
        catch (InvalidProtocolBufferException e) { throw new ProRL.Onnx.IO.OnnxFormatException($"'{folder.ModelPath}' is not a valid ONNX model: {e.Message}", e); }
        if (!Apply(proto, folder.Decoder.Outputs.Logits, folder.Config.Model.VocabSize, realTokens)) return false;
        ProRL.Onnx.IO.AtomicFile.WriteAllBytes(folder.ModelPath, proto.ToByteArray());
        return true;
    }

    /// <summary>Adds the mask in front of the graph output <paramref name="logits"/> (IR graph; the lowering's path).</summary>
    public static void Apply(OnnxGraph graph, string logits, int vocabSize, int realTokens)
    {
        if (graph.Nodes.Any(n => n.Name == NodeName)) return;
        var producer = graph.Nodes.Single(n => n.Outputs.Contains(logits));
        var type = graph.FindOutput(logits)?.ElementType ?? TensorDataType.Float;
        var unmasked = graph.UniqueName(logits + "/unmasked");
        producer.Outputs[producer.Outputs.IndexOf(logits)] = unmasked;
        graph.AddInitializer(Tensor.FromFloats(MaskName, type, [vocabSize], Values(vocabSize, realTokens)));
        graph.AddNode("Add", [unmasked, MaskName], [logits], NodeName);
    }

    /// <summary>Adds the mask to a model proto in place (the export's path: the graph is otherwise left as it is). Idempotent.</summary>
    public static bool Apply(ModelProto proto, string logits, int vocabSize, int realTokens)
    {
        var graph = proto.Graph;
        if (graph.Node.Any(n => n.Name == NodeName)) return false;
        var producer = graph.Node.Single(n => n.Output.Contains(logits));
        var output = graph.Output.Single(o => o.Name == logits);
        var type = (TensorDataType)output.Type.TensorType.ElemType;
        var unmasked = logits + "/unmasked";
        producer.Output[producer.Output.IndexOf(logits)] = unmasked;
        graph.Initializer.Add(ProRL.Onnx.IO.TensorProtoConverter.ToProto(Tensor.FromFloats(MaskName, type, [vocabSize], Values(vocabSize, realTokens))));
        var add = new NodeProto { OpType = "Add", Name = NodeName };
        add.Input.Add(unmasked);
        add.Input.Add(MaskName);
        add.Output.Add(logits);
        graph.Node.Add(add);
        return true;
    }

    private static float[] Values(int vocabSize, int realTokens)
    {
        var values = new float[vocabSize];
        Array.Fill(values, Fill, realTokens, vocabSize - realTokens);
        return values;
    }
}
