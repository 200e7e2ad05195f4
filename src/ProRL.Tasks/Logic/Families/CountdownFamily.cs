using System.Globalization;
using System.Text.RegularExpressions;
using ProRL.Tasks.Mathematics;
using ProRL.Tasks.Mixture;
using ProRL.Tasks.Model;

namespace ProRL.Tasks.Logic.Families;

/// <summary>Countdown: combine every given number exactly once with + − × ÷ to reach the target. Any valid expression wins.</summary>
public sealed partial class CountdownFamily : ILogicFamily
{
    public string Name => "countdown";
    public bool HeldOut => false;
    public int MaxDifficulty => 4;

    public LogicPuzzle Create(DeterministicRandom random, int difficulty)
    {
        var count = difficulty == 0 ? 2 : System.Math.Min(2 + difficulty, 5);
        var max = difficulty == 0 ? 4 : 10 + 5 * difficulty;
        while (true)
        {
            var numbers = Enumerable.Range(0, count).Select(_ => random.Next(1, max + 1)).ToList();
            var (expression, value) = RandomExpression(random, numbers, difficulty == 0);
            if (value < 1 || value > 1000 || value != System.Math.Floor(value)) continue;
            var target = (long)value;
            var shown = string.Join(" ", numbers.OrderBy(n => n));
            var prompt = difficulty == 0
                ? $"Use {shown} once each to make {target}. Reply <answer>expr</answer>."
                : $"Using each of the numbers {shown} exactly once, with + - * / and parentheses, write an expression equal to {target}. {LogicGrades.AnswerInstruction}";
            return new LogicPuzzle(prompt, expression, answer => Grade(numbers, target, answer));
        }
    }

    /// <summary>Folds the numbers in a random order with random operators (difficulty 0: addition only).</summary>
    private static (string Expression, double Value) RandomExpression(DeterministicRandom random, List<int> numbers, bool additionOnly)
    {
        var order = numbers.ToList();
        random.Shuffle(order);
        var text = order[0].ToString(CultureInfo.InvariantCulture);
        double value = order[0];
        foreach (var n in order.Skip(1))
        {
            var op = additionOnly ? '+' : "+-*/"[random.Next(4)];
            if (op == '/' && (n == 0 || value % n != 0)) op = '*';
            if (op == '-' && value - n < 1) op = '+';
            value = op switch { '+' => value + n, '-' => value - n, '*' => value * n, _ => value / n };
            text = op is '*' or '/' && text.Contains(' ') ? $"({text}) {op} {n}" : $"{text} {op} {n}";
        }
        return (text, value);
    }

    internal static VerificationResult Grade(IReadOnlyList<int> numbers, long target, string answer)
    {
        var expression = answer.Split('=')[0].Replace('×', '*').Replace('÷', '/').Replace("\\times", "*").Trim();
        if (expression.Length == 0 || !AllowedCharacters().IsMatch(expression))
            return VerificationResult.Malformed($"'{LogicGrades.Short(answer)}' is not an arithmetic expression");
        var used = NumberPattern().Matches(expression).Select(m => int.Parse(m.Value, CultureInfo.InvariantCulture)).OrderBy(n => n).ToList();
        if (!used.SequenceEqual(numbers.OrderBy(n => n)))
            return VerificationResult.Wrong($"uses {string.Join(" ", used)}, must use {string.Join(" ", numbers.OrderBy(n => n))} once each", answer);
        var parsed = MathParser.TryParse(expression);
        if (parsed is null) return VerificationResult.Malformed("the expression does not parse");
        var value = parsed.Evaluate(new Dictionary<string, double>());
        if (double.IsNaN(value)) return VerificationResult.Wrong("the expression is undefined (division by zero)", answer);
        if (System.Math.Abs(value - target) < 1e-9) return VerificationResult.Correct($"= {target}", answer);
        var closeness = System.Math.Max(0, 1 - System.Math.Abs(value - target) / System.Math.Max(1, target));
        return VerificationResult.Partial(LogicGrades.PartialCap * 0.5 * closeness, $"= {value.ToString(CultureInfo.InvariantCulture)}, not {target}", answer);
    }

    [GeneratedRegex(@"^[\d\s+\-*/()]+$")]
    private static partial Regex AllowedCharacters();

    [GeneratedRegex(@"\d+")]
    private static partial Regex NumberPattern();
}
