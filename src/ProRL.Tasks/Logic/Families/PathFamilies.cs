using System.Text.RegularExpressions;
using ProRL.Tasks.Mixture;
using ProRL.Tasks.Model;

namespace ProRL.Tasks.Logic.Families;

/// <summary>Shortest path through a grid maze, answered as moves U/D/L/R. Any shortest path wins; a longer valid one earns partial credit.</summary>
public sealed class MazeFamily : ILogicFamily
{
    public string Name => "maze_shortest_path";
    public bool HeldOut => false;
    public int MaxDifficulty => 4;

    public LogicPuzzle Create(DeterministicRandom random, int difficulty)
    {
        var size = 3 + difficulty;
        while (true)
        {
            var open = new bool[size, size];
            for (var r = 0; r < size; r++)
            for (var c = 0; c < size; c++)
                open[r, c] = random.NextDouble() > 0.3;
            open[0, 0] = open[size - 1, size - 1] = true;
            var path = ShortestPath(open, size);
            if (path is null || path.Length < 2) continue;
            var grid = string.Join("\n", Enumerable.Range(0, size).Select(r => string.Concat(Enumerable.Range(0, size).Select(c =>
                (r, c) == (0, 0) ? 'S' : (r, c) == (size - 1, size - 1) ? 'G' : open[r, c] ? '.' : '#'))));
            var prompt = $"Find a shortest path from S to G in this maze ('#' is a wall):\n{grid}\n" +
                         $"Answer with the moves as letters U, D, L, R (e.g. RRDD). {LogicGrades.AnswerInstruction}";
            var maze = open;
            return new LogicPuzzle(prompt, path, answer => Grade(maze, size, path.Length, answer));
        }
    }

    private static readonly (char Move, int Dr, int Dc)[] Moves = [('U', -1, 0), ('D', 1, 0), ('L', 0, -1), ('R', 0, 1)];

    /// <summary>Breadth-first search from the top-left to the bottom-right corner; null when unreachable.</summary>
    internal static string? ShortestPath(bool[,] open, int size)
    {
        var previous = new Dictionary<(int, int), ((int, int) From, char Move)>();
        var queue = new Queue<(int R, int C)>();
        queue.Enqueue((0, 0));
        previous[(0, 0)] = ((-1, -1), ' ');
        while (queue.Count > 0)
        {
            var (r, c) = queue.Dequeue();
            if ((r, c) == (size - 1, size - 1))
            {
                var moves = new List<char>();
                for (var at = (r, c); at != (0, 0); at = previous[at].From) moves.Add(previous[at].Move);
                moves.Reverse();
                return new string(moves.ToArray());
            }
            foreach (var (move, dr, dc) in Moves)
            {
                var next = (r + dr, c + dc);
                if (next.Item1 < 0 || next.Item2 < 0 || next.Item1 >= size || next.Item2 >= size || !open[next.Item1, next.Item2] || previous.ContainsKey(next)) continue;
                previous[next] = ((r, c), move);
                queue.Enqueue(next);
            }
        }
        return null;
    }

    private static VerificationResult Grade(bool[,] open, int size, int shortest, string answer)
    {
        var moves = Regex.Replace(answer.ToUpperInvariant(), @"[\s,\->]", "");
        if (moves.Length == 0 || moves.Any(m => "UDLR".IndexOf(m) < 0)) return VerificationResult.Malformed("moves must be U, D, L or R");
        var (r, c) = (0, 0);
        foreach (var move in moves)
        {
            var (_, dr, dc) = Moves.First(m => m.Move == move);
            (r, c) = (r + dr, c + dc);
            if (r < 0 || c < 0 || r >= size || c >= size || !open[r, c]) return VerificationResult.Wrong("the path leaves the maze or hits a wall", answer);
        }
        if ((r, c) != (size - 1, size - 1)) return VerificationResult.Wrong("the path does not end at G", answer);
        return moves.Length == shortest
            ? VerificationResult.Correct($"shortest path ({shortest} moves)", answer)
            : VerificationResult.Partial(LogicGrades.PartialCap * shortest / moves.Length, $"reaches G in {moves.Length} moves; shortest is {shortest}", answer);
    }
}

/// <summary>Tower of Hanoi: list the moves that bring all disks from peg A to peg C. Held out.</summary>
public sealed class TowerOfHanoiFamily : ILogicFamily
{
    public string Name => "tower_of_hanoi";
    public bool HeldOut => true;
    public int MaxDifficulty => 4;

    public LogicPuzzle Create(DeterministicRandom random, int difficulty)
    {
        var disks = difficulty + 1;
        var pegs = new[] { 'A', 'B', 'C' };
        random.Shuffle(pegs); // which peg holds the disks and which is the goal varies with the seed
        var (from, to, via) = (pegs[0], pegs[1], pegs[2]);
        var moves = new List<string>();
        Solve(disks, from, to, via, moves);
        var prompt = $"Tower of Hanoi with {disks} disk{(disks == 1 ? "" : "s")} on peg {from} (smallest on top). Move them all to peg {to}, " +
                     $"one disk at a time, never placing a larger disk on a smaller one. Answer with the moves like A->C, A->B. {LogicGrades.AnswerInstruction}";
        return new LogicPuzzle(prompt, string.Join(", ", moves), answer => Grade(disks, from, to, answer));
    }

    private static void Solve(int n, char from, char to, char via, List<string> moves)
    {
        if (n == 0) return;
        Solve(n - 1, from, via, to, moves);
        moves.Add($"{from}->{to}");
        Solve(n - 1, via, to, from, moves);
    }

    private static VerificationResult Grade(int disks, char start, char goal, string answer)
    {
        var moves = Regex.Matches(answer.ToUpperInvariant(), @"([ABC])\s*(?:->|→|TO)\s*([ABC])").ToList();
        if (moves.Count == 0) return VerificationResult.Malformed("no moves like A->C found");
        var pegs = new Dictionary<char, Stack<int>> { ['A'] = new(), ['B'] = new(), ['C'] = new() };
        pegs[start] = new Stack<int>(Enumerable.Range(1, disks).Reverse());
        foreach (var m in moves)
        {
            var (from, to) = (m.Groups[1].Value[0], m.Groups[2].Value[0]);
            if (pegs[from].Count == 0 || (pegs[to].Count > 0 && pegs[to].Peek() < pegs[from].Peek()))
                return VerificationResult.Wrong($"illegal move {from}->{to}", answer);
            pegs[to].Push(pegs[from].Pop());
        }
        if (pegs[goal].Count != disks) return VerificationResult.Wrong($"{pegs[goal].Count}/{disks} disks on peg {goal} at the end", answer);
        var optimal = (1 << disks) - 1;
        return moves.Count == optimal
            ? VerificationResult.Correct($"solved in the optimal {optimal} moves", answer)
            : VerificationResult.Partial(LogicGrades.PartialCap * optimal / moves.Count, $"solved in {moves.Count} moves; optimal is {optimal}", answer);
    }
}

/// <summary>Cryptarithm: letters stand for distinct digits in WORD + WORD = WORD. Any consistent assignment wins. Held out.</summary>
public sealed class CryptarithmFamily : ILogicFamily
{
    public string Name => "cryptarithm";
    public bool HeldOut => true;
    public int MaxDifficulty => 4;

    public LogicPuzzle Create(DeterministicRandom random, int difficulty)
    {
        var digits = 1 + (difficulty + 1) / 2;
        int Number() => random.Next(digits == 1 ? 1 : (int)System.Math.Pow(10, digits - 1), (int)System.Math.Pow(10, digits));
        var (a, b) = (Number(), Number());
        var letters = "ABCDEFGHJK".ToCharArray();
        random.Shuffle(letters);
        string Encode(int n) => string.Concat(n.ToString().Select(d => letters[d - '0']));
        var (wa, wb, wc) = (Encode(a), Encode(b), Encode(a + b));
        var used = (wa + wb + wc).Distinct().OrderBy(c => c).ToArray();
        var prompt = $"Each letter stands for a different digit (no number starts with 0): {wa} + {wb} = {wc}. " +
                     $"Find the digits. Answer like A=1, B=2. {LogicGrades.AnswerInstruction}";
        var reference = string.Join(", ", used.Select(l => $"{l}={Array.IndexOf(letters, l)}"));
        return new LogicPuzzle(prompt, reference, answer => Grade(wa, wb, wc, used, answer));
    }

    private static VerificationResult Grade(string wa, string wb, string wc, char[] used, string answer)
    {
        var map = new Dictionary<char, int>();
        foreach (Match m in Regex.Matches(answer.ToUpperInvariant(), @"([A-Z])\s*=\s*(\d)\b")) map[m.Groups[1].Value[0]] = m.Groups[2].Value[0] - '0';
        if (used.Any(l => !map.ContainsKey(l))) return VerificationResult.Malformed($"every letter of {string.Concat(used)} needs a digit");
        if (used.Select(l => map[l]).Distinct().Count() != used.Length) return VerificationResult.Wrong("two letters share a digit", answer);
        if (new[] { wa, wb, wc }.Any(w => w.Length > 1 && map[w[0]] == 0)) return VerificationResult.Wrong("a number starts with 0", answer);
        long Value(string w) => w.Aggregate(0L, (acc, l) => acc * 10 + map[l]);
        return Value(wa) + Value(wb) == Value(wc)
            ? VerificationResult.Correct("the sum holds", answer)
            : VerificationResult.Wrong($"{Value(wa)} + {Value(wb)} ≠ {Value(wc)}", answer);
    }
}
