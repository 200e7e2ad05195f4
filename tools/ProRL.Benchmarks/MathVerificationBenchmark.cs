using System.Diagnostics;
using ProRL.Tasks.Datasets;
using ProRL.Tasks.Mathematics;
using ProRL.Tasks.Model;

namespace ProRL.Benchmarks;

/// <summary>
/// Issue target: verifying 1,000 math answers takes under a second. The responses mix the shipped math sample set's
/// answers (LaTeX fractions, roots, intervals, ...) written in the forms models use, right and wrong, with generated
/// arithmetic items.
/// </summary>
internal static class MathVerificationBenchmark
{
    public static void Run(int repeats)
    {
        var items = SampleSets.Load(TaskDomains.Math).Concat(Enumerable.Range(0, 200).Select(i => ArithmeticGenerator.Generate(i, i % 5))).ToList();
        string[] forms = ["The final answer is \\boxed{{{0}}}.", "So we get $\\dfrac{{1}}{{2}}$, hence \\boxed{{{0}}}", "Therefore the answer is {0}.", "\\boxed{{{0}+1}}"];
        var pairs = Enumerable.Range(0, 1000).Select(i =>
        {
            var task = items[i % items.Count];
            return (task, string.Format(System.Globalization.CultureInfo.InvariantCulture, forms[i % forms.Length], task.Answer));
        }).ToList();
        var verifier = new MathVerifier();
        foreach (var (task, response) in pairs.Take(50)) verifier.Verify(task, response); // JIT warm-up
        var times = new double[repeats];
        double rewardSum = 0;
        for (int r = 0; r < repeats; r++)
        {
            var sw = Stopwatch.StartNew();
            rewardSum = 0;
            foreach (var (task, response) in pairs) rewardSum += verifier.Verify(task, response).Reward;
            times[r] = sw.Elapsed.TotalMilliseconds;
        }
        Array.Sort(times);
        Console.WriteLine($"math verification: 1,000 answers in {times[repeats / 2]:F1} ms (median of {repeats}; min {times[0]:F1}, max {times[^1]:F1}); mean reward {rewardSum / 1000:F3}");
    }
}
