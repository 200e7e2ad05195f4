using System.Globalization;
using ProRL.Tasks.Logic.Families;
using ProRL.Tasks.Mixture;
using ProRL.Tasks.Model;

namespace ProRL.Tasks.Logic;

/// <summary>The registry of logic puzzle families and the entry point for generating logic tasks.</summary>
public static class LogicGenerators
{
    public static IReadOnlyList<ILogicFamily> Families { get; } =
    [
        new DigitSumFamily(), new LetterCountingFamily(), new SequenceFamily(), new BaseConversionFamily(),
        new ReverseWordFamily(), new WordSortingFamily(), new CountdownFamily(), new MiniSudokuFamily(),
        new SatFamily(), new KnightsAndKnavesFamily(), new MazeFamily(),
        new GraphColoringFamily(), new TowerOfHanoiFamily(), new CryptarithmFamily(),
    ];

    /// <summary>Families used for training (not held out).</summary>
    public static IReadOnlyList<string> TrainingFamilies { get; } = Families.Where(f => !f.HeldOut).Select(f => f.Name).ToList();

    /// <summary>Evaluation-only families, for out-of-distribution measurements.</summary>
    public static IReadOnlyList<string> HeldOutFamilies { get; } = Families.Where(f => f.HeldOut).Select(f => f.Name).ToList();

    /// <summary>Families whose difficulty 0 has a one-token answer and a prompt of a few dozen characters: for tiny models.</summary>
    public static IReadOnlyList<string> VeryEasyFamilies { get; } = ["digit_sum", "letter_counting", "sequence_continuation", "base_conversion"];

    public static ILogicFamily Get(string family) =>
        Families.FirstOrDefault(f => f.Name == family)
        ?? throw new ArgumentException($"unknown logic family '{family}' (known: {string.Join(", ", Families.Select(f => f.Name))})", nameof(family));

    public static bool IsKnown(string family) => Families.Any(f => f.Name == family);

    /// <summary>The puzzle for (family, seed, difficulty): the same arguments always give the same puzzle.</summary>
    public static LogicPuzzle CreatePuzzle(string family, int seed, int difficulty)
    {
        var generator = Get(family);
        if (difficulty < 0 || difficulty > generator.MaxDifficulty)
            throw new ArgumentOutOfRangeException(nameof(difficulty), difficulty, $"family '{family}' has difficulties 0..{generator.MaxDifficulty}");
        var random = new DeterministicRandom(SeedMix.Combine(SeedMix.Hash(family), (ulong)(uint)seed) ^ (ulong)difficulty * 0x9E3779B97F4A7C15UL);
        return generator.Create(random, difficulty);
    }

    public static TaskItem Generate(string family, int seed, int difficulty)
    {
        var puzzle = CreatePuzzle(family, seed, difficulty);
        return new TaskItem
        {
            Id = $"logic-{family}-d{difficulty}-s{seed.ToString(CultureInfo.InvariantCulture)}",
            Domain = TaskDomains.Logic,
            Prompt = puzzle.Prompt,
            Answer = puzzle.ReferenceAnswer,
            Family = family,
            Seed = seed,
            Difficulty = difficulty,
            Metadata = new Dictionary<string, string> { ["held_out"] = Get(family).HeldOut ? "true" : "false" },
        };
    }
}
