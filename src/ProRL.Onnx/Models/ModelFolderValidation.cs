using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Google.Protobuf;
using Onnx;

namespace ProRL.Onnx.Models;

/// <summary>One thing wrong with a model folder: the file it is in and what is wrong, in one line.</summary>
public sealed record ModelFolderProblem(string File, string Message)
{
    public override string ToString() => $"{File}: {Message}";
}

/// <summary>
/// One check of a model folder, run by <see cref="ModelFolderValidator"/> after the folder's files were read. A check
/// reports into <paramref name="problems"/> and never throws on bad input; when a piece it needs could not be read
/// (e.g. <see cref="ModelFolderInspection.Graph"/> is null), that was reported already and the check returns.
/// </summary>
public interface IModelFolderCheck
{
    void Check(ModelFolderInspection folder, ICollection<ModelFolderProblem> problems);
}

/// <summary>
/// What <see cref="ModelFolderValidator"/> read from a model folder, for the checks. Each part is null when it is
/// missing or unreadable (a problem was reported for it). <see cref="Graph"/> is the parsed <c>model.onnx</c> without
/// its external weights (they were only checked to be present in full), so checks stay cheap for large models.
/// </summary>
public sealed class ModelFolderInspection
{
    internal ModelFolderInspection(string directory) => Directory = directory;

    public string Directory { get; }
    public string ConfigPath => Path.Combine(Directory, GenAiConfig.FileName);
    public GenAiConfig? Config { get; internal set; }
    public string? ModelPath { get; internal set; }
    public ModelProto? Graph { get; internal set; }
    public string TokenizerPath => Path.Combine(Directory, ModelFolder.TokenizerFileName);
    public JsonObject? Tokenizer { get; internal set; }
}

/// <summary>
/// Checks a GenAI model folder before anything is trained on it or copied from it: files present, <c>genai_config.json</c>
/// valid, <c>model.onnx</c> parses, every external initializer lies wholly inside its data file, the tokenizer reads and
/// covers the configured special ids, and the config agrees with the graph (I/O names, layer count, KV heads and head
/// size). More checks plug in through <see cref="IModelFolderCheck"/> (pass them to <see cref="Validate"/>).
/// </summary>
public static class ModelFolderValidator
{
    /// <summary>The checks every validation runs after reading the folder; callers append their own.</summary>
    public static IReadOnlyList<IModelFolderCheck> BuiltInChecks { get; } =
        [new InitializerDataCheck(), new GraphWiringCheck(), new ConfigMatchesGraphCheck(), new TokenizerCheck()];

    /// <summary>Every problem found (empty when the folder is usable), one line each, each naming its file.</summary>
    public static IReadOnlyList<ModelFolderProblem> Validate(string directory, IEnumerable<IModelFolderCheck>? additionalChecks = null)
    {
        var problems = new List<ModelFolderProblem>();
        var full = Path.GetFullPath(directory);
        if (!System.IO.Directory.Exists(full))
        {
            problems.Add(new(full, "the model folder does not exist."));
            return problems;
        }
        var inspection = Read(full, problems);
        foreach (var check in BuiltInChecks.Concat(additionalChecks ?? []))
        {
            try
            {
                check.Check(inspection, problems);
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                // A check that trips over input it did not expect still names the folder rather than crashing start-up.
                problems.Add(new(full, $"{check.GetType().Name} could not check the folder: {e.Message}"));
            }
        }
        return problems;
    }

    private static ModelFolderInspection Read(string directory, List<ModelFolderProblem> problems)
    {
        var inspection = new ModelFolderInspection(directory);
        var configPath = inspection.ConfigPath;
        if (!File.Exists(configPath)) problems.Add(new(configPath, "missing; a GenAI model folder needs it."));
        else
        {
            try
            {
                inspection.Config = GenAiConfig.Load(configPath);
            }
            catch (Exception e) when (e is InvalidDataException or IOException or UnauthorizedAccessException or JsonException)
            {
                problems.Add(new(configPath, WithoutPath(e.Message, configPath)));
            }
        }

        var modelPath = Path.Combine(directory, inspection.Config?.Model.Decoder.Filename ?? "model.onnx");
        if (!File.Exists(modelPath))
        {
            problems.Add(new(modelPath, inspection.Config is null ? "missing." : $"missing (named by {GenAiConfig.FileName} model.decoder.filename)."));
        }
        else
        {
            inspection.ModelPath = modelPath;
            inspection.Graph = ParseGraph(modelPath, problems);
        }

        var tokenizerPath = inspection.TokenizerPath;
        if (!File.Exists(tokenizerPath)) problems.Add(new(tokenizerPath, "missing; GenAI needs it to tokenize prompts."));
        else inspection.Tokenizer = ReadJsonObject(tokenizerPath, problems);
        var tokenizerConfigPath = Path.Combine(directory, ModelFolder.TokenizerConfigFileName);
        if (File.Exists(tokenizerConfigPath)) ReadJsonObject(tokenizerConfigPath, problems);
        return inspection;
    }

    private static ModelProto? ParseGraph(string modelPath, List<ModelFolderProblem> problems)
    {
        try
        {
            using var stream = File.OpenRead(modelPath);
            var proto = ModelProto.Parser.ParseFrom(stream);
            if (proto.Graph is null)
            {
                problems.Add(new(modelPath, "not an ONNX model: it has no graph."));
                return null;
            }
            return proto;
        }
        catch (InvalidProtocolBufferException e)
        {
            problems.Add(new(modelPath, $"not a valid ONNX model (truncated or corrupt protobuf: {e.Message})."));
        }
        catch (IOException e)
        {
            problems.Add(new(modelPath, $"cannot be read: {e.Message}"));
        }
        catch (UnauthorizedAccessException e)
        {
            problems.Add(new(modelPath, $"cannot be read: {e.Message}"));
        }
        return null;
    }

    internal static JsonObject? ReadJsonObject(string path, ICollection<ModelFolderProblem> problems)
    {
        try
        {
            var options = new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true };
            if (JsonNode.Parse(File.ReadAllBytes(path), documentOptions: options) is JsonObject o) return o;
            problems.Add(new(path, "not a JSON object."));
        }
        catch (JsonException e)
        {
            problems.Add(new(path, $"not valid JSON: line {e.LineNumber + 1}, column {e.BytePositionInLine + 1}: {FirstSentence(e.Message)}"));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidOperationException or ArgumentException)
        {
            // InvalidOperationException / ArgumentException: invalid UTF-8 and similar reader failures.
            problems.Add(new(path, $"cannot be read as JSON: {e.Message}"));
        }
        return null;
    }

    private static string FirstSentence(string message)
    {
        // System.Text.Json appends " Path: $.x | LineNumber: 3 | BytePositionInLine: 4."; the caller gives the position itself.
        int cut = message.IndexOf(" Path:", StringComparison.Ordinal);
        if (cut < 0) cut = message.IndexOf(" LineNumber:", StringComparison.Ordinal);
        return cut > 0 ? message[..cut] : message;
    }

    private static string WithoutPath(string message, string path) =>
        message.Replace($"'{path}': ", "", StringComparison.Ordinal).Replace($"'{path}' ", "", StringComparison.Ordinal);
}

/// <summary>
/// Every initializer's data is there in full: an external one names a data file inside the folder that holds its
/// offset + length, lengths match shapes, external tensors do not overlap; an inline one has as many bytes as its shape
/// needs. Catches a truncated <c>model.onnx.data</c> before GenAI or the trainer meets it.
/// </summary>
public sealed class InitializerDataCheck : IModelFolderCheck
{
    public void Check(ModelFolderInspection folder, ICollection<ModelFolderProblem> problems)
    {
        if (folder.Graph is not { } model || folder.ModelPath is not { } modelPath) return;
        var sizes = new Dictionary<string, long>(StringComparer.Ordinal);
        var extents = new Dictionary<string, List<(long Offset, long Length, string Tensor)>>(StringComparer.Ordinal);
        int reported = 0;
        string firstFile = modelPath;
        void Report(string file, string message)
        {
            // One corrupt data file can break every tensor in it: a few lines say it, hundreds would hide the rest.
            if (reported == 0) firstFile = file;
            if (++reported <= 5) problems.Add(new(file, message));
        }
        foreach (var t in model.Graph.Initializer)
        {
            long? elements = ElementCount(t);
            if (elements is null) Report(modelPath, $"initializer '{t.Name}' has an impossible shape [{string.Join(",", t.Dims)}].");
            long? expected = elements is { } count ? ByteCount(t.DataType, count) : null;
            if (t.DataLocation != TensorProto.Types.DataLocation.External)
            {
                if (expected is { } need && !t.RawData.IsEmpty && t.RawData.Length != need)
                    Report(modelPath, $"initializer '{t.Name}' holds {t.RawData.Length} bytes, its shape [{string.Join(",", t.Dims)}] needs {need}.");
                continue;
            }
            var entries = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var e in t.ExternalData) entries[e.Key] = e.Value;
            if (!entries.TryGetValue("location", out var location) || location.Length == 0)
            {
                Report(modelPath, $"initializer '{t.Name}' is marked external but names no data file.");
                continue;
            }
            var dataPath = Path.GetFullPath(Path.Combine(folder.Directory, location));
            if (!dataPath.StartsWith(folder.Directory + Path.DirectorySeparatorChar, StringComparison.Ordinal))
            {
                Report(modelPath, $"initializer '{t.Name}' points outside the model folder ('{location}').");
                continue;
            }
            if (!sizes.TryGetValue(dataPath, out var size))
            {
                size = File.Exists(dataPath) ? new FileInfo(dataPath).Length : -1;
                sizes[dataPath] = size;
            }
            if (size < 0)
            {
                Report(dataPath, $"missing; model.onnx keeps initializer '{t.Name}' (and maybe others) in it.");
                continue;
            }
            if (!TryNumber(entries, "offset", 0, out var offset) || !TryNumber(entries, "length", expected ?? -1, out var length) || length < 0)
            {
                Report(modelPath, $"initializer '{t.Name}' has an unreadable external-data offset or length.");
                continue;
            }
            if (expected is { } bytes && length != bytes)
            {
                Report(modelPath, $"initializer '{t.Name}' declares {length} bytes in '{location}', its shape [{string.Join(",", t.Dims)}] needs {bytes}.");
                continue;
            }
            if (offset > size - length)
            {
                Report(dataPath, $"holds {size} bytes, initializer '{t.Name}' needs bytes {offset}..{offset + length} (truncated file or bad offset); copy the export again.");
                continue;
            }
            if (!extents.TryGetValue(dataPath, out var list)) extents[dataPath] = list = [];
            list.Add((offset, length, t.Name));
        }
        foreach (var (path, list) in extents)
        {
            list.Sort((a, b) => a.Offset.CompareTo(b.Offset));
            for (int i = 1; i < list.Count; i++)
                if (list[i - 1].Offset + list[i - 1].Length > list[i].Offset)
                    Report(modelPath, $"initializers '{list[i - 1].Tensor}' and '{list[i].Tensor}' overlap in '{Path.GetFileName(path)}' (corrupt offset).");
        }
        if (reported > 5) problems.Add(new(firstFile, $"… and {reported - 5} more initializer problems."));
    }

    /// <summary>The element count of a tensor's shape; null when a dimension is negative or the product overflows.</summary>
    private static long? ElementCount(TensorProto t)
    {
        long elements = 1;
        foreach (var d in t.Dims)
        {
            if (d < 0) return null;
            try { elements = checked(elements * d); }
            catch (OverflowException) { return null; }
        }
        return elements;
    }

    private static bool TryNumber(Dictionary<string, string> entries, string key, long fallback, out long value)
    {
        if (!entries.TryGetValue(key, out var s)) { value = fallback; return true; }
        return long.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out value);
    }

    /// <summary>Bytes of <paramref name="elements"/> values of an ONNX data type; null for types without a fixed size.</summary>
    public static long? ByteCount(int dataType, long elements) => dataType switch
    {
        1 or 6 or 12 => elements * 4, // float, int32, uint32
        2 or 3 or 9 or 17 or 18 or 19 or 20 => elements, // uint8, int8, bool, float8 variants
        4 or 5 or 10 or 16 => elements * 2, // uint16, int16, float16, bfloat16
        7 or 11 or 13 or 14 => elements * 8, // int64, double, uint64, complex64
        15 => elements * 16, // complex128
        21 or 22 => (elements + 1) / 2, // uint4, int4: two per byte
        _ => null,
    };
}

/// <summary>
/// The graph is wired: every node input is a graph input, an initializer or another node's output, and every graph
/// output is produced, and every node's domain is among the imported opsets. A flipped byte in a tensor name breaks
/// this, and GenAI would refuse the model later.
/// </summary>
public sealed class GraphWiringCheck : IModelFolderCheck
{
    public void Check(ModelFolderInspection folder, ICollection<ModelFolderProblem> problems)
    {
        if (folder.Graph is not { } model || folder.ModelPath is not { } modelPath) return;
        var g = model.Graph;
        var defined = new HashSet<string>(StringComparer.Ordinal) { "" }; // "" marks an omitted optional input
        foreach (var i in g.Input) defined.Add(i.Name);
        foreach (var t in g.Initializer) defined.Add(t.Name);
        foreach (var n in g.Node)
            foreach (var o in n.Output) defined.Add(o);
        int reported = 0;
        // Every operator comes from an imported opset; a model cut short after its graph imports none.
        var imported = model.OpsetImport.Select(o => o.Domain == "ai.onnx" ? "" : o.Domain).ToHashSet(StringComparer.Ordinal);
        if (!imported.Contains(""))
        {
            reported++;
            problems.Add(new(modelPath, "imports no ai.onnx opset (a truncated or corrupt file?)."));
        }
        foreach (var n in g.Node)
        {
            var domain = n.Domain == "ai.onnx" ? "" : n.Domain;
            if (imported.Count > 0 && !imported.Contains(domain) && ++reported <= 5)
                problems.Add(new(modelPath, $"node '{n.Name}' ({n.OpType}) is in domain '{n.Domain}', which the model does not import."));
            if (string.IsNullOrWhiteSpace(n.OpType) && ++reported <= 5)
                problems.Add(new(modelPath, $"node '{n.Name}' has no operator type."));
            foreach (var input in n.Input)
                if (!defined.Contains(input) && ++reported <= 5)
                    problems.Add(new(modelPath, $"node '{n.Name}' ({n.OpType}) reads '{input}', which no input, initializer or node defines."));
        }
        foreach (var o in g.Output)
            if (!defined.Contains(o.Name) && ++reported <= 5)
                problems.Add(new(modelPath, $"graph output '{o.Name}' is produced by no node."));
        if (reported > 5) problems.Add(new(modelPath, $"… and {reported - 5} more wiring problems (a corrupt file?)."));
    }
}

/// <summary>
/// <c>genai_config.json</c> describes this graph: its input and output names exist, there is one past/present key and
/// value per layer (no more, no fewer), and the KV inputs' fixed dimensions are [batch, num_key_value_heads, past, head_size].
/// </summary>
public sealed class ConfigMatchesGraphCheck : IModelFolderCheck
{
    public void Check(ModelFolderInspection folder, ICollection<ModelFolderProblem> problems)
    {
        if (folder.Graph is not { } model || folder.Config is not { } config) return;
        var d = config.Model.Decoder;
        var configPath = folder.ConfigPath;
        var inputs = model.Graph.Input.ToDictionary(i => i.Name, StringComparer.Ordinal);
        var outputs = model.Graph.Output.ToDictionary(o => o.Name, StringComparer.Ordinal);
        var file = Path.GetFileName(folder.ModelPath);

        void RequireInput(string key, string? name)
        {
            if (name is not null && !inputs.ContainsKey(name))
                problems.Add(new(configPath, $"{key} names input '{name}', which {file} does not have (inputs: {Names(inputs.Keys)})."));
        }
        void RequireOutput(string key, string name)
        {
            if (!outputs.ContainsKey(name))
                problems.Add(new(configPath, $"{key} names output '{name}', which {file} does not have (outputs: {Names(outputs.Keys)})."));
        }
        // GenAI feeds attention_mask and position_ids only when the graph has them, so the config may name them
        // freely; but a graph input that GenAI does not know to feed leaves the model unable to run.
        RequireInput("model.decoder.inputs.input_ids", d.Inputs.InputIds);
        RequireOutput("model.decoder.outputs.logits", d.Outputs.Logits);
        var pastPattern = new[] { d.Inputs.PastKeyNames, d.Inputs.PastValueNames }.Select(NamePattern).ToList();
        foreach (var name in inputs.Keys)
        {
            if (name == d.Inputs.InputIds || name == d.Inputs.AttentionMask || name == d.Inputs.PositionIds) continue;
            if (pastPattern.Any(p => p.IsMatch(name))) continue;
            problems.Add(new(configPath, $"{file} has input '{name}', which model.decoder.inputs does not name, so GenAI would not feed it."));
        }

        int pastKeys = CountMatching(inputs.Keys, d.Inputs.PastKeyNames);
        if (pastKeys != d.NumHiddenLayers)
            problems.Add(new(configPath, $"model.decoder.num_hidden_layers is {d.NumHiddenLayers}, {file} has {pastKeys} inputs named like '{d.Inputs.PastKeyNames}'."));
        for (int layer = 0; layer < d.NumHiddenLayers && layer < 1024; layer++)
        {
            foreach (var (key, name) in new[] { ("past_key_names", d.Inputs.PastKeyName(layer)), ("past_value_names", d.Inputs.PastValueName(layer)) })
            {
                if (!inputs.TryGetValue(name, out var input))
                {
                    if (pastKeys == d.NumHiddenLayers)
                        problems.Add(new(configPath, $"model.decoder.inputs.{key} gives '{name}', which {file} does not have."));
                    continue;
                }
                CheckKvShape(configPath, file, name, input, d, problems);
            }
            RequireOutput("model.decoder.outputs.present_key_names", d.Outputs.PresentKeyName(layer));
            RequireOutput("model.decoder.outputs.present_value_names", d.Outputs.PresentValueName(layer));
        }
        if (outputs.TryGetValue(d.Outputs.Logits, out var logits) && FixedDims(logits) is { Length: > 0 } dims &&
            dims[^1] is { } vocab && vocab != config.Model.VocabSize)
            problems.Add(new(configPath, $"model.vocab_size is {config.Model.VocabSize}, {file}'s '{d.Outputs.Logits}' has {vocab} columns."));
    }

    private static void CheckKvShape(string configPath, string? file, string name, ValueInfoProto input, GenAiDecoderSection d, ICollection<ModelFolderProblem> problems)
    {
        var dims = FixedDims(input);
        if (dims is null) return;
        if (dims.Length != 4)
        {
            problems.Add(new(configPath, $"{file} input '{name}' has {dims.Length} dimensions; a KV cache has 4 [batch, kv_heads, past, head_size]."));
            return;
        }
        if (dims[1] is { } heads && heads != d.NumKeyValueHeads)
            problems.Add(new(configPath, $"model.decoder.num_key_value_heads is {d.NumKeyValueHeads}, {file} input '{name}' has {heads} heads."));
        if (dims[3] is { } size && size != d.HeadSize)
            problems.Add(new(configPath, $"model.decoder.head_size is {d.HeadSize}, {file} input '{name}' has head size {size}."));
    }

    /// <summary>The dimensions of a tensor value (null entries for symbolic ones); null when the shape is unknown.</summary>
    private static long?[]? FixedDims(ValueInfoProto value)
    {
        var shape = value.Type?.TensorType?.Shape;
        return shape?.Dim.Select(dim => dim.ValueCase == TensorShapeProto.Types.Dimension.ValueOneofCase.DimValue ? dim.DimValue : (long?)null).ToArray();
    }

    private static int CountMatching(IEnumerable<string> names, string pattern) => names.Count(NamePattern(pattern).IsMatch);

    /// <summary>GenAI's printf-style name pattern ("past_key_values.%d.key") as a regular expression.</summary>
    private static Regex NamePattern(string pattern) =>
        new("^" + Regex.Escape(pattern).Replace("%d", "[0-9]+", StringComparison.Ordinal) + "$", RegexOptions.CultureInvariant);

    private static string Names(IEnumerable<string> names)
    {
        var list = names.ToList();
        return list.Count <= 6 ? string.Join(", ", list) : string.Join(", ", list.Take(6)) + $", … ({list.Count} in all)";
    }
}

/// <summary>
/// <c>tokenizer.json</c> has a model with a vocabulary, and every id <c>genai_config.json</c> relies on (bos, eos, pad)
/// is one of its tokens and below <c>model.vocab_size</c>. A tokenizer that fails this fails to load in GenAI too.
/// </summary>
public sealed class TokenizerCheck : IModelFolderCheck
{
    public void Check(ModelFolderInspection folder, ICollection<ModelFolderProblem> problems)
    {
        if (folder.Tokenizer is not { } tokenizer) return;
        var path = folder.TokenizerPath;
        if (tokenizer["model"] is not JsonObject model || model["type"] is not JsonValue typeValue || !typeValue.TryGetValue<string>(out var type))
        {
            problems.Add(new(path, "has no 'model' object with a 'type' (BPE, Unigram, WordPiece, …)."));
            return;
        }
        var ids = new HashSet<long>();
        try
        {
            bool unigram = string.Equals(type, "Unigram", StringComparison.OrdinalIgnoreCase);
            switch (model["vocab"])
            {
                case JsonObject vocab when !unigram: // BPE, WordPiece, WordLevel: {token: id}
                    foreach (var (_, id) in vocab) ids.Add(id!.GetValue<long>());
                    break;
                case JsonArray pieces when unigram: // [[piece, score], ...]; the id is the position
                    for (int i = 0; i < pieces.Count; i++)
                    {
                        if (pieces[i] is not JsonArray { Count: 2 } entry || entry[0] is not JsonValue piece || !piece.TryGetValue<string>(out _))
                        {
                            problems.Add(new(path, $"model.vocab entry {i} is not a [piece, score] pair."));
                            return;
                        }
                        ids.Add(i);
                    }
                    break;
                default:
                    problems.Add(new(path, $"model ({type}) has no 'vocab' of the form {(unigram ? "[[piece, score], …]" : "{token: id}")}."));
                    return;
            }
            if (tokenizer["added_tokens"] is JsonArray added)
                foreach (var token in added) ids.Add(token!["id"]!.GetValue<long>());
        }
        catch (Exception e) when (e is InvalidOperationException or FormatException or NullReferenceException)
        {
            problems.Add(new(path, $"has a token id that is not a number ({e.Message})."));
            return;
        }
        if (ids.Count == 0)
        {
            problems.Add(new(path, "has an empty vocabulary."));
            return;
        }
        if (folder.Config is not { } config) return;
        var m = config.Model;
        foreach (var (key, id) in m.EosTokenId.Select(id => ("model.eos_token_id", id)).Append(("model.pad_token_id", m.PadTokenId)).Append(("model.bos_token_id", m.BosTokenId)))
            if (!ids.Contains(id))
                problems.Add(new(path, $"has no token with id {id}, which {GenAiConfig.FileName} {key} names."));
        long largest = ids.Max();
        if (largest >= m.VocabSize)
            problems.Add(new(path, $"has token id {largest}, beyond {GenAiConfig.FileName} model.vocab_size ({m.VocabSize})."));
    }
}
