using ProRL.Tasks.Mixture;
using ProRL.Tasks.Model;

namespace ProRL.Tasks.Logic.Families;

/// <summary>4×4 sudoku (2×2 boxes). More blanks with difficulty. Any valid completion of the givens is accepted.</summary>
public sealed class MiniSudokuFamily : ILogicFamily
{
    private const int N = 4;
    public string Name => "mini_sudoku";
    public bool HeldOut => false;
    public int MaxDifficulty => 4;

    public LogicPuzzle Create(DeterministicRandom random, int difficulty)
    {
        var solution = RandomSolution(random);
        var cells = Enumerable.Range(0, N * N).ToList();
        random.Shuffle(cells);
        var puzzle = (int[])solution.Clone();
        foreach (var cell in cells.Take(1 + 2 * difficulty)) puzzle[cell] = 0;
        var grid = string.Join("\n", Enumerable.Range(0, N).Select(r =>
            string.Concat(Enumerable.Range(0, N).Select(c => puzzle[r * N + c] == 0 ? '.' : (char)('0' + puzzle[r * N + c])))));
        var prompt = $"Fill the 4x4 sudoku (digits 1-4; each row, column and 2x2 box holds each digit once; '.' is blank):\n{grid}\n" +
                     $"Answer with the 4 completed rows, e.g. 1234 3412 2143 4321. {LogicGrades.AnswerInstruction}";
        var reference = string.Join(" ", Enumerable.Range(0, N).Select(r => string.Concat(solution.Skip(r * N).Take(N))));
        return new LogicPuzzle(prompt, reference, answer => Grade(puzzle, answer));
    }

    private static int[] RandomSolution(DeterministicRandom random)
    {
        // A fixed valid grid, relabelled and with rows/columns permuted inside their bands: still valid, well mixed.
        int[] baseGrid = [1, 2, 3, 4, 3, 4, 1, 2, 2, 1, 4, 3, 4, 3, 2, 1];
        var labels = new[] { 1, 2, 3, 4 };
        random.Shuffle(labels);
        int[] Order() { var bands = new[] { 0, 2 }; random.Shuffle(bands); return bands.SelectMany(b => random.NextBool() ? new[] { b, b + 1 } : new[] { b + 1, b }).ToArray(); }
        var rows = Order();
        var cols = Order();
        var transpose = random.NextBool();
        var grid = new int[N * N];
        for (var r = 0; r < N; r++)
        for (var c = 0; c < N; c++)
        {
            var (sr, sc) = transpose ? (cols[c], rows[r]) : (rows[r], cols[c]);
            grid[r * N + c] = labels[baseGrid[sr * N + sc] - 1];
        }
        return grid;
    }

    internal static VerificationResult Grade(int[] givens, string answer)
    {
        var digits = answer.Where(char.IsDigit).Select(c => c - '0').ToArray();
        if (digits.Length != N * N || digits.Any(d => d is < 1 or > N))
            return VerificationResult.Malformed($"expected 16 digits 1-4, got '{LogicGrades.Short(answer)}'");
        for (var i = 0; i < givens.Length; i++)
            if (givens[i] != 0 && givens[i] != digits[i]) return VerificationResult.Wrong($"changes the given digit at row {i / N + 1}, column {i % N + 1}", answer);
        var units = new List<IEnumerable<int>>();
        for (var k = 0; k < N; k++)
        {
            units.Add(Enumerable.Range(0, N).Select(c => digits[k * N + c]).ToArray());
            units.Add(Enumerable.Range(0, N).Select(r => digits[r * N + k]).ToArray());
            int br = k / 2 * 2, bc = k % 2 * 2;
            units.Add(new[] { digits[br * N + bc], digits[br * N + bc + 1], digits[(br + 1) * N + bc], digits[(br + 1) * N + bc + 1] });
        }
        var valid = units.Count(u => u.Distinct().Count() == N);
        return LogicGrades.Partial(valid / (double)units.Count, $"{valid}/{units.Count} rows, columns and boxes valid", answer);
    }
}
