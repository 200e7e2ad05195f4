using ProRL.Tasks.Model;
using ProRL.Tasks.Text;
using ProRL.Tasks.Verification;

namespace ProRL.Tasks.Logic;

/// <summary>
/// Grades the text inside the last <c>&lt;answer&gt;…&lt;/answer&gt;</c>. Tasks from a known family (with seed and
/// difficulty) are regenerated and graded for validity; other logic tasks compare with the reference answer exactly
/// (case and whitespace ignored).
/// </summary>
public sealed class LogicVerifier : PureVerifier
{
    public override string Domain => TaskDomains.Logic;

    public static IReadOnlyList<HackClass> HackClasses { get; } =
    [
        new("logic/several-answer-tags", "several <answer> tags, one per candidate"),
        new("logic/empty-answer", "an empty <answer></answer>"),
        new("logic/candidates-in-one-tag", "several candidates inside one <answer> tag"),
    ];

    public override VerificationResult Verify(TaskItem task, string response)
    {
        var answer = ResponseText.LastTagContent(response, "answer");
        if (answer is null) return VerificationResult.Malformed("no <answer>…</answer> found");
        // One answer per response: several tags would let a policy list candidates; an empty one is no answer.
        if (CountAnswerTags(response) > 1) return VerificationResult.Malformed("several <answer> tags; give exactly one answer");
        if (answer.Length == 0) return VerificationResult.Malformed("empty <answer></answer>");
        if (task.Family is { } family && LogicGenerators.IsKnown(family) && task.Seed is { } seed && task.Difficulty is { } difficulty)
        {
            LogicPuzzle puzzle;
            try { puzzle = LogicGenerators.CreatePuzzle(family, seed, difficulty); }
            catch (ArgumentOutOfRangeException ex) { return VerificationResult.Wrong($"task cannot be regenerated: {ex.Message}"); }
            return puzzle.Grade(answer);
        }
        if (task.Answer is null) return VerificationResult.Wrong("task has neither a known family nor a reference answer");
        return Canonical(answer) == Canonical(task.Answer)
            ? VerificationResult.Correct("matches the reference", answer)
            : VerificationResult.Wrong($"expected '{LogicGrades.Short(task.Answer)}'", answer);
    }

    private static int CountAnswerTags(string text)
    {
        var count = 0;
        for (var i = text.IndexOf("<answer>", StringComparison.OrdinalIgnoreCase); i >= 0; i = text.IndexOf("<answer>", i + 8, StringComparison.OrdinalIgnoreCase)) count++;
        return count;
    }

    private static string Canonical(string s) => string.Concat(s.Where(c => !char.IsWhiteSpace(c))).ToLowerInvariant().TrimEnd('.');
}
