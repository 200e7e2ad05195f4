using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using ProRL.Onnx.IO;

namespace ProRL.Rollout.ModelGeneration;

/// <summary>
/// The byte-level tokenizer of generated models: one token per byte (id = byte value, spelled with GPT-2's
/// byte-to-unicode mapping as every byte-level BPE does), no merges, and ChatML special tokens after the bytes.
/// Writes `tokenizer.json`, `tokenizer_config.json` and `special_tokens_map.json` in the Hugging Face format.
/// </summary>
public static class ByteLevelTokenizer
{
    public const string EndOfText = "<|endoftext|>";
    public const string ImStart = "<|im_start|>";
    public const string ImEnd = "<|im_end|>";

    public const int EndOfTextId = 256;
    public const int ImStartId = 257;
    public const int ImEndId = 258;
    public const int VocabSize = 259;

    public static IReadOnlyList<string> SpecialTokens { get; } = [EndOfText, ImStart, ImEnd];

    /// <summary>ChatML, as Qwen2 uses it (without Qwen's default system prompt).</summary>
    public const string ChatTemplate =
        "{% for message in messages %}{{ '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n' }}{% endfor %}" +
        "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";

    private static readonly JsonSerializerOptions WriteOptions = new()
    {
        WriteIndented = true,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    /// <summary>Writes the three tokenizer files into <paramref name="directory"/>.</summary>
    public static void Write(string directory, int modelMaxLength)
    {
        AtomicFile.WriteAllText(Path.Combine(directory, "tokenizer.json"), Serialize(TokenizerJson()));
        AtomicFile.WriteAllText(Path.Combine(directory, "tokenizer_config.json"), Serialize(TokenizerConfigJson(modelMaxLength)));
        AtomicFile.WriteAllText(Path.Combine(directory, "special_tokens_map.json"), Serialize(SpecialTokensMapJson()));
    }

    private static string Serialize(JsonNode node) => node.ToJsonString(WriteOptions) + "\n";

    private static JsonObject ByteLevelStep(string type) => new()
    {
        ["type"] = type,
        ["add_prefix_space"] = false,
        ["trim_offsets"] = false,
        ["use_regex"] = true,
    };

    private static JsonObject AddedToken(int id, string content) => new()
    {
        ["id"] = id,
        ["content"] = content,
        ["single_word"] = false,
        ["lstrip"] = false,
        ["rstrip"] = false,
        ["normalized"] = false,
        ["special"] = true,
    };

    private static JsonObject TokenizerJson()
    {
        var vocab = new JsonObject();
        for (int b = 0; b < 256; b++) vocab[ByteLevelAlphabet.CharOf((byte)b).ToString()] = b;
        var added = new JsonArray();
        for (int i = 0; i < SpecialTokens.Count; i++) added.Add(AddedToken(256 + i, SpecialTokens[i]));
        return new JsonObject
        {
            ["version"] = "1.0",
            ["truncation"] = null,
            ["padding"] = null,
            ["added_tokens"] = added,
            ["normalizer"] = null,
            ["pre_tokenizer"] = ByteLevelStep("ByteLevel"),
            ["post_processor"] = ByteLevelStep("ByteLevel"),
            ["decoder"] = ByteLevelStep("ByteLevel"),
            ["model"] = new JsonObject
            {
                ["type"] = "BPE",
                ["dropout"] = null,
                ["unk_token"] = null,
                ["continuing_subword_prefix"] = "",
                ["end_of_word_suffix"] = "",
                ["fuse_unk"] = false,
                ["byte_fallback"] = false,
                ["ignore_merges"] = false,
                ["vocab"] = vocab,
                ["merges"] = new JsonArray(),
            },
        };
    }

    private static JsonObject TokenizerConfigJson(int modelMaxLength)
    {
        var decoder = new JsonObject();
        for (int i = 0; i < SpecialTokens.Count; i++)
        {
            var token = AddedToken(256 + i, SpecialTokens[i]);
            token.Remove("id");
            decoder[(256 + i).ToString(System.Globalization.CultureInfo.InvariantCulture)] = token;
        }
        return new JsonObject
        {
            ["add_bos_token"] = false,
            ["add_prefix_space"] = false,
            ["added_tokens_decoder"] = decoder,
            ["additional_special_tokens"] = new JsonArray(ImStart, ImEnd),
            ["bos_token"] = null,
            ["chat_template"] = ChatTemplate,
            ["clean_up_tokenization_spaces"] = false,
            ["eos_token"] = ImEnd,
            ["errors"] = "replace",
            ["model_max_length"] = modelMaxLength,
            ["pad_token"] = EndOfText,
            ["split_special_tokens"] = false,
            ["tokenizer_class"] = "Qwen2Tokenizer",
            ["unk_token"] = null,
        };
    }

    private static JsonObject SpecialTokensMapJson()
    {
        static JsonObject Token(string content) => new()
        {
            ["content"] = content, ["lstrip"] = false, ["normalized"] = false, ["rstrip"] = false, ["single_word"] = false,
        };
        return new JsonObject
        {
            ["additional_special_tokens"] = new JsonArray(ImStart, ImEnd),
            ["eos_token"] = Token(ImEnd),
            ["pad_token"] = Token(EndOfText),
        };
    }
}

/// <summary>GPT-2's reversible byte ↔ printable-unicode mapping used by byte-level BPE vocabularies.</summary>
public static class ByteLevelAlphabet
{
    private static readonly char[] ByteToChar = BuildByteToChar();
    private static readonly Dictionary<char, byte> CharToByte =
        ByteToChar.Select((c, b) => (c, b)).ToDictionary(p => p.c, p => (byte)p.b);

    public static char CharOf(byte value) => ByteToChar[value];

    /// <summary>The byte a vocabulary character stands for, or false for characters outside the alphabet.</summary>
    public static bool TryByteOf(char c, out byte value) => CharToByte.TryGetValue(c, out value);

    private static char[] BuildByteToChar()
    {
        // Printable Latin-1 bytes keep their own code point; the other 68 are moved to 256, 257, ... in byte order.
        var map = new char[256];
        int next = 256;
        for (int b = 0; b < 256; b++)
        {
            bool printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
            map[b] = printable ? (char)b : (char)next++;
        }
        return map;
    }
}
