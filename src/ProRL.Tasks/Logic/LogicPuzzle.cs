using ProRL.Tasks.Model;
using ProRL.Tasks.Mixture;

namespace ProRL.Tasks.Logic;

/// <summary>
/// One generated puzzle: the prompt, one reference solution, and an exact grader for the text inside
/// <c>&lt;answer&gt;…&lt;/answer&gt;</c>. Graders check validity, so any correct solution earns full reward.
/// </summary>
public sealed record LogicPuzzle(string Prompt, string ReferenceAnswer, Func<string, VerificationResult> Grade);

/// <summary>A procedural puzzle family: deterministic in (seed, difficulty).</summary>
public interface ILogicFamily
{
    string Name { get; }

    /// <summary>Held-out families are for evaluation only (out-of-distribution measurements), never for training.</summary>
    bool HeldOut { get; }

    /// <summary>Difficulties run from 0 (trivial, one short answer) to this value.</summary>
    int MaxDifficulty { get; }

    LogicPuzzle Create(DeterministicRandom random, int difficulty);
}

/// <summary>Grading helpers shared by the families. Partial credit is capped at 0.5 so a correct answer always stands out.</summary>
public static class LogicGrades
{
    public const double PartialCap = 0.5;

    public static string AnswerInstruction => "Put your final answer inside <answer></answer>.";

    public static VerificationResult Partial(double fraction, string reason, string answer) =>
        fraction >= 1.0 ? VerificationResult.Correct(reason, answer) : VerificationResult.Partial(PartialCap * fraction, reason, answer);

    public static int? ParseInt(string text)
    {
        var t = text.Trim().TrimEnd('.').Replace(",", "").Trim();
        return int.TryParse(t, System.Globalization.NumberStyles.AllowLeadingSign, System.Globalization.CultureInfo.InvariantCulture, out var v) ? v : null;
    }

    /// <summary>Exact → 1; a near miss earns up to <see cref="PartialCap"/>, falling off with relative distance.</summary>
    public static VerificationResult Numeric(long expected, string answer)
    {
        var value = ParseInt(answer);
        if (value is null) return VerificationResult.Malformed($"'{Short(answer)}' is not an integer");
        if (value == expected) return VerificationResult.Correct("exact", answer);
        var closeness = 1.0 - System.Math.Abs(value.Value - expected) / (System.Math.Abs((double)expected) + 1.0);
        return VerificationResult.Partial(PartialCap * System.Math.Max(0, closeness) * 0.5, $"{value} instead of {expected}", answer);
    }

    /// <summary>Fraction of equal positions between two equal-length sequences (0 when lengths differ).</summary>
    public static double PositionalMatch<T>(IReadOnlyList<T> expected, IReadOnlyList<T> actual) =>
        expected.Count == 0 || expected.Count != actual.Count ? 0 : expected.Zip(actual).Count(p => Equals(p.First, p.Second)) / (double)expected.Count;

    public static string Short(string s) => s.Length <= 40 ? s : s[..37] + "...";
}
