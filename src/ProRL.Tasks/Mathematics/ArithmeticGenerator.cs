using System.Globalization;
using ProRL.Tasks.Mixture;
using ProRL.Tasks.Model;

namespace ProRL.Tasks.Mathematics;

/// <summary>
/// Procedural arithmetic for the math domain (answers in <c>\boxed{}</c>). Difficulty 0: one-digit sums and
/// differences; 1: two-digit +/−/×; 2: three operations with precedence; 3: fraction arithmetic; 4: linear equations.
/// </summary>
public static class ArithmeticGenerator
{
    public const int MaxDifficulty = 4;

    public static TaskItem Generate(int seed, int difficulty)
    {
        if (difficulty is < 0 or > MaxDifficulty)
            throw new ArgumentOutOfRangeException(nameof(difficulty), difficulty, $"arithmetic difficulties are 0..{MaxDifficulty}");
        var random = new DeterministicRandom(SeedMix.Combine(SeedMix.Hash("arithmetic"), (ulong)(uint)seed) ^ (ulong)difficulty);
        var (question, answer) = difficulty switch
        {
            0 => OneDigit(random),
            1 => TwoDigit(random),
            2 => Precedence(random),
            3 => Fractions(random),
            _ => LinearEquation(random),
        };
        var prompt = difficulty == 0 ? $"{question} = ? Answer in \\boxed{{}}." : $"{question} Put the final answer in \\boxed{{}}.";
        return new TaskItem
        {
            Id = $"math-arith-d{difficulty}-s{seed.ToString(CultureInfo.InvariantCulture)}",
            Domain = TaskDomains.Math,
            Prompt = prompt,
            Answer = answer,
            Family = "arithmetic",
            Seed = seed,
            Difficulty = difficulty,
        };
    }

    private static string Text(long v) => v.ToString(CultureInfo.InvariantCulture);

    private static (string, string) OneDigit(DeterministicRandom r)
    {
        var a = r.Next(0, 10);
        if (r.NextBool())
        {
            var b = r.Next(0, 10 - a);
            return ($"{a}+{b}", Text(a + b));
        }
        var c = r.Next(0, a + 1);
        return ($"{a}-{c}", Text(a - c));
    }

    private static (string, string) TwoDigit(DeterministicRandom r)
    {
        int a = r.Next(10, 100), b = r.Next(2, 100);
        return r.Next(3) switch
        {
            0 => ($"What is {a} + {b}?", Text(a + b)),
            1 => ($"What is {a} - {b}?", Text(a - b)),
            _ => ($"What is {a} \\times {b % 12 + 2}?", Text(a * (b % 12 + 2))),
        };
    }

    private static (string, string) Precedence(DeterministicRandom r)
    {
        int a = r.Next(1, 20), b = r.Next(1, 10), c = r.Next(1, 10), d = r.Next(1, 30);
        return ($"Compute {a} + {b} \\times {c} - {d}.", Text(a + b * c - d));
    }

    private static (string, string) Fractions(DeterministicRandom r)
    {
        long a = r.Next(1, 9), b = r.Next(2, 10), c = r.Next(1, 9), d = r.Next(2, 10);
        var (num, den) = (a * d + c * b, b * d);
        var g = Gcd(num, den);
        var answer = den / g == 1 ? Text(num / g) : $"\\frac{{{Text(num / g)}}}{{{Text(den / g)}}}";
        return ($"Compute $\\frac{{{a}}}{{{b}}} + \\frac{{{c}}}{{{d}}}$ in lowest terms.", answer);
    }

    private static (string, string) LinearEquation(DeterministicRandom r)
    {
        long x = r.Next(-12, 13), a = r.Next(2, 10), b = r.Next(-20, 21);
        var sign = b < 0 ? "-" : "+";
        return ($"Solve for $x$: ${a}x {sign} {System.Math.Abs(b)} = {a * x + b}$.", Text(x));
    }

    private static long Gcd(long a, long b) => b == 0 ? System.Math.Abs(a) : Gcd(b, a % b);
}
