using ProRL.Evaluation.Reports;

namespace ProRL.Evaluation.Comparison;

/// <summary>pass@k of one group at one k in both reports; null where a report has no such group.</summary>
public sealed record ComparisonRow(string Group, int K, double? A, double? B)
{
    /// <summary>B − A (trained minus base when B is the trained model); null unless both exist.</summary>
    public double? Delta => A is { } a && B is { } b ? b - a : null;
}

/// <summary>A problem one model solved (at least one correct sample) and the other never did.</summary>
public sealed record BoundaryProblem(string Id, string Domain, int SolverCorrect, int SolverSamples, int OtherSamples);

/// <summary>
/// Two reports side by side: per group (<see cref="OverallGroup"/>, then each domain) and per shared k, A, B and the
/// delta; and the "reasoning boundary" lists of the ProRL paper, problems solved at some k by one model only.
/// </summary>
public sealed record ReportComparison(
    IReadOnlyList<int> K,
    IReadOnlyList<ComparisonRow> Rows,
    IReadOnlyList<BoundaryProblem> SolvedOnlyByA,
    IReadOnlyList<BoundaryProblem> SolvedOnlyByB,
    int SharedProblems,
    int OnlyInA,
    int OnlyInB,
    IReadOnlyList<string> Warnings)
{
    public const string OverallGroup = "all";

    public static ReportComparison Compare(EvaluationReport a, EvaluationReport b)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        var ks = a.K.Intersect(b.K).Order().ToList();
        if (ks.Count == 0)
            throw new ArgumentException($"The reports share no k value (A: {string.Join(",", a.K)}; B: {string.Join(",", b.K)}).");
        var groups = a.Domains.Keys.Union(b.Domains.Keys).Order(StringComparer.Ordinal).ToList();
        var rows = new List<ComparisonRow>();
        foreach (var k in ks)
            rows.Add(new ComparisonRow(OverallGroup, k, a.Overall.At(k)?.Mean, b.Overall.At(k)?.Mean));
        foreach (var group in groups)
            foreach (var k in ks)
                rows.Add(new ComparisonRow(group, k, a.Domains.GetValueOrDefault(group)?.At(k)?.Mean, b.Domains.GetValueOrDefault(group)?.At(k)?.Mean));

        var inA = a.Problems.ToDictionary(p => p.Id, StringComparer.Ordinal);
        var inB = b.Problems.ToDictionary(p => p.Id, StringComparer.Ordinal);
        var shared = a.Problems.Where(p => inB.ContainsKey(p.Id)).Select(p => (A: p, B: inB[p.Id])).ToList();
        return new ReportComparison(
            ks, rows,
            SolvedOnlyBy(shared.Select(s => (s.A, s.B))),
            SolvedOnlyBy(shared.Select(s => (s.B, s.A))),
            shared.Count,
            a.Problems.Count(p => !inB.ContainsKey(p.Id)),
            b.Problems.Count(p => !inA.ContainsKey(p.Id)),
            SettingDifferences(a, b));
    }

    /// <summary>Problems the first of each pair solved at some k and the second never did.</summary>
    private static List<BoundaryProblem> SolvedOnlyBy(IEnumerable<(ProblemResult Solver, ProblemResult Other)> pairs) =>
        pairs.Where(p => p.Solver.Correct > 0 && p.Other.Correct == 0)
            .Select(p => new BoundaryProblem(p.Solver.Id, p.Solver.Domain, p.Solver.Correct, p.Solver.Samples, p.Other.Samples))
            .ToList();

    /// <summary>Differences that make the two curves not strictly comparable.</summary>
    private static List<string> SettingDifferences(EvaluationReport a, EvaluationReport b)
    {
        var warnings = new List<string>();
        void Differ<T>(string what, T x, T y)
        {
            if (!EqualityComparer<T>.Default.Equals(x, y)) warnings.Add($"{what} differs: A {x}, B {y}.");
        }
        Differ("tasks", a.Settings.Tasks, b.Settings.Tasks);
        Differ("samples per problem", a.Settings.Samples, b.Settings.Samples);
        Differ("temperature", a.Settings.Temperature, b.Settings.Temperature);
        Differ("top-p", a.Settings.TopP, b.Settings.TopP);
        Differ("max new tokens", a.Settings.MaxNewTokens, b.Settings.MaxNewTokens);
        Differ("correct threshold", a.Settings.CorrectThreshold, b.Settings.CorrectThreshold);
        if (a.Model.ContentHash.Length > 0 && a.Model.ContentHash == b.Model.ContentHash)
            warnings.Add("both reports are of the same model weights.");
        return warnings;
    }
}
