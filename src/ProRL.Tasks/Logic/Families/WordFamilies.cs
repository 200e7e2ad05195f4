using ProRL.Tasks.Mixture;
using ProRL.Tasks.Model;

namespace ProRL.Tasks.Logic.Families;

/// <summary>Sort words alphabetically (descending at the top difficulties).</summary>
public sealed class WordSortingFamily : ILogicFamily
{
    public string Name => "word_sorting";
    public bool HeldOut => false;
    public int MaxDifficulty => 4;

    public LogicPuzzle Create(DeterministicRandom random, int difficulty)
    {
        var pool = WordBank.Short.Concat(WordBank.Long).Distinct().ToList();
        random.Shuffle(pool);
        var words = pool.Take(3 + difficulty).ToList();
        var descending = difficulty >= 3 && random.NextBool();
        var sorted = descending ? words.OrderByDescending(w => w, StringComparer.Ordinal).ToList() : words.OrderBy(w => w, StringComparer.Ordinal).ToList();
        var order = descending ? "reverse alphabetical (Z to A)" : "alphabetical";
        var prompt = $"Sort these words in {order} order: {string.Join(", ", words)}. Answer as a comma-separated list. {LogicGrades.AnswerInstruction}";
        return new LogicPuzzle(prompt, string.Join(", ", sorted), answer =>
        {
            var given = answer.Split([',', ' ', '\n'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                .Select(w => w.ToLowerInvariant()).ToList();
            if (!given.OrderBy(w => w, StringComparer.Ordinal).SequenceEqual(sorted.OrderBy(w => w, StringComparer.Ordinal)))
                return VerificationResult.Wrong("the answer does not contain exactly the given words", answer);
            return LogicGrades.Partial(LogicGrades.PositionalMatch(sorted, given), "sorted", answer);
        });
    }
}

/// <summary>Write a word backwards.</summary>
public sealed class ReverseWordFamily : ILogicFamily
{
    public string Name => "reverse_word";
    public bool HeldOut => false;
    public int MaxDifficulty => 4;

    public LogicPuzzle Create(DeterministicRandom random, int difficulty)
    {
        var word = difficulty switch
        {
            0 => random.Pick(WordBank.Short.Where(w => w.Length == 3).ToList()),
            1 => random.Pick(WordBank.Short),
            2 => random.Pick(WordBank.Long),
            _ => string.Join("", Enumerable.Range(0, difficulty - 1).Select(_ => random.Pick(WordBank.Long))),
        };
        var reversed = new string(word.Reverse().ToArray());
        var prompt = difficulty == 0 ? $"Reverse \"{word}\". Reply <answer>...</answer>." : $"Write \"{word}\" backwards. {LogicGrades.AnswerInstruction}";
        return new LogicPuzzle(prompt, reversed, answer =>
        {
            var given = answer.Trim().Trim('"', '\'').ToLowerInvariant();
            return LogicGrades.Partial(LogicGrades.PositionalMatch(reversed.ToList(), given.ToList()), given == reversed ? "exact" : $"expected {reversed}", answer);
        });
    }
}
