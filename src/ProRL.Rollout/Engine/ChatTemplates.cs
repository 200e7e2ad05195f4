using System.Text;
using System.Text.Json.Nodes;

namespace ProRL.Rollout.Engine;

/// <summary>
/// How chat prompts become text (<c>Model:ChatTemplate</c>): <c>auto</c> uses the export's own template
/// (tokenizer_config.json's chat_template) and raw text when it has none; <c>none</c> always uses raw text; <c>chatml</c>
/// and <c>llama3</c> are the two common formats, rendered here; any other value is a Jinja template file given to
/// GenAI's renderer. Raw text is what base models expect: GenAI would otherwise fall back to a template chosen by
/// model type (Llama 2's [INST] for a llama export), which a base model was never trained on.
/// </summary>
public static class ChatTemplates
{
    public const string Auto = "auto";
    public const string None = "none";
    public const string ChatMl = "chatml";
    public const string Llama3 = "llama3";

    public static readonly IReadOnlyList<string> Named = [Auto, None, ChatMl, Llama3];

    public static bool IsNamed(string value) => Named.Contains(value, StringComparer.OrdinalIgnoreCase);

    /// <summary>Whether the folder's tokenizer_config.json holds a non-empty chat_template (string or named list).</summary>
    public static bool ModelHasTemplate(string tokenizerConfigPath)
    {
        if (!File.Exists(tokenizerConfigPath)) return false;
        try
        {
            return JsonNode.Parse(File.ReadAllText(tokenizerConfigPath))?["chat_template"] switch
            {
                JsonValue v => v.TryGetValue<string>(out var s) && s.Trim().Length > 0,
                JsonArray a => a.Count > 0,
                _ => false,
            };
        }
        catch (System.Text.Json.JsonException)
        {
            return false; // the start-up check reports a malformed tokenizer_config.json; rendering falls back to raw
        }
    }

    /// <summary>Raw text of a chat: the contents in order, separated by a blank line (a single user turn is its content).</summary>
    public static string Raw(IReadOnlyList<ChatMessage> messages) => string.Join("\n\n", messages.Select(m => m.Content));

    /// <summary>ChatML, with the assistant turn opened.</summary>
    public static string RenderChatMl(IReadOnlyList<ChatMessage> messages)
    {
        var text = new StringBuilder();
        foreach (var m in messages) text.Append("<|im_start|>").Append(m.Role).Append('\n').Append(m.Content).Append("<|im_end|>\n");
        return text.Append("<|im_start|>assistant\n").ToString();
    }

    /// <summary>Llama 3's header format, with the assistant header opened.</summary>
    public static string RenderLlama3(IReadOnlyList<ChatMessage> messages)
    {
        var text = new StringBuilder("<|begin_of_text|>");
        foreach (var m in messages)
            text.Append("<|start_header_id|>").Append(m.Role).Append("<|end_header_id|>\n\n").Append(m.Content.Trim()).Append("<|eot_id|>");
        return text.Append("<|start_header_id|>assistant<|end_header_id|>\n\n").ToString();
    }
}
