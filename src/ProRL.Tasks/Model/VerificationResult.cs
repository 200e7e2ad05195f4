namespace ProRL.Tasks.Model;

/// <summary>
/// The outcome of verifying one response: a reward in [0, 1] and a short human-readable reason.
/// <see cref="Fraction"/> is the share of sub-checks passed (tests, instructions, clauses) where that makes sense.
/// </summary>
public sealed record VerificationResult(double Reward, string Reason)
{
    public double? Fraction { get; init; }
    public string? ExtractedAnswer { get; init; }
    public bool FormatOk { get; init; } = true;

    public bool IsCorrect => Reward >= 1.0;

    public static VerificationResult Correct(string reason = "correct", string? extracted = null) =>
        new(1.0, reason) { ExtractedAnswer = extracted, Fraction = 1.0 };

    public static VerificationResult Wrong(string reason, string? extracted = null) =>
        new(0.0, reason) { ExtractedAnswer = extracted, Fraction = 0.0 };

    /// <summary>A reward clamped to [0, 1]; NaN becomes 0 so that a buggy partial-credit rule cannot poison training.</summary>
    public static VerificationResult Partial(double reward, string reason, string? extracted = null)
    {
        var clamped = double.IsNaN(reward) ? 0.0 : Math.Clamp(reward, 0.0, 1.0);
        return new VerificationResult(clamped, reason) { ExtractedAnswer = extracted, Fraction = clamped };
    }

    public static VerificationResult Malformed(string reason) => new(0.0, reason) { FormatOk = false, Fraction = 0.0 };
}
