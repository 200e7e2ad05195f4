using System.Text.Json;

namespace ProRL.Rollout.Engine;

/// <summary>One chat turn; roles as in the chat template ("system", "user", "assistant").</summary>
public sealed record ChatMessage(string Role, string Content);

/// <summary>A prompt: chat messages rendered through the model's chat template, or raw text used as is.</summary>
public sealed record RolloutPrompt
{
    private RolloutPrompt(IReadOnlyList<ChatMessage>? messages, string? rawText)
    {
        Messages = messages;
        RawText = rawText;
    }

    public IReadOnlyList<ChatMessage>? Messages { get; }
    public string? RawText { get; }

    public static RolloutPrompt Chat(IReadOnlyList<ChatMessage> messages)
    {
        ArgumentNullException.ThrowIfNull(messages);
        if (messages.Count == 0) throw new ArgumentException("A chat prompt needs at least one message.", nameof(messages));
        return new(messages, null);
    }

    public static RolloutPrompt User(string content) => Chat([new ChatMessage("user", content)]);

    /// <summary>Text fed to the tokenizer without a chat template.</summary>
    public static RolloutPrompt Raw(string text) => new(null, text ?? throw new ArgumentNullException(nameof(text)));

    /// <summary>The messages as the JSON array GenAI's ApplyChatTemplate reads.</summary>
    internal string MessagesJson() =>
        JsonSerializer.Serialize(Messages!.Select(m => new Dictionary<string, string> { ["role"] = m.Role, ["content"] = m.Content }));
}

/// <summary>A prompt that, with the chat template applied, does not fit the model's context: an input problem, not a bug.</summary>
public sealed class PromptTooLongException(string message) : ArgumentException(message);

public enum FinishReason
{
    /// <summary>The model emitted an end-of-sequence token (included in the completion).</summary>
    Eos,
    /// <summary>The token budget (max new tokens or the context length) ran out.</summary>
    Length,
    /// <summary>The decoded text reached a stop string.</summary>
    Stop,
}

/// <summary>
/// One sampled completion. <see cref="LogProbs"/>[i] is the behaviour policy's log-probability of
/// <see cref="CompletionTokenIds"/>[i]: log_softmax(logits / temperature)[token] over the whole vocabulary (top-k /
/// top-p truncation NOT applied, which is what the trainer recomputes), at temperature 1 for greedy decoding.
/// </summary>
public sealed record RolloutSample(
    int PromptIndex,
    int SampleIndex,
    int[] PromptTokenIds,
    int[] CompletionTokenIds,
    float[] LogProbs,
    string Text,
    FinishReason FinishReason)
{
    public double SumLogProb => LogProbs.Sum(v => (double)v);
}

/// <summary>Sampling settings for one <see cref="RolloutEngine.Generate"/> call.</summary>
public sealed record SamplingSettings
{
    /// <summary>Samples per prompt (the GRPO group size).</summary>
    public int SamplesPerPrompt { get; init; } = 1;
    /// <summary>Softmax temperature; 0 means greedy decoding.</summary>
    public double Temperature { get; init; } = 1.0;
    /// <summary>Nucleus sampling mass in (0, 1]; 1 disables it.</summary>
    public double TopP { get; init; } = 1.0;
    /// <summary>Keep only the k most likely tokens; 0 disables it.</summary>
    public int TopK { get; init; }
    public int MaxNewTokens { get; init; } = 64;
    /// <summary>Generation of a sample stops once its text contains one of these; the text ends before it.</summary>
    public IReadOnlyList<string> StopStrings { get; init; } = [];
    public ulong Seed { get; init; }

    public bool Greedy => Temperature == 0;

    public void Validate()
    {
        if (SamplesPerPrompt < 1) throw new ArgumentException($"SamplesPerPrompt must be at least 1 (got {SamplesPerPrompt}).");
        if (!(Temperature >= 0) || double.IsInfinity(Temperature)) throw new ArgumentException($"Temperature must be ≥ 0 (got {Temperature}).");
        if (!(TopP > 0 && TopP <= 1)) throw new ArgumentException($"TopP must be in (0, 1] (got {TopP}).");
        if (TopK < 0) throw new ArgumentException($"TopK must be ≥ 0 (got {TopK}; 0 disables it).");
        if (MaxNewTokens < 1) throw new ArgumentException($"MaxNewTokens must be at least 1 (got {MaxNewTokens}).");
        if (StopStrings.Any(string.IsNullOrEmpty)) throw new ArgumentException("StopStrings must not contain empty strings.");
    }
}

/// <summary>How the engine loads its model.</summary>
public sealed record RolloutEngineOptions
{
    public required string ModelPath { get; init; }
    /// <summary>"cpu" (default) or "cuda" (CUDA build flavour only).</summary>
    public string ExecutionProvider { get; init; } = "cpu";
    /// <summary>Sequences per GenAI generator (GenAI caps a batch at 32); larger requests are split.</summary>
    public int MaxBatchSize { get; init; } = 32;
    /// <summary>ONNX Runtime intra-op threads; 0 keeps GenAI's default.</summary>
    public int IntraOpThreads { get; init; }
    /// <summary>How chat prompts are rendered: auto, none, chatml, llama3 or a Jinja file (<see cref="ChatTemplates"/>).</summary>
    public string ChatTemplate { get; init; } = ChatTemplates.Auto;
}
