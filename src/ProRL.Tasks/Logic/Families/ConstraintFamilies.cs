using System.Text.RegularExpressions;
using ProRL.Tasks.Mixture;
using ProRL.Tasks.Model;

namespace ProRL.Tasks.Logic.Families;

/// <summary>Colour a graph's nodes with k colours so that no edge joins equal colours. Held out.</summary>
public sealed class GraphColoringFamily : ILogicFamily
{
    public string Name => "graph_coloring";
    public bool HeldOut => true;
    public int MaxDifficulty => 4;

    public LogicPuzzle Create(DeterministicRandom random, int difficulty)
    {
        var nodes = 3 + difficulty;
        var colors = difficulty == 0 ? 2 : 3;
        // Plant a colouring, then add only edges it allows: a solution always exists.
        var planted = Enumerable.Range(0, nodes).Select(i => i < colors ? i + 1 : random.Next(1, colors + 1)).ToArray();
        random.Shuffle(planted);
        var edges = new List<(int, int)>();
        for (var a = 0; a < nodes; a++)
        for (var b = a + 1; b < nodes; b++)
            if (planted[a] != planted[b] && random.NextDouble() < 0.6) edges.Add((a, b));
        if (edges.Count == 0) edges.Add(FirstAllowedEdge(planted));
        var edgeText = string.Join(", ", edges.Select(e => $"{e.Item1}-{e.Item2}"));
        var prompt = $"Colour nodes 0..{nodes - 1} with colours 1..{colors} so that no edge joins two nodes of the same colour. " +
                     $"Edges: {edgeText}. Answer with the colours of nodes 0..{nodes - 1} in order, separated by spaces. {LogicGrades.AnswerInstruction}";
        return new LogicPuzzle(prompt, string.Join(" ", planted), answer => Grade(nodes, colors, edges, answer));
    }

    private static (int, int) FirstAllowedEdge(int[] planted)
    {
        for (var a = 0; a < planted.Length; a++)
        for (var b = a + 1; b < planted.Length; b++)
            if (planted[a] != planted[b]) return (a, b);
        throw new InvalidOperationException("a planted colouring uses at least two colours");
    }

    private static VerificationResult Grade(int nodes, int colors, List<(int A, int B)> edges, string answer)
    {
        var given = Regex.Matches(answer, @"\d+").Select(m => int.Parse(m.Value)).ToArray();
        if (given.Length == nodes * 2 && Enumerable.Range(0, nodes).All(i => given[2 * i] == i)) given = given.Where((_, i) => i % 2 == 1).ToArray(); // "0:1 1:2 …"
        if (given.Length != nodes || given.Any(c => c < 1 || c > colors))
            return VerificationResult.Malformed($"expected {nodes} colours in 1..{colors}");
        var proper = edges.Count(e => given[e.A] != given[e.B]);
        return LogicGrades.Partial(proper / (double)edges.Count, $"{proper}/{edges.Count} edges properly coloured", answer);
    }
}

/// <summary>Boolean satisfiability with a planted solution; any satisfying assignment wins.</summary>
public sealed class SatFamily : ILogicFamily
{
    public string Name => "boolean_sat";
    public bool HeldOut => false;
    public int MaxDifficulty => 4;

    public LogicPuzzle Create(DeterministicRandom random, int difficulty)
    {
        var variables = 2 + difficulty;
        var width = System.Math.Min(difficulty == 0 ? 1 : 2 + difficulty / 3, variables);
        var clauseCount = difficulty == 0 ? 2 : 2 + 3 * difficulty;
        var planted = Enumerable.Range(0, variables).Select(_ => random.NextBool()).ToArray();
        var clauses = new List<int[]>();
        while (clauses.Count < clauseCount)
        {
            var vars = Enumerable.Range(1, variables).ToList();
            random.Shuffle(vars);
            var clause = vars.Take(width).Select(v => random.NextBool() ? v : -v).ToArray();
            if (clause.Any(l => planted[System.Math.Abs(l) - 1] == l > 0)) clauses.Add(clause);
        }
        var formula = string.Join(" AND ", clauses.Select(c => "(" + string.Join(" OR ", c.Select(l => l > 0 ? $"x{l}" : $"NOT x{-l}")) + ")"));
        var prompt = $"Find true/false values for x1..x{variables} that make this formula true: {formula}. " +
                     $"Answer like x1=1 x2=0 (1 = true, 0 = false). {LogicGrades.AnswerInstruction}";
        var reference = string.Join(" ", planted.Select((v, i) => $"x{i + 1}={(v ? 1 : 0)}"));
        return new LogicPuzzle(prompt, reference, answer => Grade(variables, clauses, answer));
    }

    private static VerificationResult Grade(int variables, List<int[]> clauses, string answer)
    {
        var assignment = new bool?[variables];
        foreach (Match m in Regex.Matches(answer, @"x(\d+)\s*[=:]\s*(1|0|true|false|t|f)\b", RegexOptions.IgnoreCase))
        {
            var index = int.Parse(m.Groups[1].Value) - 1;
            if (index < 0 || index >= variables) return VerificationResult.Malformed($"there is no variable x{index + 1}");
            assignment[index] = m.Groups[2].Value.ToLowerInvariant() is "1" or "true" or "t";
        }
        if (assignment.Any(a => a is null)) return VerificationResult.Malformed($"every variable x1..x{variables} needs a value");
        var satisfied = clauses.Count(c => c.Any(l => assignment[System.Math.Abs(l) - 1] == l > 0));
        return LogicGrades.Partial(satisfied / (double)clauses.Count, $"{satisfied}/{clauses.Count} clauses satisfied", answer);
    }
}

/// <summary>Knights always tell the truth, knaves always lie. Statements are generated until the solution is unique.</summary>
public sealed class KnightsAndKnavesFamily : ILogicFamily
{
    private static readonly string[] Names = ["Ann", "Bob", "Cid", "Dee", "Eve"];
    public string Name => "knights_knaves";
    public bool HeldOut => false;
    public int MaxDifficulty => 4;

    private sealed record Statement(string Text, Func<bool[], bool> Holds);

    public LogicPuzzle Create(DeterministicRandom random, int difficulty)
    {
        var people = System.Math.Min(2 + (difficulty + 1) / 2, Names.Length);
        while (true)
        {
            var truth = Enumerable.Range(0, people).Select(_ => random.NextBool()).ToArray();
            var statements = Enumerable.Range(0, people).Select(speaker => RandomStatement(random, people, speaker)).ToArray();
            // Speaker i is a knight exactly when their statement holds.
            var solutions = Enumerable.Range(0, 1 << people)
                .Select(mask => Enumerable.Range(0, people).Select(i => (mask >> i & 1) == 1).ToArray())
                .Where(world => Enumerable.Range(0, people).All(i => world[i] == statements[i].Holds(world)))
                .ToList();
            if (solutions.Count != 1) continue;
            truth = solutions[0];
            var lines = string.Join(" ", Enumerable.Range(0, people).Select(i => $"{Names[i]} says: \"{statements[i].Text}\""));
            var prompt = $"Knights always tell the truth and knaves always lie. {lines} Who is a knight and who is a knave? " +
                         $"Answer like Ann=knight, Bob=knave. {LogicGrades.AnswerInstruction}";
            var reference = string.Join(", ", Enumerable.Range(0, people).Select(i => $"{Names[i]}={(truth[i] ? "knight" : "knave")}"));
            var solution = truth;
            return new LogicPuzzle(prompt, reference, answer => Grade(solution, answer));
        }
    }

    private static Statement RandomStatement(DeterministicRandom random, int people, int speaker)
    {
        var other = (speaker + random.Next(1, people)) % people;
        var third = (other + random.Next(1, people)) % people;
        return random.Next(5) switch
        {
            0 => new($"{Names[other]} is a knight.", w => w[other]),
            1 => new($"{Names[other]} is a knave.", w => !w[other]),
            2 => new($"{Names[other]} and I are the same kind.", w => w[other] == w[speaker]),
            3 when third != other => new($"{Names[other]} or {Names[third]} is a knave.", w => !w[other] || !w[third]),
            _ => new($"{Names[other]} and {Names[third]} are both knights.", w => w[other] && w[third]),
        };
    }

    private static VerificationResult Grade(bool[] truth, string answer)
    {
        var correct = 0;
        for (var i = 0; i < truth.Length; i++)
        {
            var m = Regex.Match(answer, $@"\b{Names[i]}\b\W*(?:is\s+(?:a\s+)?)?(knight|knave)", RegexOptions.IgnoreCase);
            if (!m.Success) return VerificationResult.Malformed($"no verdict for {Names[i]}");
            if (m.Groups[1].Value.Equals("knight", StringComparison.OrdinalIgnoreCase) == truth[i]) correct++;
        }
        return LogicGrades.Partial(correct / (double)truth.Length, $"{correct}/{truth.Length} people right", answer);
    }
}
