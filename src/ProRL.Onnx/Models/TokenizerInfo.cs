using System.Text.Json;
using System.Text.Json.Nodes;

namespace ProRL.Onnx.Models;

/// <summary>
/// What a model folder's Hugging Face tokenizer files say about the vocabulary: the tokenizer's kind, how many ids it
/// defines, its special tokens and whether it carries a chat template. Read from tokenizer.json and
/// tokenizer_config.json as JSON; GenAI does the actual tokenization.
/// </summary>
public sealed record TokenizerInfo(string Kind, int Size, int Merges, IReadOnlyDictionary<string, int?> SpecialTokens, bool HasChatTemplate)
{
    /// <summary>Reads the folder's tokenizer files; throws <see cref="InvalidDataException"/> naming the file when one is malformed.</summary>
    public static TokenizerInfo Read(string modelDirectory)
    {
        var tokenizerPath = Path.Combine(modelDirectory, ModelFolder.TokenizerFileName);
        var tokenizer = ParseObject(tokenizerPath);
        var vocab = new Dictionary<string, int>(StringComparer.Ordinal);
        if (tokenizer["model"]?["vocab"] is JsonObject map)
            foreach (var (token, id) in map)
                if (id is JsonValue v && v.TryGetValue<int>(out var i)) vocab[token] = i;
        if (tokenizer["model"]?["vocab"] is JsonArray unigram) // Unigram: [[piece, score], ...], id = index
            for (int i = 0; i < unigram.Count; i++)
                if (unigram[i] is JsonArray { Count: > 0 } entry && entry[0]?.GetValue<string>() is { } piece) vocab.TryAdd(piece, i);
        if (tokenizer["added_tokens"] is JsonArray added)
            foreach (var t in added)
                if (t?["content"]?.GetValue<string>() is { } content && t["id"] is JsonValue idValue && idValue.TryGetValue<int>(out var id))
                    vocab[content] = id;
        int size = vocab.Count == 0 ? 0 : vocab.Values.Max() + 1;
        int merges = tokenizer["model"]?["merges"] is JsonArray m ? m.Count : 0;

        var configPath = Path.Combine(modelDirectory, ModelFolder.TokenizerConfigFileName);
        var config = File.Exists(configPath) ? ParseObject(configPath) : new JsonObject();
        var specials = new Dictionary<string, int?>(StringComparer.Ordinal);
        foreach (var role in new[] { "bos_token", "eos_token", "pad_token", "unk_token" })
            if (TokenText(config[role]) is { } text) specials[role.Replace("_token", "")] = vocab.TryGetValue(text, out var id) ? id : null;
        bool hasTemplate = config["chat_template"] switch
        {
            JsonValue v => v.TryGetValue<string>(out var s) && s.Trim().Length > 0,
            JsonArray a => a.Count > 0,
            _ => false,
        };
        return new TokenizerInfo(KindOf(tokenizer), size, merges, specials, hasTemplate);
    }

    /// <summary>
    /// Warnings where genai_config.json's special ids disagree with the tokenizer's special tokens. GenAI and the
    /// trainer use genai_config.json's ids (the builder wrote them, and GenAI stops on its eos ids), so this warns only.
    /// </summary>
    public IEnumerable<string> SpecialTokenWarnings(GenAiModelSection model)
    {
        string Describe(string role) => SpecialTokens.TryGetValue(role, out var id) ? (id?.ToString() ?? "not in the vocabulary") : "none";
        var differences = new List<string>();
        if (SpecialTokens.TryGetValue("bos", out var bos) && bos is not null && bos != model.BosTokenId)
            differences.Add($"bos {model.BosTokenId} (tokenizer: {Describe("bos")})");
        if (SpecialTokens.TryGetValue("eos", out var eos) && eos is not null && !model.EosTokenId.Contains(eos.Value))
            differences.Add($"eos {string.Join("/", model.EosTokenId)} (tokenizer: {Describe("eos")})");
        if (SpecialTokens.TryGetValue("pad", out var pad) && pad is not null && pad != model.PadTokenId)
            differences.Add($"pad {model.PadTokenId} (tokenizer: {Describe("pad")})");
        if (differences.Count > 0)
            yield return $"{GenAiConfig.FileName} special-token ids differ from the tokenizer's: {string.Join(", ", differences)}; " +
                         $"generation and training use {GenAiConfig.FileName}'s ids.";
    }

    private static string KindOf(JsonObject tokenizer)
    {
        var modelType = tokenizer["model"]?["type"]?.GetValue<string>() ?? "unknown";
        string text = (tokenizer["pre_tokenizer"]?.ToJsonString() ?? "") + (tokenizer["decoder"]?.ToJsonString() ?? "") + (tokenizer["normalizer"]?.ToJsonString() ?? "");
        return modelType switch
        {
            "BPE" when text.Contains("\"ByteLevel\"", StringComparison.Ordinal) => "byte-level BPE",
            "BPE" when text.Contains("ByteFallback", StringComparison.Ordinal) || text.Contains('\u2581') || text.Contains("Metaspace", StringComparison.Ordinal)
                => "SentencePiece-style BPE",
            "Unigram" => "SentencePiece Unigram",
            _ => modelType,
        };
    }

    private static string? TokenText(JsonNode? node) => node switch
    {
        JsonValue v when v.TryGetValue<string>(out var s) => s,
        JsonObject o => o["content"]?.GetValue<string>(),
        _ => null,
    };

    private static JsonObject ParseObject(string path)
    {
        try
        {
            return JsonNode.Parse(File.ReadAllText(path)) as JsonObject
                ?? throw new InvalidDataException($"'{path}' is not a JSON object.");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"'{path}' is not valid JSON (line {e.LineNumber + 1}): {e.Message}", e);
        }
    }
}
