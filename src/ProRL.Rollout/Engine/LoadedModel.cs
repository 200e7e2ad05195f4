using Microsoft.ML.OnnxRuntimeGenAI;
using ProRL.Onnx.Models;

namespace ProRL.Rollout.Engine;

/// <summary>One model version held by the engine: GenAI model + tokenizer + our byte decoder.</summary>
internal sealed class LoadedModel : IDisposable
{
    private LoadedModel(ModelFolder folder, Model model, Tokenizer tokenizer, TokenTextDecoder? decoder, int[] eosIds)
    {
        Folder = folder;
        Model = model;
        Tokenizer = tokenizer;
        ByteDecoder = decoder;
        EosIds = eosIds;
    }

    public ModelFolder Folder { get; }
    public Model Model { get; }
    public Tokenizer Tokenizer { get; }
    public TokenTextDecoder? ByteDecoder { get; }
    public int[] EosIds { get; }
    public int VocabSize => Folder.Config.Model.VocabSize;
    public int ContextLength => Folder.Config.Model.ContextLength;

    public static LoadedModel Load(string path, RolloutEngineOptions options)
    {
        var folder = ModelFolder.Open(path);
        ExecutionProviders.Validate(options.ExecutionProvider);
        Config? config = null;
        Model? model = null;
        try
        {
            config = new Config(folder.Directory);
            ExecutionProviders.Apply(config, options.ExecutionProvider);
            if (options.IntraOpThreads > 0)
                config.Overlay("{\"model\": {\"decoder\": {\"session_options\": {\"intra_op_num_threads\": " + options.IntraOpThreads + "}}}}");
            model = new Model(config);
        }
        catch (OnnxRuntimeGenAIException e)
        {
            throw new InvalidDataException($"Could not load model '{folder.ModelPath}' with ONNX Runtime GenAI: {e.Message}", e);
        }
        finally
        {
            config?.Dispose();
        }
        try
        {
            var tokenizer = new Tokenizer(model);
            var decoder = TokenTextDecoder.TryLoad(folder.TokenizerPath, folder.Config.Model.VocabSize);
            return new LoadedModel(folder, model, tokenizer, decoder, folder.Config.Model.EosTokenId);
        }
        catch (OnnxRuntimeGenAIException e)
        {
            model.Dispose();
            throw new InvalidDataException($"Could not load the tokenizer of '{folder.Directory}' ({ModelFolder.TokenizerFileName}): {e.Message}", e);
        }
    }

    /// <summary>The prompt text: chat messages through the chat template (with the generation prompt), or raw text.</summary>
    public string Render(RolloutPrompt prompt)
    {
        if (prompt.RawText is { } raw) return raw;
        try
        {
            return Tokenizer.ApplyChatTemplate(null, prompt.MessagesJson(), null, true);
        }
        catch (OnnxRuntimeGenAIException e)
        {
            throw new InvalidDataException(
                $"Could not apply the chat template of '{Path.Combine(Folder.Directory, ModelFolder.TokenizerConfigFileName)}': {e.Message}", e);
        }
    }

    public string DecodeText(IReadOnlyList<int> tokens) =>
        ByteDecoder?.Decode(tokens) ?? Tokenizer.Decode(tokens.ToArray());

    public void Dispose()
    {
        Tokenizer.Dispose();
        Model.Dispose();
    }
}
