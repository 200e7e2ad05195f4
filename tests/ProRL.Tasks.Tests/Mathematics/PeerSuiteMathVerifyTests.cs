using System.Globalization;
using System.Text.Json;
using ProRL.Tasks.Mathematics;
using ProRL.Tasks.Model;
using ProRL.Tasks.Text;
using Xunit.Abstractions;

namespace ProRL.Tasks.Tests.Mathematics;

/// <summary>
/// Runs Math-Verify's own published test cases (../shared/peer-suites/math-verify.jsonl, next to the repository)
/// through the math verifier and compares with the reference's verdicts.
/// </summary>
public class PeerSuiteMathVerifyTests(ITestOutputHelper output)
{
    internal sealed record PeerLine(int Line, string Answer, string Response, int Expect, bool Convention, string Group, string Note);

    internal static IReadOnlyList<PeerLine> Load()
    {
        var path = Path.Combine(RepositoryRoot.Find(), "..", "shared", "peer-suites", "math-verify.jsonl");
        Assert.True(File.Exists(path), $"peer suite not found at {path} (it lives in ../shared next to the repository)");
        var lines = new List<PeerLine>();
        var n = 0;
        foreach (var raw in File.ReadLines(path))
        {
            n++;
            if (raw.Trim().Length == 0) continue;
            using var doc = JsonDocument.Parse(raw);
            var root = doc.RootElement;
            lines.Add(new PeerLine(n, root.GetProperty("task").GetProperty("answer").GetString()!, root.GetProperty("response").GetString()!,
                root.GetProperty("expect").GetInt32(), root.TryGetProperty("convention", out var c) && c.GetBoolean(),
                root.GetProperty("group").GetString()!, root.GetProperty("note").GetString()!));
        }
        return lines;
    }

    [Fact]
    public void Agrees_with_math_verify_on_at_least_90_percent_with_no_false_positive()
    {
        var suite = Load();
        Assert.True(suite.Count >= 300, $"{suite.Count} lines");
        var verifier = new MathVerifier();
        var agree = 0;
        var falsePositives = new List<string>();
        var falseNegatives = new List<string>();
        foreach (var line in suite)
        {
            var task = new TaskItem { Id = $"mv-{line.Line}", Domain = TaskDomains.Math, Prompt = "(peer case)", Answer = line.Answer };
            var explanation = verifier.Explain(task, ResponseText.AfterThinking(line.Response)); // as prorl score does
            var got = explanation.Result.Reward >= 1.0 ? 1 : 0;
            if (got == line.Expect) { agree++; continue; }
            var detail = $"line {line.Line} [{line.Group}]{(line.Convention ? " (convention)" : "")}: ref '{line.Answer}' got {got} expect {line.Expect}; " +
                         $"extracted '{explanation.Extracted}' by {(explanation.Rule is { } r ? MathVerifier.RuleName(r) : "none")} -> '{explanation.NormalizedCandidate}' vs '{explanation.NormalizedReference}'";
            (got == 1 ? falsePositives : falseNegatives).Add(detail);
        }
        var rate = (double)agree / suite.Count;
        output.WriteLine($"math-verify peer suite: {agree}/{suite.Count} agree ({rate.ToString("P1", CultureInfo.InvariantCulture)}), " +
                         $"{falsePositives.Count} false positives, {falseNegatives.Count} false negatives");
        foreach (var d in falsePositives) output.WriteLine("FP " + d);
        foreach (var d in falseNegatives) output.WriteLine("FN " + d);
        var realFalsePositives = falsePositives.Where(d => !d.Contains("(convention)", StringComparison.Ordinal)).ToList();
        Assert.True(realFalsePositives.Count == 0, "false positives:\n" + string.Join("\n", realFalsePositives));
        Assert.True(rate >= 0.90, $"agreement {rate:P1} < 90%:\n" + string.Join("\n", falseNegatives));
    }
}

/// <summary>The repository root: the nearest directory up from the test binaries that holds ProRL.Onnx.sln.</summary>
internal static class RepositoryRoot
{
    public static string Find()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "ProRL.Onnx.sln"))) return dir.FullName;
        throw new InvalidOperationException("ProRL.Onnx.sln not found above " + AppContext.BaseDirectory);
    }
}
