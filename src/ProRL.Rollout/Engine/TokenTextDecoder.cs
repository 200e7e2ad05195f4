using System.Text;
using System.Text.Json;
using ProRL.Rollout.ModelGeneration;

namespace ProRL.Rollout.Engine;

/// <summary>
/// Turns token ids into bytes for byte-level BPE tokenizers (GPT-2, Qwen2, Llama 3 and our generated ones), read
/// from tokenizer.json. GenAI's own Decode stops at the first invalid UTF-8 byte; decoding bytes ourselves and
/// replacing invalid sequences with U+FFFD keeps all text. Special tokens (added tokens marked special) give no bytes.
/// </summary>
public sealed class TokenTextDecoder
{
    private readonly byte[]?[] _bytes;

    private TokenTextDecoder(byte[]?[] bytes) => _bytes = bytes;

    public int VocabSize => _bytes.Length;

    /// <summary>The decoder for <paramref name="tokenizerJsonPath"/>, or null when its vocabulary is not byte-level.</summary>
    public static TokenTextDecoder? TryLoad(string tokenizerJsonPath, int vocabSize)
    {
        using var doc = JsonDocument.Parse(File.ReadAllBytes(tokenizerJsonPath));
        var root = doc.RootElement;
        if (!UsesByteLevelDecoder(root) || !root.TryGetProperty("model", out var model) ||
            !model.TryGetProperty("vocab", out var vocab) || vocab.ValueKind != JsonValueKind.Object)
            return null;
        var bytes = new byte[]?[vocabSize];
        foreach (var entry in vocab.EnumerateObject())
        {
            int id = entry.Value.GetInt32();
            if ((uint)id >= (uint)vocabSize) continue;
            var tokenBytes = new byte[entry.Name.Length];
            for (int i = 0; i < entry.Name.Length; i++)
                if (!ByteLevelAlphabet.TryByteOf(entry.Name[i], out tokenBytes[i])) return null;
            bytes[id] = tokenBytes;
        }
        if (root.TryGetProperty("added_tokens", out var added) && added.ValueKind == JsonValueKind.Array)
            foreach (var token in added.EnumerateArray())
            {
                int id = token.GetProperty("id").GetInt32();
                if ((uint)id >= (uint)vocabSize) continue;
                bool special = token.TryGetProperty("special", out var s) && s.ValueKind == JsonValueKind.True;
                bytes[id] = special ? null : Encoding.UTF8.GetBytes(token.GetProperty("content").GetString() ?? "");
            }
        return new TokenTextDecoder(bytes);
    }

    private static bool UsesByteLevelDecoder(JsonElement root)
    {
        if (!root.TryGetProperty("decoder", out var decoder) || decoder.ValueKind != JsonValueKind.Object) return false;
        if (decoder.TryGetProperty("type", out var type) && type.GetString() == "ByteLevel") return true;
        return decoder.TryGetProperty("decoders", out var list) && list.ValueKind == JsonValueKind.Array &&
               list.EnumerateArray().Any(d => d.TryGetProperty("type", out var t) && t.GetString() == "ByteLevel");
    }

    /// <summary>Appends the bytes of <paramref name="token"/> (none for special or unknown ids).</summary>
    public void AppendBytes(int token, List<byte> destination)
    {
        if ((uint)token < (uint)_bytes.Length && _bytes[token] is { } b) destination.AddRange(b);
    }

    public string Decode(IEnumerable<int> tokens)
    {
        var buffer = new List<byte>();
        foreach (var t in tokens) AppendBytes(t, buffer);
        return Utf8Lossy(buffer);
    }

    /// <summary>UTF-8 with each invalid sequence replaced by U+FFFD instead of truncating the text.</summary>
    public static string Utf8Lossy(List<byte> bytes) => Encoding.UTF8.GetString(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(bytes));
}
