using Microsoft.ML.OnnxRuntimeGenAI;
using ProRL.Onnx.Models;

namespace ProRL.Rollout.Engine;

/// <summary>One model version held by the engine: GenAI model + tokenizer + our byte decoder.</summary>
internal sealed class LoadedModel : IDisposable
{
    private LoadedModel(ModelFolder folder, Model model, Tokenizer tokenizer, TokenTextDecoder? decoder, int[] eosIds,
        string chatTemplate, string? templateText)
    {
        ChatTemplate = chatTemplate;
        _templateText = templateText;
        _modelHasTemplate = ChatTemplates.ModelHasTemplate(Path.Combine(folder.Directory, ModelFolder.TokenizerConfigFileName));
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
    public string ChatTemplate { get; }
    public int VocabSize => Folder.Config.Model.VocabSize;
    public int ContextLength => Folder.Config.Model.ContextLength;

    /// <summary>The Jinja text of a template file; null for the named templates.</summary>
    private readonly string? _templateText;
    private readonly bool _modelHasTemplate;

    public static LoadedModel Load(string path, RolloutEngineOptions options)
    {
        var folder = ModelFolder.Open(path);
        ExecutionProviders.Validate(options.ExecutionProvider);
        var templateText = ResolveTemplate(options.ChatTemplate);
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
            return new LoadedModel(folder, model, tokenizer, decoder, folder.Config.Model.EosTokenId, options.ChatTemplate, templateText);
        }
        catch (OnnxRuntimeGenAIException e)
        {
            model.Dispose();
            throw new InvalidDataException($"Could not load the tokenizer of '{folder.Directory}' ({ModelFolder.TokenizerFileName}): {e.Message}", e);
        }
    }

    /// <summary>The prompt text: raw text as it is, chat messages through <see cref="ChatTemplate"/>.</summary>
    public string Render(RolloutPrompt prompt)
    {
        if (prompt.RawText is { } raw) return raw;
        var messages = prompt.Messages!;
        switch (ChatTemplate.ToLowerInvariant())
        {
            case ChatTemplates.None:
            case ChatTemplates.Auto when !_modelHasTemplate:
                return ChatTemplates.Raw(messages);
            case ChatTemplates.ChatMl:
                return ChatTemplates.RenderChatMl(messages);
            case ChatTemplates.Llama3:
                return ChatTemplates.RenderLlama3(messages);
        }
        try
        {
            return Tokenizer.ApplyChatTemplate(_templateText, prompt.MessagesJson(), null, true);
        }
        catch (OnnxRuntimeGenAIException e)
        {
            var source = _templateText is null ? Path.Combine(Folder.Directory, ModelFolder.TokenizerConfigFileName) : ChatTemplate;
            throw new InvalidDataException($"Could not apply the chat template of '{source}': {e.Message}", e);
        }
    }

    /// <summary>A template file's text, read once at load; a named template needs none.</summary>
    private static string? ResolveTemplate(string chatTemplate)
    {
        if (ChatTemplates.IsNamed(chatTemplate)) return null;
        return File.Exists(chatTemplate) ? File.ReadAllText(chatTemplate)
            : throw new FileNotFoundException(
                $"Chat template '{chatTemplate}' is neither one of {string.Join(", ", ChatTemplates.Named)} nor an existing Jinja file.", chatTemplate);
    }

    public string DecodeText(IReadOnlyList<int> tokens) =>
        ByteDecoder?.Decode(tokens) ?? Tokenizer.Decode(tokens.ToArray());

    public void Dispose()
    {
        Tokenizer.Dispose();
        Model.Dispose();
    }
}
