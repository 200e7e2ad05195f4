using System.Text.Json;

namespace ProRL.Tasks.Model;

/// <summary>The domains the reward scorer knows. A task's <see cref="TaskItem.Domain"/> is one of these.</summary>
public static class TaskDomains
{
    public const string Math = "math";
    public const string Code = "code";
    public const string Stem = "stem";
    public const string Logic = "logic";
    public const string IfEval = "ifeval";

    public static readonly IReadOnlyList<string> All = [Math, Code, Stem, Logic, IfEval];

    public static bool IsKnown(string domain) => All.Contains(domain);
}

/// <summary>One code test: either a stdin/stdout pair or a Python assert statement.</summary>
public sealed record CodeTest
{
    public string? Input { get; init; }
    public string? Output { get; init; }
    public string? Assert { get; init; }

    public bool IsAssert => Assert is not null;

    public static CodeTest StdIo(string input, string output) => new() { Input = input, Output = output };
    public static CodeTest AssertStatement(string statement) => new() { Assert = statement };
}

/// <summary>One IFEval instruction: its id (e.g. <c>length_constraints:number_words</c>) and keyword arguments.</summary>
public sealed record IfEvalInstruction(string Id, IReadOnlyDictionary<string, JsonElement> Args)
{
    public static IfEvalInstruction Create(string id, object? args = null) =>
        new(id, args is null
            ? new Dictionary<string, JsonElement>()
            : JsonSerializer.SerializeToElement(args).EnumerateObject().ToDictionary(p => p.Name, p => p.Value));
}

/// <summary>
/// A verifiable task as datasets hold it. Which reference field is set depends on the domain:
/// math → <see cref="Answer"/>; stem → <see cref="Answer"/> (a letter) and <see cref="Choices"/>;
/// code → <see cref="Tests"/>; ifeval → <see cref="Instructions"/>; logic → <see cref="Family"/>, <see cref="Seed"/>,
/// <see cref="Difficulty"/> (and <see cref="Answer"/>, one reference solution).
/// </summary>
public sealed record TaskItem
{
    public required string Id { get; init; }
    public required string Domain { get; init; }
    public required string Prompt { get; init; }
    public string? Answer { get; init; }
    public IReadOnlyList<string>? Choices { get; init; }
    public IReadOnlyList<CodeTest>? Tests { get; init; }
    public IReadOnlyList<IfEvalInstruction>? Instructions { get; init; }
    public string? Family { get; init; }
    public int? Seed { get; init; }
    public int? Difficulty { get; init; }
    /// <summary>Free-form extra fields (source, split, held-out flag, …); never used for scoring.</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; init; } = new Dictionary<string, string>();
}
