using ProRL.Tasks.Code;
using ProRL.Tasks.IfEval;
using ProRL.Tasks.Logic;
using ProRL.Tasks.Mathematics;
using ProRL.Tasks.Model;
using ProRL.Tasks.Sandbox;
using ProRL.Tasks.Stem;
using ProRL.Tasks.Text;

namespace ProRL.Tasks.Verification;

/// <summary>How strictly the R1 response format is checked before the domain verifier runs.</summary>
public enum FormatRequirement
{
    /// <summary>No format check; the verifier looks at the text after the last <c>&lt;/think&gt;</c>.</summary>
    None,
    /// <summary>The response must be a non-empty <c>&lt;think&gt;…&lt;/think&gt;</c> then a non-empty answer, else reward 0.</summary>
    ThinkThenAnswer,
}

/// <summary>
/// Routes a task to the verifier of its domain, applies the optional R1 format check, and never throws on model output.
/// </summary>
public sealed class RewardScorer
{
    private readonly Dictionary<string, IVerifier> _verifiers;

    public RewardScorer(IEnumerable<IVerifier> verifiers, FormatRequirement format = FormatRequirement.None)
    {
        _verifiers = verifiers.ToDictionary(v => v.Domain, StringComparer.Ordinal);
        Format = format;
    }

    public FormatRequirement Format { get; }

    public IReadOnlyCollection<string> Domains => _verifiers.Keys;

    /// <summary>All five domain verifiers with default options; code runs in <paramref name="codeRunner"/>.</summary>
    public static RewardScorer CreateDefault(ICodeRunner codeRunner, FormatRequirement format = FormatRequirement.None,
        CodeVerifierOptions? codeOptions = null) =>
        new([
            new MathVerifier(),
            new CodeVerifier(codeRunner, codeOptions ?? new CodeVerifierOptions()),
            new StemVerifier(),
            new LogicVerifier(),
            new IfEvalVerifier(),
        ], format);

    private static bool ThinkingIsEmpty(string response)
    {
        var text = response.TrimStart();
        var close = text.IndexOf("</think>", StringComparison.Ordinal);
        return close >= "<think>".Length && text["<think>".Length..close].Trim().Length == 0;
    }

    public async ValueTask<VerificationResult> ScoreAsync(TaskItem task, string response, CancellationToken cancellationToken = default)
    {
        if (!_verifiers.TryGetValue(task.Domain, out var verifier))
            return VerificationResult.Wrong($"no verifier for domain '{task.Domain}'");
        if (Format == FormatRequirement.ThinkThenAnswer && !ResponseText.HasThinkThenAnswerFormat(response))
            return VerificationResult.Malformed("format: expected <think>…</think> followed by an answer");
        // An empty <think></think> meets the letter of the format check, not its purpose.
        if (Format == FormatRequirement.ThinkThenAnswer && ThinkingIsEmpty(response))
            return VerificationResult.Malformed("format: the <think></think> block is empty");
        try
        {
            return await verifier.VerifyAsync(task, ResponseText.AfterThinking(response), cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
        catch (Exception ex)
        {
            // A verifier bug must not stop a run: the sample earns 0 and the reason says why.
            return VerificationResult.Wrong($"verifier error: {ex.GetType().Name}: {ex.Message}");
        }
    }
}
