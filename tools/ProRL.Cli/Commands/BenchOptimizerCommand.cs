using System.ComponentModel;
using System.Diagnostics;
using System.Globalization;
using ProRL.Training.Optimizer;
using Spectre.Console;
using Spectre.Console.Cli;

namespace ProRL.Cli.Commands;

/// <summary>
/// `prorl bench optimizer`: memory bandwidth of the in-place AdamW step (gradient norm + update, as
/// <see cref="ProRL.Training.Session.TrainingSession.OptimizerStep"/> runs it) against a large-array copy over the
/// same chunks and threads, interleaved repeat by repeat. The step moves 36 bytes per parameter: the norm reads the
/// gradient (4), the update reads parameter, gradient and both moments (16) and writes them back (16, the gradient as
/// zeros); the copy moves 8 (read 4, write 4).
/// </summary>
public sealed class BenchOptimizerCommand : Command<BenchOptimizerCommand.Settings>
{
    public sealed class Settings : CommandSettings
    {
        [CommandOption("--parameters <N>"), Description("Parameters in the benchmark's one flat tensor (default 64 M: seven 256 MiB arrays).")]
        public long Parameters { get; init; } = 64L << 20;

        [CommandOption("--repeats <N>")] public int Repeats { get; init; } = 9;
        [CommandOption("--threads <N>"), Description("Threads (0 = one per core).")] public int Threads { get; init; }

        public override ValidationResult Validate()
        {
            if (Parameters < AdamWInPlace.ChunkElements || Parameters > int.MaxValue)
                return ValidationResult.Error($"--parameters must be in [{AdamWInPlace.ChunkElements}, {int.MaxValue}].");
            if (Repeats < 1 || Threads < 0) return ValidationResult.Error("--repeats must be ≥ 1 and --threads ≥ 0.");
            return ValidationResult.Success();
        }
    }

    private const int StepBytesPerParameter = 36, CopyBytesPerParameter = 8;

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        int n = (int)settings.Parameters;
        var rng = new Random(1);
        float[] Fill(double scale, bool positive = false)
        {
            var a = GC.AllocateUninitializedArray<float>(n);
            for (int i = 0; i < n; i++) a[i] = (float)(positive ? rng.NextDouble() * scale : (rng.NextDouble() * 2 - 1) * scale);
            return a;
        }
        float[] p = Fill(1), g = Fill(0.01), m = Fill(0.001), v = Fill(1e-4, positive: true);
        var source = Fill(1);
        var destination = new float[n];
        var buffers = new AdamWBuffers([n], [true], _ => p, _ => g, _ => m, _ => v);
        var gradient = (float[])g.Clone();
        var parallel = new ParallelOptions { MaxDegreeOfParallelism = settings.Threads > 0 ? settings.Threads : Environment.ProcessorCount };
        int chunks = (n + AdamWInPlace.ChunkElements - 1) / AdamWInPlace.ChunkElements;

        double Copy()
        {
            var clock = Stopwatch.StartNew();
            Parallel.For(0, chunks, parallel, k =>
            {
                int offset = k * AdamWInPlace.ChunkElements, length = Math.Min(AdamWInPlace.ChunkElements, n - offset);
                source.AsSpan(offset, length).CopyTo(destination.AsSpan(offset, length));
            });
            return clock.Elapsed.TotalSeconds;
        }
        double Step(long step)
        {
            gradient.AsSpan().CopyTo(g); // the update zeroes the gradient; refill it outside the timed region
            var clock = Stopwatch.StartNew();
            double norm = AdamWInPlace.GradientNorm(buffers, settings.Threads);
            AdamWInPlace.Update(buffers, AdamWCoefficients.For(2e-6f, 0.9f, 0.999f, 1e-8f, 0.01f, 1f, step, (float)norm), settings.Threads);
            return clock.Elapsed.TotalSeconds;
        }

        Copy();
        Step(1); // warm-up: pages touched, code compiled
        var copyRates = new List<double>();
        var stepRates = new List<double>();
        for (int r = 0; r < settings.Repeats; r++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            // Alternate which side goes first, so neither always runs right after the other.
            double copySeconds, stepSeconds;
            if (r % 2 == 0) { copySeconds = Copy(); stepSeconds = Step(r + 2); }
            else { stepSeconds = Step(r + 2); copySeconds = Copy(); }
            copyRates.Add(CopyBytesPerParameter * (double)n / copySeconds / 1e9);
            stepRates.Add(StepBytesPerParameter * (double)n / stepSeconds / 1e9);
        }

        var ratios = stepRates.Zip(copyRates, (s, c) => s / c).ToList();
        var table = new Table().AddColumns("measure", "median", "min", "max");
        table.AddRow($"copy, GB/s ({CopyBytesPerParameter} B/parameter)", F(BenchStatistics.Median(copyRates)), F(copyRates.Min()), F(copyRates.Max()));
        table.AddRow($"AdamW step, GB/s ({StepBytesPerParameter} B/parameter)", F(BenchStatistics.Median(stepRates)), F(stepRates.Min()), F(stepRates.Max()));
        table.AddRow("AdamW / copy (per repeat)", F(BenchStatistics.Median(ratios)), F(ratios.Min()), F(ratios.Max()));
        table.AddRow("AdamW step time for these parameters, ms",
            F(StepBytesPerParameter * (double)n / BenchStatistics.Median(stepRates) / 1e6), F(StepBytesPerParameter * (double)n / stepRates.Max() / 1e6),
            F(StepBytesPerParameter * (double)n / stepRates.Min() / 1e6));
        AnsiConsole.MarkupLine($"{n:N0} parameters, {settings.Repeats} interleaved repeats, {parallel.MaxDegreeOfParallelism} threads");
        AnsiConsole.Write(table);
        return 0;
    }

    private static string F(double x) => x.ToString("F2", CultureInfo.InvariantCulture);
}
