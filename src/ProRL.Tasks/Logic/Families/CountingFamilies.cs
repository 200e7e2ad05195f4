using System.Globalization;
using ProRL.Tasks.Mixture;
using ProRL.Tasks.Model;

namespace ProRL.Tasks.Logic.Families;

/// <summary>How many times does a letter occur in a word (or phrase, at higher difficulty)?</summary>
public sealed class LetterCountingFamily : ILogicFamily
{
    public string Name => "letter_counting";
    public bool HeldOut => false;
    public int MaxDifficulty => 4;

    public LogicPuzzle Create(DeterministicRandom random, int difficulty)
    {
        var text = difficulty switch
        {
            0 => random.Pick(WordBank.Short),
            1 => random.Pick(WordBank.Long),
            _ => string.Join(' ', Enumerable.Range(0, difficulty).Select(_ => random.Pick(random.NextBool() ? WordBank.Long : WordBank.Short))),
        };
        var letters = text.Where(char.IsLetter).ToList();
        // Mostly a letter that occurs; sometimes one that does not, so "0" is a possible answer.
        var letter = random.Next(5) == 0 ? (char)random.Next('a', 'z' + 1) : random.Pick(letters);
        var count = text.Count(c => c == letter);
        var prompt = difficulty == 0
            ? $"How many '{letter}' in \"{text}\"? Reply <answer>N</answer>."
            : $"How many times does the letter '{letter}' appear in \"{text}\"? {LogicGrades.AnswerInstruction}";
        return new LogicPuzzle(prompt, count.ToString(CultureInfo.InvariantCulture), a => LogicGrades.Numeric(count, a));
    }
}

/// <summary>The sum of the decimal digits of a number. Difficulty 0 has one-digit answers.</summary>
public sealed class DigitSumFamily : ILogicFamily
{
    public string Name => "digit_sum";
    public bool HeldOut => false;
    public int MaxDifficulty => 4;

    public LogicPuzzle Create(DeterministicRandom random, int difficulty)
    {
        long number;
        if (difficulty == 0)
        {
            var tens = random.Next(1, 9);
            number = tens * 10 + random.Next(0, 10 - tens); // digit sum stays below 10
        }
        else
        {
            var digits = 2 + 2 * difficulty;
            number = random.Next(1, 10);
            for (var i = 1; i < digits; i++) number = number * 10 + random.Next(10);
        }
        var sum = number.ToString(CultureInfo.InvariantCulture).Sum(c => c - '0');
        var prompt = difficulty == 0
            ? $"Digit sum of {number}? Reply <answer>N</answer>."
            : $"What is the sum of the digits of {number}? {LogicGrades.AnswerInstruction}";
        return new LogicPuzzle(prompt, sum.ToString(CultureInfo.InvariantCulture), a => LogicGrades.Numeric(sum, a));
    }
}

/// <summary>Continue an integer sequence: arithmetic, geometric, quadratic, Fibonacci-like by difficulty.</summary>
public sealed class SequenceFamily : ILogicFamily
{
    public string Name => "sequence_continuation";
    public bool HeldOut => false;
    public int MaxDifficulty => 4;

    public LogicPuzzle Create(DeterministicRandom random, int difficulty)
    {
        var terms = new List<long>();
        switch (difficulty)
        {
            case 0:
            {
                var start = random.Next(0, 4);
                var step = random.Next(1, 3);
                for (var i = 0; i < 4; i++) terms.Add(start + step * i); // the 4th term (the answer) is at most 9
                break;
            }
            case 1:
            {
                long start = random.Next(-20, 40), step = random.Next(-9, 12);
                if (step == 0) step = 3;
                for (var i = 0; i < 6; i++) terms.Add(start + step * i);
                break;
            }
            case 2:
            {
                long value = random.Next(1, 6), ratio = random.Next(2, 4);
                for (var i = 0; i < 6; i++, value *= ratio) terms.Add(value);
                break;
            }
            case 3:
            {
                long a = random.Next(1, 4), b = random.Next(-3, 5), c = random.Next(-5, 6);
                for (var i = 0; i < 6; i++) terms.Add(a * i * i + b * i + c);
                break;
            }
            default:
            {
                long x = random.Next(1, 6), y = random.Next(1, 8);
                terms.Add(x); terms.Add(y);
                for (var i = 2; i < 7; i++) terms.Add(terms[i - 1] + terms[i - 2]);
                break;
            }
        }
        var next = terms[^1];
        var shown = string.Join(", ", terms.Take(terms.Count - 1));
        var prompt = difficulty == 0
            ? $"Next: {shown}, ? Reply <answer>N</answer>."
            : $"What is the next number in the sequence {shown}, …? {LogicGrades.AnswerInstruction}";
        return new LogicPuzzle(prompt, next.ToString(CultureInfo.InvariantCulture), a => LogicGrades.Numeric(next, a));
    }
}

/// <summary>Convert a number between bases 2–16.</summary>
public sealed class BaseConversionFamily : ILogicFamily
{
    private const string Digits = "0123456789abcdef";
    public string Name => "base_conversion";
    public bool HeldOut => false;
    public int MaxDifficulty => 4;

    public LogicPuzzle Create(DeterministicRandom random, int difficulty)
    {
        var (value, from, to) = difficulty switch
        {
            0 => (random.Next(1, 8), 2, 10),
            1 => (random.Next(2, 16), 10, 2),
            2 => (random.Next(16, 256), 10, random.Pick(new[] { 2, 8, 16 })),
            3 => (random.Next(100, 4096), random.Pick(new[] { 2, 8, 16 }), 10),
            _ => (random.Next(256, 65536), random.Pick(new[] { 3, 5, 7, 16 }), random.Pick(new[] { 2, 6, 9, 12 })),
        };
        var source = ToBase(value, from);
        var expected = ToBase(value, to);
        var prompt = difficulty == 0
            ? $"Binary {source} in decimal? Reply <answer>N</answer>."
            : $"Convert the base-{from} number {source} to base {to} (digits above 9 as lower-case letters). {LogicGrades.AnswerInstruction}";
        return new LogicPuzzle(prompt, expected, answer =>
        {
            var given = answer.Trim().ToLowerInvariant().TrimStart('0');
            if (given.Length == 0 && answer.Trim().Length > 0) given = "0";
            if (given.Any(c => Digits.IndexOf(c) is < 0 || Digits.IndexOf(c) >= to))
                return VerificationResult.Malformed($"'{LogicGrades.Short(answer)}' is not a base-{to} number");
            return LogicGrades.Partial(LogicGrades.PositionalMatch(expected.ToList(), given.ToList()), given == expected ? "exact" : $"expected {expected}", answer);
        });
    }

    public static string ToBase(long value, int radix)
    {
        if (value == 0) return "0";
        var chars = new List<char>();
        for (var v = value; v > 0; v /= radix) chars.Add(Digits[(int)(v % radix)]);
        chars.Reverse();
        return new string(chars.ToArray());
    }
}
