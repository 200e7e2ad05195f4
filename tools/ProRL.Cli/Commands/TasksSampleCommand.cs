using System.ComponentModel;
using ProRL.Tasks.Datasets;
using ProRL.Tasks.Logic;
using ProRL.Tasks.Mixture;
using ProRL.Tasks.Model;
using Spectre.Console;
using Spectre.Console.Cli;

namespace ProRL.Cli.Commands;

/// <summary>
/// `prorl tasks sample --domain D [--family F] --count N --seed S`: prints tasks as JSONL in the dataset schema, each
/// with its reference answer. logic and math (arithmetic) are generated; code, stem and ifeval come from the shipped
/// sample sets.
/// </summary>
public sealed class TasksSampleCommand : Command<TasksSampleCommand.Settings>
{
    public sealed class Settings : CommandSettings
    {
        [CommandOption("--domain <D>"), Description("logic, math, code, stem or ifeval.")]
        public string? Domain { get; init; }

        [CommandOption("--family <F>"), Description("logic: one family (default: every training family); 'held-out' for the held-out ones.")]
        public string? Family { get; init; }

        [CommandOption("--count <N>")] public int Count { get; init; } = 10;

        [CommandOption("--seed <S>")] public int Seed { get; init; }

        [CommandOption("--difficulty <K>"), Description("logic/math: fixed difficulty (default: drawn from 0..2).")]
        public int? Difficulty { get; init; }

        public override ValidationResult Validate()
        {
            if (Domain is null || !TaskDomains.IsKnown(Domain))
                return ValidationResult.Error($"--domain must be one of {string.Join(", ", TaskDomains.All)}");
            if (Count < 1) return ValidationResult.Error("--count must be at least 1");
            if (Family is not null && Domain != TaskDomains.Logic) return ValidationResult.Error("--family applies to --domain logic only");
            if (Family is not null && Family != "held-out" && !LogicGenerators.IsKnown(Family))
                return ValidationResult.Error($"--family: unknown family '{Family}' (known: {string.Join(", ", LogicGenerators.Families.Select(f => f.Name))}, held-out)");
            if (Difficulty is < 0 or > 4) return ValidationResult.Error("--difficulty must be in 0..4");
            return ValidationResult.Success();
        }
    }

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        var (min, max) = settings.Difficulty is { } d ? (d, d) : (0, 2);
        var source = settings.Domain switch
        {
            TaskDomains.Logic => BuiltInSources.Logic(1.0, Families(settings.Family), min, max),
            TaskDomains.Math => BuiltInSources.Arithmetic(1.0, min, max),
            var other => BuiltInSources.Sample(other!),
        };
        var mixture = new TaskMixture([source], settings.Seed);
        foreach (var task in mixture.Take(settings.Count)) Console.Out.WriteLine(TaskJson.ToJsonLine(task));
        return 0;
    }

    private static IReadOnlyList<string>? Families(string? family) => family switch
    {
        null => null,
        "held-out" => LogicGenerators.HeldOutFamilies,
        _ => [family],
    };
}
