using System.Text.RegularExpressions;
using ProRL.Tasks.Logic;

namespace ProRL.Tasks.Tests.Logic;

/// <summary>Puzzles with many solutions accept any valid one, judged by independent checks written here.</summary>
public class LogicValidityTests
{
    private static double Score(string family, int seed, int difficulty, string answer) =>
        LogicGenerators.CreatePuzzle(family, seed, difficulty).Grade(answer).Reward;

    [Fact]
    public void Countdown_accepts_any_expression_that_uses_each_number_once()
    {
        var puzzle = LogicGenerators.CreatePuzzle("countdown", 5, 0);
        var numbers = Regex.Matches(puzzle.Prompt, @"\d+").Select(m => int.Parse(m.Value)).ToList();
        var (a, b, target) = (numbers[0], numbers[1], numbers[2]);
        Assert.Equal(a + b, target); // difficulty 0 targets are sums
        Assert.Equal(1.0, puzzle.Grade($"{b} + {a}").Reward);
        Assert.Equal(1.0, puzzle.Grade($"({a}) + ({b}) = {target}").Reward);
        Assert.True(puzzle.Grade($"{a} + {a}").Reward < 1.0 || a == b);
        Assert.Equal(0.0, puzzle.Grade($"{a} + {b} + 0").Reward); // an extra number
        Assert.Equal(0.0, puzzle.Grade("import os").Reward);
    }

    [Fact]
    public void Graph_colouring_accepts_a_relabelled_colouring()
    {
        for (var seed = 0; seed < 20; seed++)
        {
            var puzzle = LogicGenerators.CreatePuzzle("graph_coloring", seed, 2);
            var colours = puzzle.ReferenceAnswer.Split(' ').Select(int.Parse).ToArray();
            var swapped = string.Join(" ", colours.Select(c => c switch { 1 => 2, 2 => 1, _ => c }));
            Assert.Equal(1.0, puzzle.Grade(swapped).Reward);
            Assert.True(puzzle.Grade(string.Join(" ", colours.Select(_ => 1))).Reward < 1.0); // one colour everywhere breaks every edge
        }
    }

    [Fact]
    public void Sat_accepts_any_satisfying_assignment_found_by_brute_force()
    {
        for (var seed = 0; seed < 20; seed++)
        {
            var puzzle = LogicGenerators.CreatePuzzle("boolean_sat", seed, 2);
            var n = Regex.Matches(puzzle.ReferenceAnswer, "x").Count;
            var clauses = Regex.Matches(puzzle.Prompt, @"\(([^)]*)\)").Select(m => Regex.Matches(m.Groups[1].Value, @"(NOT )?x(\d+)")
                .Select(l => (Var: int.Parse(l.Groups[2].Value) - 1, Positive: l.Groups[1].Length == 0)).ToList()).Where(c => c.Count > 0).ToList();
            for (var mask = 0; mask < 1 << n; mask++)
            {
                var satisfies = clauses.All(c => c.Any(l => ((mask >> l.Var & 1) == 1) == l.Positive));
                var answer = string.Join(" ", Enumerable.Range(0, n).Select(i => $"x{i + 1}={mask >> i & 1}"));
                Assert.Equal(satisfies, puzzle.Grade(answer).Reward == 1.0);
            }
        }
    }

    [Fact]
    public void Graph_colouring_accepts_exactly_the_proper_colourings_found_by_brute_force()
    {
        for (var seed = 0; seed < 10; seed++)
        {
            var puzzle = LogicGenerators.CreatePuzzle("graph_coloring", seed, 1);
            var edges = Regex.Matches(puzzle.Prompt, @"(\d+)-(\d+)").Select(m => (int.Parse(m.Groups[1].Value), int.Parse(m.Groups[2].Value))).ToList();
            const int nodes = 4, colours = 3;
            for (var code = 0; code < 81; code++)
            {
                var assignment = Enumerable.Range(0, nodes).Select(i => code / (int)Math.Pow(colours, i) % colours + 1).ToArray();
                var proper = edges.All(e => assignment[e.Item1] != assignment[e.Item2]);
                Assert.Equal(proper, puzzle.Grade(string.Join(" ", assignment)).Reward == 1.0);
            }
        }
    }

    [Fact]
    public void Maze_accepts_another_shortest_path_and_gives_less_for_a_detour()
    {
        // On an open 3x3 grid (difficulty 0 mazes can be fully open) RRDD and DDRR are both shortest.
        for (var seed = 0; seed < 200; seed++)
        {
            var puzzle = LogicGenerators.CreatePuzzle("maze_shortest_path", seed, 0);
            var grid = puzzle.Prompt.Split('\n').Where(l => Regex.IsMatch(l, "^[.#SG]+$"));
            if (grid.Any(l => l.Contains('#'))) continue;
            Assert.Equal(1.0, puzzle.Grade("RRDD").Reward);
            Assert.Equal(1.0, puzzle.Grade("D D R R").Reward);
            Assert.Equal(0.5 * 4 / 6, puzzle.Grade("RRDDUD").Reward, 9);
            Assert.Equal(0.0, puzzle.Grade("RRR").Reward);
            return;
        }
        Assert.Fail("no open maze in 200 seeds");
    }

    [Fact]
    public void Sudoku_rejects_changed_givens_and_accepts_the_solution_in_any_layout()
    {
        var puzzle = LogicGenerators.CreatePuzzle("mini_sudoku", 11, 3);
        var rows = puzzle.ReferenceAnswer.Split(' ');
        Assert.Equal(1.0, puzzle.Grade(string.Join("\n", rows)).Reward);
        Assert.Equal(1.0, puzzle.Grade(string.Join(",", rows.Select(r => string.Join(",", r.ToCharArray())))).Reward);
        // Swapping two rows of different bands keeps rows valid but breaks givens or columns/boxes.
        var swapped = string.Join(" ", new[] { rows[2], rows[1], rows[0], rows[3] });
        Assert.True(puzzle.Grade(swapped).Reward < 1.0);
    }

    [Fact]
    public void Hanoi_rejects_illegal_moves_and_gives_partial_credit_for_a_longer_solution()
    {
        var puzzle = LogicGenerators.CreatePuzzle("tower_of_hanoi", 0, 1); // 2 disks
        Assert.Equal("A->B, A->C, B->C", puzzle.ReferenceAnswer);
        Assert.Equal(0.0, puzzle.Grade("A->C, A->C, B->C").Reward); // second move puts the large disk on the small one
        Assert.Equal(0.5 * 3 / 5, puzzle.Grade("A->B, B->A, A->B, A->C, B->C").Reward, 9);
    }

    [Fact]
    public void Cryptarithm_accepts_any_consistent_assignment()
    {
        for (var seed = 0; seed < 20; seed++)
        {
            var puzzle = LogicGenerators.CreatePuzzle("cryptarithm", seed, 0);
            var words = Regex.Match(puzzle.Prompt, @"(\w+) \+ (\w+) = (\w+)");
            var letters = (words.Groups[1].Value + words.Groups[2].Value + words.Groups[3].Value).Distinct().ToArray();
            // Brute force over digit assignments, independent of the generator.
            var accepted = 0;
            foreach (var digits in Permutations(Enumerable.Range(0, 10).ToArray(), letters.Length).Take(20000))
            {
                var map = letters.Zip(digits).ToDictionary(p => p.First, p => p.Second);
                long V(string w) => w.Aggregate(0L, (acc, c) => acc * 10 + map[c]);
                var leadingZero = new[] { 1, 2, 3 }.Any(g => words.Groups[g].Value.Length > 1 && map[words.Groups[g].Value[0]] == 0);
                var valid = !leadingZero && V(words.Groups[1].Value) + V(words.Groups[2].Value) == V(words.Groups[3].Value);
                var answer = string.Join(", ", map.Select(kv => $"{kv.Key}={kv.Value}"));
                Assert.Equal(valid, puzzle.Grade(answer).Reward == 1.0);
                if (valid) accepted++;
            }
            Assert.True(accepted >= 1);
        }
    }

    private static IEnumerable<int[]> Permutations(int[] pool, int k)
    {
        if (k == 0) { yield return []; yield break; }
        foreach (var first in pool)
            foreach (var rest in Permutations(pool.Where(p => p != first).ToArray(), k - 1))
                yield return [first, .. rest];
    }

    [Fact]
    public void Knights_and_knaves_solution_is_unique_by_brute_force()
    {
        for (var seed = 0; seed < 10; seed++)
        {
            var puzzle = LogicGenerators.CreatePuzzle("knights_knaves", seed, 4);
            var names = Regex.Matches(puzzle.ReferenceAnswer, @"(\w+)=").Select(m => m.Groups[1].Value).ToList();
            var accepted = Enumerable.Range(0, 1 << names.Count).Count(mask =>
                puzzle.Grade(string.Join(", ", names.Select((n, i) => $"{n}={((mask >> i & 1) == 1 ? "knight" : "knave")}"))).Reward == 1.0);
            Assert.Equal(1, accepted);
        }
    }
}
