using System.Text.Json;
using System.Text.Json.Nodes;
using ProRL.Tasks.Datasets;
using ProRL.Tasks.Model;

namespace ProRL.Tasks.Verification;

/// <summary>One scored line of a <c>{"task": TASK, "response": TEXT}</c> file; <see cref="Error"/> is set for a bad line.</summary>
public sealed record ScoredLine(long LineNumber, string? Domain, VerificationResult? Result, string? Error, JsonObject? Original)
{
    /// <summary>The original line with <c>reward</c> and <c>reason</c> added (a bad line gets reward 0 and the error).</summary>
    public string ToOutputJson()
    {
        var o = Original is null ? new JsonObject() : (JsonObject)Original.DeepClone();
        o["reward"] = Result?.Reward ?? 0.0;
        o["reason"] = Result?.Reason ?? Error;
        if (Result?.Fraction is { } fraction) o["fraction"] = fraction;
        return o.ToJsonString(TaskJson.LineOptions);
    }
}

/// <summary>Per-domain summary of scored lines.</summary>
public sealed record DomainScore(string Domain, int Count, double MeanReward, int FullyCorrect);

/// <summary>Scores the lines of a score file concurrently (the code sandbox caps its own concurrency).</summary>
public static class ScoredLines
{
    public static async Task<IReadOnlyList<ScoredLine>> ScoreAsync(RewardScorer scorer, IEnumerable<string> lines, int maxConcurrency,
        CancellationToken cancellationToken = default)
    {
        if (maxConcurrency < 1) throw new ArgumentOutOfRangeException(nameof(maxConcurrency), maxConcurrency, "--concurrency must be at least 1");
        using var gate = new SemaphoreSlim(maxConcurrency);
        var work = lines.Select((text, i) => (Text: text, Line: (long)i + 1)).Where(l => !string.IsNullOrWhiteSpace(l.Text)).Select(async l =>
        {
            await gate.WaitAsync(cancellationToken).ConfigureAwait(false);
            try { return await ScoreLineAsync(scorer, l.Text, l.Line, cancellationToken).ConfigureAwait(false); }
            finally { gate.Release(); }
        });
        return await Task.WhenAll(work).ConfigureAwait(false);
    }

    public static async Task<ScoredLine> ScoreLineAsync(RewardScorer scorer, string text, long lineNumber, CancellationToken cancellationToken = default)
    {
        JsonObject? row = null;
        try
        {
            row = JsonNode.Parse(text) as JsonObject ?? throw new FormatException("line is not a JSON object");
            var taskJson = row["task"] as JsonObject ?? throw new FormatException("no 'task' object");
            var response = row["response"] is JsonValue v && v.GetValueKind() == JsonValueKind.String
                ? v.GetValue<string>()
                : throw new FormatException("no 'response' string");
            var task = TaskJson.FromJson(taskJson, $"line-{lineNumber}", requirePrompt: false);
            var result = await scorer.ScoreAsync(task, response, cancellationToken).ConfigureAwait(false);
            return new ScoredLine(lineNumber, task.Domain, result, null, row);
        }
        catch (Exception ex) when (ex is FormatException or JsonException or InvalidOperationException)
        {
            return new ScoredLine(lineNumber, null, null, ex.Message, row);
        }
    }

    public static IReadOnlyList<DomainScore> Summarize(IEnumerable<ScoredLine> lines) =>
        lines.Where(l => l.Result is not null)
            .GroupBy(l => l.Domain!)
            .OrderBy(g => g.Key, StringComparer.Ordinal)
            .Select(g => new DomainScore(g.Key, g.Count(), g.Average(l => l.Result!.Reward), g.Count(l => l.Result!.Reward >= 1.0)))
            .ToList();
}
