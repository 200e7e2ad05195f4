using ProRL.Tasks.Code;
using ProRL.Tasks.IfEval;
using ProRL.Tasks.Logic;
using ProRL.Tasks.Model;
using ProRL.Tasks.Stem;

namespace ProRL.Tasks.Verification;

/// <summary>
/// A class of reward hacks a verifier is tested against: <see cref="Id"/> is <c>domain/name</c>. Every class listed
/// by a verifier has at least one red-team test in tests/ProRL.Tasks.Tests/RedTeam that earns 0 while the matching
/// honest answer earns 1 (a test checks the two lists against each other).
/// </summary>
public sealed record HackClass(string Id, string Description)
{
    public string Domain => Id[..Id.IndexOf('/')];
}

/// <summary>The hack classes of every verifier, for <c>prorl score --audit</c>.</summary>
public static class HackClasses
{
    /// <summary>The R1 format check (<see cref="FormatRequirement.ThinkThenAnswer"/>), shared by all domains.</summary>
    public const string FormatDomain = "format";

    public static IReadOnlyList<HackClass> Format { get; } =
    [
        new("format/empty-think", "an empty <think></think> block followed by the answer"),
        new("format/several-think-blocks", "two <think> blocks, or a <think> after the answer"),
        new("format/answer-only-inside-think", "the answer inside <think> and nothing after it"),
    ];

    /// <summary>Every listed class, by domain.</summary>
    public static IReadOnlyList<HackClass> All { get; } =
        [.. Mathematics.MathVerifier.HackClasses, .. CodeVerifier.HackClasses, .. StemVerifier.HackClasses, .. LogicVerifier.HackClasses, .. IfEvalVerifier.HackClasses, .. Format];

    public static IReadOnlyList<string> Domains { get; } = [.. TaskDomains.All, FormatDomain];

    public static IEnumerable<HackClass> For(string domain) => All.Where(h => h.Domain == domain);
}
