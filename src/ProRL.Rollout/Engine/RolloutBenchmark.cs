using System.Diagnostics;

namespace ProRL.Rollout.Engine;

/// <summary>Throughput of one loop: medians over the timed runs.</summary>
/// <param name="TokensPerSecond">New tokens per wall-clock second.</param>
/// <param name="TokensPerCpuSecond">New tokens per second of this process's CPU time (steadier on a busy machine;
/// with one intra-op thread it excludes thread-pool spinning).</param>
public sealed record LoopThroughput(double TokensPerSecond, double TokensPerCpuSecond, long TokensPerRun);

/// <summary>The engine (with log-prob capture) against the bare GenAI loop on the same work.</summary>
public sealed record RolloutBenchmarkResult(LoopThroughput Engine, LoopThroughput Bare, int Repeats, double MedianPairedRatio)
{
    /// <summary>Median engine tokens/s over median bare tokens/s (1.0 = no overhead).</summary>
    public double Ratio => Engine.TokensPerSecond / Bare.TokensPerSecond;
    /// <summary>The same ratio in tokens per CPU-second.</summary>
    public double CpuRatio => Engine.TokensPerCpuSecond / Bare.TokensPerCpuSecond;
}

public static class RolloutBenchmark
{
    /// <summary>
    /// Runs both loops <paramref name="repeats"/> times, alternating which goes first so that machine noise hits
    /// both alike, after <paramref name="warmup"/> untimed runs of each. Reports medians of each loop and the median
    /// ratio of back-to-back pairs (robust to slow drifts in machine load).
    /// </summary>
    public static RolloutBenchmarkResult Run(RolloutEngine engine, IReadOnlyList<RolloutPrompt> prompts, SamplingSettings settings,
        int repeats = 5, int warmup = 1, Action<string>? progress = null, CancellationToken cancellationToken = default)
    {
        if (repeats < 1) throw new ArgumentException($"repeats must be at least 1 (got {repeats}).");
        long RunEngine() => engine.Generate(prompts, settings, cancellationToken).Sum(s => (long)s.CompletionTokenIds.Length);
        long RunBare() => engine.GenerateBare(prompts, settings, cancellationToken);
        for (int i = 0; i < warmup; i++)
        {
            RunEngine();
            RunBare();
        }
        var engineRuns = new List<(double Wall, double Cpu, long Tokens)>();
        var bareRuns = new List<(double Wall, double Cpu, long Tokens)>();
        for (int i = 0; i < repeats; i++)
        {
            if (i % 2 == 0) { bareRuns.Add(Time(RunBare)); engineRuns.Add(Time(RunEngine)); }
            else { engineRuns.Add(Time(RunEngine)); bareRuns.Add(Time(RunBare)); }
            progress?.Invoke($"run {i + 1}/{repeats}: bare {bareRuns[^1].Wall:F0} tok/s ({bareRuns[^1].Cpu:F0} per CPU-s), " +
                             $"engine {engineRuns[^1].Wall:F0} tok/s ({engineRuns[^1].Cpu:F0} per CPU-s)");
        }
        var paired = engineRuns.Zip(bareRuns, (e, b) => e.Wall / b.Wall).ToList();
        return new RolloutBenchmarkResult(Summarise(engineRuns), Summarise(bareRuns), repeats, Median(paired));
    }

    private static (double Wall, double Cpu, long Tokens) Time(Func<long> run)
    {
        var process = Process.GetCurrentProcess();
        var cpuBefore = process.TotalProcessorTime;
        var wall = Stopwatch.StartNew();
        long tokens = run();
        double wallSeconds = wall.Elapsed.TotalSeconds;
        process.Refresh();
        double cpuSeconds = (process.TotalProcessorTime - cpuBefore).TotalSeconds;
        return (tokens / wallSeconds, tokens / Math.Max(cpuSeconds, 1e-9), tokens);
    }

    private static LoopThroughput Summarise(List<(double Wall, double Cpu, long Tokens)> runs) =>
        new(Median(runs.Select(r => r.Wall).ToList()), Median(runs.Select(r => r.Cpu).ToList()), runs[^1].Tokens);

    private static double Median(List<double> values)
    {
        var sorted = values.Order().ToArray();
        int mid = sorted.Length / 2;
        return sorted.Length % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
    }
}
