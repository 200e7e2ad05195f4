using System.ComponentModel;
using System.Diagnostics;
using System.Globalization;
using ProRL.Training.Artifacts;
using ProRL.Training.Session;
using Spectre.Console;
using Spectre.Console.Cli;

namespace ProRL.Cli.Commands;

/// <summary>
/// `prorl bench train`: forward + backward throughput of the training graph (policy head) on random tokens, and the time
/// of an AdamW step, with a FLOP estimate of 6·N per token (N = parameters outside the embedding lookup).
/// </summary>
public sealed class BenchTrainCommand : Command<BenchTrainCommand.Settings>
{
    public sealed class Settings : CommandSettings
    {
        [CommandOption("--model <DIR>"), Description("GenAI model folder (artifacts are built in memory).")]
        public string? Model { get; init; }

        [CommandOption("--artifacts <DIR>"), Description("Built artifacts to use instead of --model.")]
        public string? Artifacts { get; init; }

        [CommandOption("--preset <NAME>"), Description("Generate a model of this preset (tiny, small, qwen2.5-0.5b) in a temporary folder and measure it.")]
        public string? Preset { get; init; }

        [CommandOption("--batch <N>")] public int Batch { get; init; } = 8;
        [CommandOption("--length <N>")] public int Length { get; init; } = 256;
        [CommandOption("--repeats <N>")] public int Repeats { get; init; } = 5;
        [CommandOption("--warmup <N>")] public int Warmup { get; init; } = 1;
        [CommandOption("--threads <N>"), Description("ONNX Runtime intra-op threads (0 = one per core).")] public int Threads { get; init; }
        [CommandOption("--seed <N>")] public int Seed { get; init; } = 1;

        [CommandOption("--recompute <MODE>"), Description("none (default) or layers (with --model or --preset; built artifacts keep their own mode).")]
        public string Recompute { get; init; } = "none";

        public override ValidationResult Validate()
        {
            if (new[] { Model, Artifacts, Preset }.Count(v => !string.IsNullOrWhiteSpace(v)) != 1)
                return ValidationResult.Error("Give exactly one of --model, --artifacts and --preset.");
            if (Preset is { } p && !ProRL.Rollout.ModelGeneration.DecoderSpec.PresetNames.Contains(p.ToLowerInvariant()))
                return ValidationResult.Error($"--preset '{p}' is unknown (allowed: {string.Join(", ", ProRL.Rollout.ModelGeneration.DecoderSpec.PresetNames)}).");
            if (Batch < 1 || Length < 2) return ValidationResult.Error("--batch must be ≥ 1 and --length ≥ 2.");
            if (Repeats < 1 || Warmup < 0 || Threads < 0) return ValidationResult.Error("--repeats must be ≥ 1, --warmup and --threads ≥ 0.");
            try { ArtifactsBuildCommand.LossSettings.ParseRecompute(Recompute, "--recompute"); }
            catch (ArgumentException e) { return ValidationResult.Error(e.Message); }
            if (Artifacts is not null && !Recompute.Equals("none", StringComparison.OrdinalIgnoreCase))
                return ValidationResult.Error("--recompute applies when the artifacts are built here (--model or --preset); built artifacts keep the mode they were built with.");
            return ValidationResult.Success();
        }
    }

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        string? generated = null;
        try
        {
            var model = settings.Model;
            if (settings.Preset is { } preset)
            {
                generated = Path.Combine(Path.GetTempPath(), "prorl-bench-" + Guid.NewGuid().ToString("N"));
                AnsiConsole.MarkupLine($"Generating a random '{Markup.Escape(preset)}' model in {Markup.Escape(generated)} ...");
                model = ProRL.Rollout.ModelGeneration.ModelGenerator.Write(ProRL.Rollout.ModelGeneration.DecoderSpec.Preset(preset), generated).Directory;
            }
            else if (model is not null) InputChecks.RequireTrainableModel(model);
            return Measure(settings, model, cancellationToken);
        }
        finally
        {
            if (generated is not null && Directory.Exists(generated)) Directory.Delete(generated, recursive: true);
        }
    }

    private static int Measure(Settings settings, string? model, CancellationToken cancellationToken)
    {
        var options = new TrainingSessionOptions { IntraOpThreads = settings.Threads };
        var recompute = ArtifactsBuildCommand.LossSettings.ParseRecompute(settings.Recompute, "--recompute");
        using var session = settings.Artifacts is { } dir ? TrainingSession.Open(dir, options) : OpenFromModel(model!, options, recompute);
        // Token ids are drawn below the vocabulary size: the embedding's rows, or with tied embeddings stored as the LM
        // head ([hidden, vocab], as the builder writes them) its columns.
        var embedding = session.Parameters.FirstOrDefault(p => p.Name.Contains("embed", StringComparison.Ordinal) && p.Shape.Length == 2)
            ?? session.Parameters.FirstOrDefault(p => p.Name.Contains("lm_head", StringComparison.Ordinal) && p.Shape.Length == 2)
            ?? throw new InvalidOperationException("No embedding or LM-head parameter (2-D, named 'embed…' or 'lm_head…'): cannot pick token ids.");
        long vocab = embedding.Name.Contains("embed", StringComparison.Ordinal) ? embedding.Shape[0] : embedding.Shape[^1];
        var rng = new Random(settings.Seed);
        var ids = Enumerable.Range(0, settings.Batch * settings.Length).Select(_ => (long)rng.Next((int)vocab)).ToArray();
        var batch = TokenBatch.Unpadded(settings.Batch, settings.Length, ids);
        var old = session.EvalStep(batch, 1.2f).Logprobs;
        var inputs = new PolicyLossInputs(Enumerable.Repeat(1f, batch.TargetCount).ToArray(), old, old,
            Enumerable.Range(0, batch.TargetCount).Select(_ => (float)(rng.NextDouble() * 2 - 1)).ToArray());
        var loss = new PolicyLossSettings();
        var adam = new AdamWSettings();

        var train = new List<double>();
        var optimize = new List<double>();
        for (int r = 0; r < settings.Warmup + settings.Repeats; r++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var clock = Stopwatch.StartNew();
            session.TrainStep(batch, inputs, loss);
            double trainSeconds = clock.Elapsed.TotalSeconds;
            clock.Restart();
            session.OptimizerStep(adam);
            if (r < settings.Warmup) continue;
            train.Add(trainSeconds);
            optimize.Add(clock.Elapsed.TotalSeconds);
        }

        long tokens = (long)settings.Batch * settings.Length;
        long dense = session.Parameters.Where(p => p != embedding || IsTiedHead(session, p)).Sum(p => p.ElementCount);
        double median = Median(train);
        var table = new Table().AddColumns("measure", "value");
        table.AddRow("batch × length", $"{settings.Batch} × {settings.Length} = {tokens} tokens");
        table.AddRow("recompute", session.Manifest.Recompute.ToString().ToLowerInvariant());
        table.AddRow("parameters (dense, for FLOPs)", dense.ToString("N0", CultureInfo.InvariantCulture));
        table.AddRow("forward + backward (median)", $"{median * 1e3:F1} ms");
        table.AddRow("tokens/s", (tokens / median).ToString("F0", CultureInfo.InvariantCulture));
        table.AddRow("GFLOP/s (6·N·tokens)", (6.0 * dense * tokens / median / 1e9).ToString("F1", CultureInfo.InvariantCulture));
        table.AddRow("AdamW step (median)", $"{Median(optimize) * 1e3:F1} ms");
        // The process's high-water mark (VmHWM): what the operating system had to provide, session and all.
        using var self = Process.GetCurrentProcess();
        table.AddRow("peak RSS (whole process)", $"{self.PeakWorkingSet64 / (1024.0 * 1024 * 1024):F2} GiB");
        AnsiConsole.Write(table);
        return 0;
    }

    private static TrainingSession OpenFromModel(string model, TrainingSessionOptions options, ProRL.Training.Autodiff.RecomputeMode recompute)
    {
        var a = ArtifactsBuilder.Build(model, new ArtifactsOptions { Training = new TrainingGraphOptions { Recompute = recompute } });
        if (a.Manifest.RecomputeNote is { } note) AnsiConsole.MarkupLine($"[yellow]{Markup.Escape(note)}[/]");
        return new TrainingSession(a.Manifest, a.EvalBytes(), a.TrainingBytes(), a.OptimizerBytes(), a.Checkpoint, options);
    }

    /// <summary>A tied embedding is also the LM head's matrix, so it does count as dense compute.</summary>
    private static bool IsTiedHead(TrainingSession session, ProRL.Training.Optimizer.ParameterSpec embedding) =>
        !session.Parameters.Any(p => p.Name.Contains("lm_head", StringComparison.Ordinal));

    private static double Median(List<double> values)
    {
        var sorted = values.Order().ToList();
        return sorted[sorted.Count / 2];
    }
}
