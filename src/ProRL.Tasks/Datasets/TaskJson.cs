using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using ProRL.Tasks.Model;
using ProRL.Tasks.Text;

namespace ProRL.Tasks.Datasets;

/// <summary>
/// Converts task items to and from the row schema datasets use. Fixed field names (so public data loads as is):
/// <c>id, domain, prompt, answer, choices, tests, instruction_id_list, kwargs, family, seed, difficulty, metadata</c>.
/// Common public layouts are mapped too: <c>problem</c>/<c>question</c> for the prompt, chat-style prompt lists,
/// <c>solution</c>/<c>ground_truth</c>/<c>reward_model.ground_truth</c> for the answer, <c>test_cases</c>/<c>input_output</c>
/// for tests, <c>options</c> for choices.
/// </summary>
public static class TaskJson
{
    private static readonly string[] PromptColumns = ["prompt", "problem", "question", "instruction", "input"];
    private static readonly string[] AnswerColumns = ["answer", "ground_truth", "final_answer", "solution", "label"];
    private static readonly string[] TestColumns = ["tests", "test_cases", "input_output", "test_list"];
    private static readonly string[] ChoiceColumns = ["choices", "options"];

    public static JsonObject ToJson(TaskItem task)
    {
        var o = new JsonObject { ["id"] = task.Id, ["domain"] = task.Domain, ["prompt"] = task.Prompt };
        if (task.Answer is not null) o["answer"] = task.Answer;
        if (task.Choices is not null) o["choices"] = new JsonArray(task.Choices.Select(c => (JsonNode?)c).ToArray());
        if (task.Tests is not null)
            o["tests"] = new JsonArray(task.Tests.Select(t => t.IsAssert
                ? (JsonNode?)t.Assert
                : new JsonObject { ["input"] = t.Input, ["output"] = t.Output }).ToArray());
        if (task.Instructions is not null)
        {
            o["instruction_id_list"] = new JsonArray(task.Instructions.Select(i => (JsonNode?)i.Id).ToArray());
            o["kwargs"] = new JsonArray(task.Instructions.Select(i =>
                (JsonNode?)new JsonObject(i.Args.Select(a => KeyValuePair.Create(a.Key, JsonNode.Parse(a.Value.GetRawText()))))).ToArray());
        }
        if (task.Family is not null) o["family"] = task.Family;
        if (task.Seed is not null) o["seed"] = task.Seed;
        if (task.Difficulty is not null) o["difficulty"] = task.Difficulty;
        if (task.Metadata.Count > 0)
            o["metadata"] = new JsonObject(task.Metadata.Select(kv => KeyValuePair.Create(kv.Key, (JsonNode?)kv.Value)));
        return o;
    }

    /// <summary>Output options: non-ASCII and markup characters stay readable (no \u003C escapes).</summary>
    public static readonly JsonSerializerOptions LineOptions = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static string ToJsonLine(TaskItem task) => ToJson(task).ToJsonString(LineOptions);

    /// <summary>
    /// Reads one row. <paramref name="fallbackId"/> names the row when it has no id; <paramref name="defaultDomain"/>
    /// applies when the row has no <c>domain</c>. Throws <see cref="FormatException"/> with a reason for a bad row.
    /// </summary>
    /// <param name="requirePrompt">
    /// False when scoring a response (<c>prorl score</c>): verifiers need the reference, not the prompt, so a row
    /// without one scores with an empty prompt.
    /// </param>
    public static TaskItem FromJson(JsonObject row, string fallbackId, string? defaultDomain = null, bool requirePrompt = true)
    {
        var domain = StringOf(row["domain"]) ?? defaultDomain ?? InferDomain(row)
                     ?? throw new FormatException("no 'domain' field and no default domain");
        if (!TaskDomains.IsKnown(domain))
            throw new FormatException($"unknown domain '{domain}' (expected one of {string.Join(", ", TaskDomains.All)})");
        var prompt = PromptOf(row) ?? (requirePrompt ? throw new FormatException($"no prompt (looked for {string.Join(", ", PromptColumns)})") : "");
        var task = new TaskItem
        {
            Id = StringOf(row["id"]) ?? StringOf(row["task_id"]) ?? StringOf(row["key"]) ?? fallbackId,
            Domain = domain,
            Prompt = prompt,
            Answer = AnswerOf(row, domain),
            Choices = ChoicesOf(row),
            Tests = TestsOf(row),
            Instructions = InstructionsOf(row),
            Family = StringOf(row["family"]),
            Seed = IntOf(row["seed"], "seed"),
            Difficulty = IntOf(row["difficulty"], "difficulty"),
            Metadata = MetadataOf(row),
        };
        Validate(task);
        return task;
    }

    /// <summary>A row must carry the reference its domain's verifier needs.</summary>
    private static void Validate(TaskItem task)
    {
        var missing = task.Domain switch
        {
            TaskDomains.Math when string.IsNullOrWhiteSpace(task.Answer) => "math row needs 'answer'",
            TaskDomains.Stem when string.IsNullOrWhiteSpace(task.Answer) => "stem row needs 'answer' (the correct letter)",
            TaskDomains.Code when task.Tests is not { Count: > 0 } => "code row needs a non-empty 'tests' list",
            TaskDomains.IfEval when task.Instructions is not { Count: > 0 } => "ifeval row needs 'instruction_id_list'",
            TaskDomains.Logic when task.Family is null && string.IsNullOrWhiteSpace(task.Answer) => "logic row needs 'family' or 'answer'",
            _ => null,
        };
        if (missing is not null) throw new FormatException(missing);
    }

    private static string? InferDomain(JsonObject row)
    {
        if (row["instruction_id_list"] is not null) return TaskDomains.IfEval;
        if (TestColumns.Any(c => row[c] is not null)) return TaskDomains.Code;
        if (row["family"] is not null) return TaskDomains.Logic;
        return null;
    }

    private static string? PromptOf(JsonObject row)
    {
        foreach (var column in PromptColumns)
        {
            switch (row[column])
            {
                case JsonValue v when v.GetValueKind() == JsonValueKind.String:
                    return v.GetValue<string>();
                case JsonArray messages:
                    // Chat layout: [{role, content}, …]; the prompt is the last user message.
                    var user = messages.OfType<JsonObject>().LastOrDefault(m => StringOf(m["role"]) == "user");
                    if (StringOf(user?["content"]) is { } content) return content;
                    break;
            }
        }
        return null;
    }

    private static string? AnswerOf(JsonObject row, string domain)
    {
        if (row["reward_model"] is JsonObject rm && ScalarText(rm["ground_truth"]) is { } gt) return gt;
        foreach (var column in AnswerColumns)
        {
            var text = ScalarText(row[column]);
            if (text is null) continue;
            // MATH-style 'solution' columns hold a whole worked solution: the answer is its last \boxed{}.
            if (column == "solution" && domain == TaskDomains.Math) return ResponseText.LastBoxed(text) ?? text;
            if (column == "solution" && domain == TaskDomains.Code) continue;
            if (domain == TaskDomains.Stem && row[column] is JsonValue v && v.GetValueKind() == JsonValueKind.Number)
                return ((char)('A' + v.GetValue<int>())).ToString(); // index into choices
            return text;
        }
        return null;
    }

    private static IReadOnlyList<string>? ChoicesOf(JsonObject row)
    {
        foreach (var column in ChoiceColumns)
            if (row[column] is JsonArray a) return a.Select(n => ScalarText(n) ?? "").ToList();
        return null;
    }

    private static IReadOnlyList<CodeTest>? TestsOf(JsonObject row)
    {
        foreach (var column in TestColumns)
        {
            var node = row[column];
            // Parquet and some JSONL sets hold the test list as a JSON string.
            if (node is JsonValue v && v.GetValueKind() == JsonValueKind.String)
            {
                try { node = JsonNode.Parse(v.GetValue<string>()); }
                catch (JsonException ex) { throw new FormatException($"'{column}' is a string but not JSON: {ex.Message}"); }
            }
            switch (node)
            {
                case JsonArray list:
                    return list.Select(TestOf).ToList();
                case JsonObject { } io when io["inputs"] is JsonArray ins && io["outputs"] is JsonArray outs:
                    // APPS layout: {"inputs": [...], "outputs": [...]}.
                    if (ins.Count != outs.Count) throw new FormatException($"'{column}': {ins.Count} inputs but {outs.Count} outputs");
                    return ins.Zip(outs, (i, o) => CodeTest.StdIo(ScalarText(i) ?? "", ScalarText(o) ?? "")).ToList();
                case null:
                    continue;
                default:
                    throw new FormatException($"'{column}' must be a list of tests");
            }
        }
        return null;
    }

    private static CodeTest TestOf(JsonNode? node) => node switch
    {
        JsonValue v when v.GetValueKind() == JsonValueKind.String => CodeTest.AssertStatement(v.GetValue<string>()),
        JsonObject o when o["input"] is not null || o["output"] is not null =>
            CodeTest.StdIo(ScalarText(o["input"]) ?? "", ScalarText(o["output"]) ?? ""),
        _ => throw new FormatException("a test must be an assert string or an {\"input\", \"output\"} object"),
    };

    private static IReadOnlyList<IfEvalInstruction>? InstructionsOf(JsonObject row)
    {
        if (row["instruction_id_list"] is not JsonArray ids) return null;
        var kwargs = row["kwargs"] as JsonArray;
        if (kwargs is not null && kwargs.Count != ids.Count)
            throw new FormatException($"'kwargs' has {kwargs.Count} entries for {ids.Count} instructions");
        var list = new List<IfEvalInstruction>();
        for (var i = 0; i < ids.Count; i++)
        {
            var id = StringOf(ids[i]) ?? throw new FormatException($"instruction_id_list[{i}] is not a string");
            var args = new Dictionary<string, JsonElement>();
            if (kwargs?[i] is JsonObject ko)
                foreach (var (key, value) in ko)
                    if (value is not null) args[key] = JsonSerializer.SerializeToElement(value);
            list.Add(new IfEvalInstruction(id, args));
        }
        return list;
    }

    private static IReadOnlyDictionary<string, string> MetadataOf(JsonObject row)
    {
        var meta = new Dictionary<string, string>();
        if (row["metadata"] is JsonObject m)
            foreach (var (key, value) in m)
                if (value is not null) meta[key] = ScalarText(value) ?? value.ToJsonString();
        if (StringOf(row["data_source"]) is { } source) meta.TryAdd("data_source", source);
        return meta;
    }

    private static string? StringOf(JsonNode? node) =>
        node is JsonValue v && v.GetValueKind() == JsonValueKind.String ? v.GetValue<string>() : null;

    /// <summary>Strings as they are, numbers and booleans as invariant text, everything else as JSON.</summary>
    private static string? ScalarText(JsonNode? node) => node switch
    {
        null => null,
        JsonValue v when v.GetValueKind() == JsonValueKind.String => v.GetValue<string>(),
        JsonValue v when v.GetValueKind() == JsonValueKind.Null => null,
        JsonArray a when a.Count == 1 => ScalarText(a[0]),
        _ => node.ToJsonString(),
    };

    private static int? IntOf(JsonNode? node, string name)
    {
        if (node is null) return null;
        if (node is JsonValue v && v.GetValueKind() == JsonValueKind.Number && v.TryGetValue<int>(out var i)) return i;
        if (node is JsonValue s && s.GetValueKind() == JsonValueKind.String &&
            int.TryParse(s.GetValue<string>(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var parsed)) return parsed;
        throw new FormatException($"'{name}' must be an integer");
    }
}
