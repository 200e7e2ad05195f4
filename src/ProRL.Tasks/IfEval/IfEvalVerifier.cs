using ProRL.Tasks.Model;
using ProRL.Tasks.Verification;

namespace ProRL.Tasks.IfEval;

/// <summary>Which IFEval score becomes the reward.</summary>
public enum IfEvalReward
{
    /// <summary>1 when every instruction is followed (strict), else 0. IFEval's prompt-level strict accuracy.</summary>
    AllStrict,
    /// <summary>1 when every instruction is followed under the loose variants, else 0.</summary>
    AllLoose,
    /// <summary>The fraction of instructions followed (strict): a continuous reward.</summary>
    FractionStrict,
    FractionLoose,
}

/// <summary>
/// Checks the instructions of an IFEval task. Strict: the response as is. Loose (as IFEval defines it): an instruction
/// counts as followed when any of eight variants passes — the response with or without its first line, its last line,
/// or both, each with and without markdown asterisks.
/// </summary>
public sealed class IfEvalVerifier(IfEvalReward reward = IfEvalReward.AllStrict) : PureVerifier
{
    public override string Domain => TaskDomains.IfEval;

    public static IReadOnlyList<HackClass> HackClasses { get; } =
    [
        new("ifeval/prompt-echo", "echoing the prompt, or its instruction sentences, which hold the keywords and cues checked"),
        new("ifeval/empty-response", "an empty or whitespace answer to negative constraints (no commas, fewer than N words)"),
        new("ifeval/non-english-case", "lower-case or capitalised text in another language for the English case checks"),
        new("ifeval/undetectable-language", "digits or symbols only for \"respond in language X\""),
    ];

    public IfEvalReward RewardMode { get; } = reward;

    public sealed record InstructionOutcome(string Id, bool Strict, bool Loose, string? Problem);

    public override VerificationResult Verify(TaskItem task, string response)
    {
        if (task.Instructions is not { Count: > 0 } instructions) return VerificationResult.Wrong("task has no instructions");
        // Sentences of the prompt copied into the response do not count towards following it: an echoed prompt holds
        // its own keywords, length and format cues. Text an instruction asks to reproduce (a phrase, a request) is exempt.
        var own = WithoutEchoedPrompt(task.Prompt, response, instructions);
        if (own.Trim().Length == 0 || !own.Any(char.IsLetterOrDigit))
            return new VerificationResult(0.0, "the response only echoes the prompt") { Fraction = 0.0 };
        // Both readings must follow an instruction, so this can only take reward away, never grant it.
        var outcomes = instructions.Select(i => Both(Check(i, response), ReferenceEquals(own, response) ? null : Check(i, own))).ToList();
        var strict = outcomes.Count(o => o.Strict) / (double)outcomes.Count;
        var loose = outcomes.Count(o => o.Loose) / (double)outcomes.Count;
        var value = RewardMode switch
        {
            IfEvalReward.AllStrict => strict == 1.0 ? 1.0 : 0.0,
            IfEvalReward.AllLoose => loose == 1.0 ? 1.0 : 0.0,
            IfEvalReward.FractionStrict => strict,
            _ => loose,
        };
        var failed = outcomes.Where(o => !o.Strict).Select(o => o.Problem is null ? o.Id : $"{o.Id} ({o.Problem})").ToList();
        var reason = $"{outcomes.Count(o => o.Strict)}/{outcomes.Count} strict, {outcomes.Count(o => o.Loose)}/{outcomes.Count} loose"
                     + (failed.Count > 0 ? "; not followed: " + string.Join(", ", failed) : "");
        return new VerificationResult(value, reason) { Fraction = RewardMode is IfEvalReward.AllLoose or IfEvalReward.FractionLoose ? loose : strict };
    }

    /// <summary>The response with every prompt sentence of eight words or more that it copies (case and spacing aside) removed.</summary>
    public static string WithoutEchoedPrompt(string? prompt, string response, IReadOnlyList<IfEvalInstruction> instructions)
    {
        if (string.IsNullOrWhiteSpace(prompt)) return response;
        var exempt = instructions.SelectMany(i => i.Args.Values).Where(v => v.ValueKind == System.Text.Json.JsonValueKind.String)
            .Select(v => Normalize(v.GetString()!)).Where(v => v.Length > 0).ToList();
        var result = response;
        foreach (var sentence in System.Text.RegularExpressions.Regex.Split(prompt, @"(?<=[.!?:;])\s+|\n+"))
        {
            var words = sentence.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
            var normalized = Normalize(sentence);
            if (words.Length < 8 || exempt.Any(e => e.Contains(normalized, StringComparison.Ordinal))) continue;
            var pattern = string.Join(@"\s+", words.Select(System.Text.RegularExpressions.Regex.Escape));
            result = System.Text.RegularExpressions.Regex.Replace(result, pattern, " ", System.Text.RegularExpressions.RegexOptions.IgnoreCase,
                TimeSpan.FromSeconds(1));
        }
        return result;
    }

    private static InstructionOutcome Both(InstructionOutcome original, InstructionOutcome? withoutEcho) => withoutEcho is null
        ? original
        : original with { Strict = original.Strict && withoutEcho.Strict, Loose = original.Loose && withoutEcho.Loose, Problem = original.Problem ?? withoutEcho.Problem };

    private static string Normalize(string text) => string.Join(' ', text.ToLowerInvariant().Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries));

    public static InstructionOutcome Check(IfEvalInstruction instruction, string response)
    {
        if (!IfEvalInstructions.Checkers.TryGetValue(instruction.Id, out var checker))
            return new InstructionOutcome(instruction.Id, false, false, "unsupported instruction");
        var args = new IfEvalInstructions.Args(instruction.Id, instruction.Args);
        try
        {
            var strict = response.Trim().Length > 0 && checker(response, args);
            var loose = strict || LooseVariants(response).Any(v => v.Trim().Length > 0 && checker(v, args));
            return new InstructionOutcome(instruction.Id, strict, loose, null);
        }
        catch (Exception ex) when (ex is ArgumentException or InvalidOperationException)
        {
            return new InstructionOutcome(instruction.Id, false, false, ex.Message);
        }
    }

    public static IEnumerable<string> LooseVariants(string response)
    {
        var lines = response.Split('\n');
        var withoutFirst = string.Join('\n', lines.Skip(1)).Trim();
        var withoutLast = string.Join('\n', lines.Take(lines.Length - 1)).Trim();
        var withoutBoth = string.Join('\n', lines.Skip(1).Take(lines.Length - 2)).Trim();
        foreach (var v in new[] { response, withoutFirst, withoutLast, withoutBoth })
        {
            yield return v;
            yield return v.Replace("*", "");
        }
    }
}
