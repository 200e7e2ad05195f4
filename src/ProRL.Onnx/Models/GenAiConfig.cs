using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;
using ProRL.Onnx.IO;

namespace ProRL.Onnx.Models;

/// <summary>
/// The `genai_config.json` of an ONNX Runtime GenAI model folder. Typed where we read or write a field; every other
/// key (from real exports: session options, provider options, sliding-window settings, ...) is kept in the
/// <c>Extra</c> dictionaries so that load → save does not drop anything.
/// </summary>
public sealed class GenAiConfig
{
    public const string FileName = "genai_config.json";

    [JsonPropertyName("model")] public GenAiModelSection Model { get; set; } = new();
    [JsonPropertyName("search")] public GenAiSearchSection Search { get; set; } = new();
    [JsonExtensionData] public Dictionary<string, JsonElement>? Extra { get; set; }

    private static readonly JsonSerializerOptions SerializerOptions = new()
    {
        WriteIndented = true,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        ReadCommentHandling = JsonCommentHandling.Skip,
        AllowTrailingCommas = true,
    };

    /// <summary>Reads and validates a config file; errors name the file and the missing or invalid key.</summary>
    public static GenAiConfig Load(string path)
    {
        var full = Path.GetFullPath(path);
        if (!File.Exists(full)) throw new FileNotFoundException($"GenAI config '{full}' does not exist.", full);
        return Parse(File.ReadAllText(full), full);
    }

    public static GenAiConfig Parse(string json, string source = "<genai_config.json>")
    {
        GenAiConfig? config;
        try { config = JsonSerializer.Deserialize<GenAiConfig>(json, SerializerOptions); }
        catch (JsonException e)
        {
            throw new InvalidDataException($"'{source}' is not valid genai_config JSON: {e.Message}", e);
        }
        if (config is null) throw new InvalidDataException($"'{source}' is empty (expected a JSON object).");
        config.Validate(source);
        return config;
    }

    public string ToJson() => JsonSerializer.Serialize(this, SerializerOptions) + "\n";

    /// <summary>Writes the file atomically.</summary>
    public void Save(string path) => AtomicFile.WriteAllText(path, ToJson());

    /// <summary>Checks the keys GenAI needs to run a decoder; throws naming the first that is missing or invalid.</summary>
    public void Validate(string source = "<genai_config.json>")
    {
        void Require(bool ok, string key, string what)
        {
            if (!ok) throw new InvalidDataException($"'{source}': {key} {what}.");
        }
        var m = Model;
        Require(!string.IsNullOrWhiteSpace(m.Type), "model.type", "is missing");
        Require(m.VocabSize > 0, "model.vocab_size", "must be a positive integer");
        Require(m.ContextLength > 0, "model.context_length", "must be a positive integer");
        Require(m.EosTokenId is { Length: > 0 }, "model.eos_token_id", "is missing");
        var d = m.Decoder;
        Require(d is not null, "model.decoder", "is missing");
        Require(!string.IsNullOrWhiteSpace(d!.Filename), "model.decoder.filename", "is missing");
        Require(d.NumHiddenLayers > 0, "model.decoder.num_hidden_layers", "must be a positive integer");
        Require(d.NumAttentionHeads > 0, "model.decoder.num_attention_heads", "must be a positive integer");
        Require(d.NumKeyValueHeads > 0, "model.decoder.num_key_value_heads", "must be a positive integer");
        Require(d.HeadSize > 0, "model.decoder.head_size", "must be a positive integer");
        Require(d.HiddenSize > 0, "model.decoder.hidden_size", "must be a positive integer");
        Require(d.NumAttentionHeads % d.NumKeyValueHeads == 0, "model.decoder.num_key_value_heads",
            $"({d.NumKeyValueHeads}) must divide num_attention_heads ({d.NumAttentionHeads})");
        foreach (var id in m.EosTokenId!.Append(m.PadTokenId))
            Require(id >= 0 && id < m.VocabSize, "model.eos_token_id/pad_token_id", $"value {id} is outside [0, vocab_size={m.VocabSize})");
    }
}

public sealed class GenAiModelSection
{
    [JsonPropertyName("bos_token_id")] public int BosTokenId { get; set; }
    [JsonPropertyName("context_length")] public int ContextLength { get; set; }
    [JsonPropertyName("decoder")] public GenAiDecoderSection Decoder { get; set; } = new();
    /// <summary>One id or several (GenAI accepts both; a single id is written as a number).</summary>
    [JsonPropertyName("eos_token_id"), JsonConverter(typeof(IntOrIntArrayConverter))]
    public int[] EosTokenId { get; set; } = [];
    [JsonPropertyName("pad_token_id")] public int PadTokenId { get; set; }
    [JsonPropertyName("type")] public string Type { get; set; } = "";
    [JsonPropertyName("vocab_size")] public int VocabSize { get; set; }
    [JsonExtensionData] public Dictionary<string, JsonElement>? Extra { get; set; }
}

/// <summary>The decoder's architecture and I/O names: what the trainer needs to rebuild the same network.</summary>
public sealed class GenAiDecoderSection
{
    [JsonPropertyName("session_options")] public JsonElement? SessionOptions { get; set; }
    [JsonPropertyName("filename")] public string Filename { get; set; } = "model.onnx";
    [JsonPropertyName("head_size")] public int HeadSize { get; set; }
    [JsonPropertyName("hidden_size")] public int HiddenSize { get; set; }
    [JsonPropertyName("inputs")] public GenAiDecoderInputs Inputs { get; set; } = new();
    [JsonPropertyName("outputs")] public GenAiDecoderOutputs Outputs { get; set; } = new();
    [JsonPropertyName("num_attention_heads")] public int NumAttentionHeads { get; set; }
    [JsonPropertyName("num_hidden_layers")] public int NumHiddenLayers { get; set; }
    [JsonPropertyName("num_key_value_heads")] public int NumKeyValueHeads { get; set; }
    [JsonExtensionData] public Dictionary<string, JsonElement>? Extra { get; set; }
}

public sealed class GenAiDecoderInputs
{
    [JsonPropertyName("input_ids")] public string InputIds { get; set; } = "input_ids";
    [JsonPropertyName("attention_mask")] public string? AttentionMask { get; set; } = "attention_mask";
    [JsonPropertyName("position_ids")] public string? PositionIds { get; set; }
    /// <summary>printf-style pattern with %d for the layer index, e.g. "past_key_values.%d.key".</summary>
    [JsonPropertyName("past_key_names")] public string PastKeyNames { get; set; } = "past_key_values.%d.key";
    [JsonPropertyName("past_value_names")] public string PastValueNames { get; set; } = "past_key_values.%d.value";
    [JsonExtensionData] public Dictionary<string, JsonElement>? Extra { get; set; }

    public string PastKeyName(int layer) => PastKeyNames.Replace("%d", layer.ToString(System.Globalization.CultureInfo.InvariantCulture));
    public string PastValueName(int layer) => PastValueNames.Replace("%d", layer.ToString(System.Globalization.CultureInfo.InvariantCulture));
}

public sealed class GenAiDecoderOutputs
{
    [JsonPropertyName("logits")] public string Logits { get; set; } = "logits";
    [JsonPropertyName("present_key_names")] public string PresentKeyNames { get; set; } = "present.%d.key";
    [JsonPropertyName("present_value_names")] public string PresentValueNames { get; set; } = "present.%d.value";
    [JsonExtensionData] public Dictionary<string, JsonElement>? Extra { get; set; }

    public string PresentKeyName(int layer) => PresentKeyNames.Replace("%d", layer.ToString(System.Globalization.CultureInfo.InvariantCulture));
    public string PresentValueName(int layer) => PresentValueNames.Replace("%d", layer.ToString(System.Globalization.CultureInfo.InvariantCulture));
}

/// <summary>GenAI's default search settings (the rollout engine overrides them per request).</summary>
public sealed class GenAiSearchSection
{
    [JsonPropertyName("diversity_penalty")] public double DiversityPenalty { get; set; }
    [JsonPropertyName("do_sample")] public bool DoSample { get; set; }
    [JsonPropertyName("early_stopping")] public bool EarlyStopping { get; set; } = true;
    [JsonPropertyName("length_penalty")] public double LengthPenalty { get; set; } = 1.0;
    [JsonPropertyName("max_length")] public int MaxLength { get; set; }
    [JsonPropertyName("min_length")] public int MinLength { get; set; }
    [JsonPropertyName("no_repeat_ngram_size")] public int NoRepeatNgramSize { get; set; }
    [JsonPropertyName("num_beams")] public int NumBeams { get; set; } = 1;
    [JsonPropertyName("num_return_sequences")] public int NumReturnSequences { get; set; } = 1;
    [JsonPropertyName("past_present_share_buffer")] public bool PastPresentShareBuffer { get; set; } = true;
    [JsonPropertyName("repetition_penalty")] public double RepetitionPenalty { get; set; } = 1.0;
    [JsonPropertyName("temperature")] public double Temperature { get; set; } = 1.0;
    [JsonPropertyName("top_k")] public int TopK { get; set; } = 50;
    [JsonPropertyName("top_p")] public double TopP { get; set; } = 1.0;
    [JsonExtensionData] public Dictionary<string, JsonElement>? Extra { get; set; }
}

/// <summary>Reads `5` or `[5, 7]` as an int array; writes a single element as a plain number.</summary>
public sealed class IntOrIntArrayConverter : JsonConverter<int[]>
{
    public override int[] Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType == JsonTokenType.Number) return [reader.GetInt32()];
        if (reader.TokenType != JsonTokenType.StartArray)
            throw new JsonException($"expected a number or an array of numbers, found {reader.TokenType}");
        var values = new List<int>();
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            if (reader.TokenType != JsonTokenType.Number) throw new JsonException($"expected a number in the array, found {reader.TokenType}");
            values.Add(reader.GetInt32());
        }
        return [.. values];
    }

    public override void Write(Utf8JsonWriter writer, int[] value, JsonSerializerOptions options)
    {
        if (value.Length == 1) { writer.WriteNumberValue(value[0]); return; }
        writer.WriteStartArray();
        foreach (var v in value) writer.WriteNumberValue(v);
        writer.WriteEndArray();
    }
}
