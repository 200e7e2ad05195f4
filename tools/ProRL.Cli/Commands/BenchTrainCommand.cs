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
        [CommandOption("--arena <MODE>"), Description("shared (default, as in the worker: one ONNX Runtime arena for both graphs) or off (each intermediate malloc'd; less memory at rest, slower).")]
        public string Arena { get; init; } = "shared";

        [CommandOption("--recompute <MODE>"), Description("none (default) or layers (with --model or --preset; built artifacts keep their own mode).")]
        public string Recompute { get; init; } = "none";

        [CommandOption("--profile <PREFIX>"), Description("Profile every node run with ONNX Runtime's profiler: JSON traces (Chrome tracing format) at PREFIX…json, and the slowest op types printed.")]
        public string? Profile { get; init; }

        [CommandOption("--head-chunks <N>"), Description("Token slices of the log-softmax head (default 8; 0: whole logits), with --model or --preset.")]
        public int? HeadChunks { get; init; }

        public override ValidationResult Validate()
        {
            if (HeadChunks < 0) return ValidationResult.Error($"--head-chunks {HeadChunks} must be ≥ 0.");
            if (ParseArena(Arena) is null) return ValidationResult.Error($"--arena '{Arena}' is unknown (allowed: shared, off).");
            if (Profile is { } prefix && Path.GetDirectoryName(Path.GetFullPath(prefix)) is { } folder && !Directory.Exists(folder))
                return ValidationResult.Error($"--profile '{prefix}': the folder '{folder}' does not exist (the traces are written as PREFIX…json).");
            if (Artifacts is not null && HeadChunks is not null)
                return ValidationResult.Error("--head-chunks applies when the artifacts are built here (--model or --preset); built artifacts keep their own head.");
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

        /// <summary>The arena by name only: Enum.Parse would also take "0" or "1".</summary>
        internal static MemoryArena? ParseArena(string name) => name.ToLowerInvariant() switch
        {
            "shared" => MemoryArena.Shared,
            "off" => MemoryArena.Off,
            _ => null,
        };
    }

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        string? generated = null;
        var memory = new MemoryPhases(p => AnsiConsole.MarkupLine(
            $"[grey]{Markup.Escape(p.Name)}: {p.Seconds:F1} s, RSS {MemoryPhases.Gib(p.RssBytes)}, peak {MemoryPhases.Gib(p.PeakBytes)}, managed {MemoryPhases.Gib(p.ManagedBytes)}[/]"));
        try
        {
            var model = settings.Model;
            if (settings.Preset is { } preset)
            {
                generated = Path.Combine(Path.GetTempPath(), "prorl-bench-" + Guid.NewGuid().ToString("N"));
                AnsiConsole.MarkupLine($"Generating a random '{Markup.Escape(preset)}' model in {Markup.Escape(generated)} ...");
                model = ProRL.Rollout.ModelGeneration.ModelGenerator.Write(ProRL.Rollout.ModelGeneration.DecoderSpec.Preset(preset), generated).Directory;
                // The generator's arrays are garbage now; collect them so that the phases below measure the trainer alone.
                TrainingSession.ReleaseManagedMemory();
                memory.End("model generation");
            }
            else if (model is not null) InputChecks.RequireTrainableModel(model);
            var started = DateTime.UtcNow;
            int code = Measure(settings, model, memory, cancellationToken);
            if (settings.Profile is { } prefix) ProfileSummary.Print(prefix, started); // the traces are written as the session closes
            return code;
        }
        finally
        {
            if (generated is not null && Directory.Exists(generated)) Directory.Delete(generated, recursive: true);
        }
    }

    private static int Measure(Settings settings, string? model, MemoryPhases memory, CancellationToken cancellationToken)
    {
        var options = new TrainingSessionOptions { IntraOpThreads = settings.Threads, Arena = Settings.ParseArena(settings.Arena)!.Value, ProfilePrefix = settings.Profile };
        var recompute = ArtifactsBuildCommand.LossSettings.ParseRecompute(settings.Recompute, "--recompute");
        using var session = settings.Artifacts is { } dir ? TrainingSession.Open(dir, options) : OpenFromModel(model!, options, new TrainingGraphOptions
        {
            Recompute = recompute, HeadChunks = settings.HeadChunks ?? ProRL.Training.Heads.EvalHead.DefaultChunks,
        }, memory);
        memory.End("session open");
        // Token ids are drawn below the vocabulary size: the embedding's rows, or with tied embeddings stored as the LM
        // head ([hidden, vocab], as the builder writes them) its columns.
        var embedding = session.Parameters.FirstOrDefault(p => p.Name.Contains("embed", StringComparison.Ordinal) && p.Shape.Length == 2)
            ?? session.Parameters.FirstOrDefault(p => p.Name.Contains("lm_head", StringComparison.Ordinal) && p.Shape.Length == 2)
            ?? throw new InvalidOperationException("No embedding or LM-head parameter (2-D, named 'embed…' or 'lm_head…'): cannot pick token ids.");
        long vocab = embedding.Name.Contains("embed", StringComparison.Ordinal) ? embedding.Shape[0] : embedding.Shape[^1];
        var rng = new Random(settings.Seed);
        var ids = Enumerable.Range(0, settings.Batch * settings.Length).Select(_ => (long)rng.Next((int)vocab)).ToArray();
        var batch = TokenBatch.Unpadded(settings.Batch, settings.Length, ids);
        // As a trainer step does: the reference weights resident, and old and reference logprobs from the eval graph.
        session.SetReferenceToPolicy();
        var old = session.EvalStep(batch, 1.2f).Logprobs;
        var reference = session.EvalStep(batch, 1.2f, ParameterSet.Reference).Logprobs;
        memory.End("reference set, eval steps (old and reference logprobs)");
        var inputs = new PolicyLossInputs(Enumerable.Repeat(1f, batch.TargetCount).ToArray(), old, reference,
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
            if (r == 0) memory.End("first training step");
            session.OptimizerStep(adam);
            if (r == 0) memory.End("first AdamW step");
            if (r < settings.Warmup) continue;
            train.Add(trainSeconds);
            optimize.Add(clock.Elapsed.TotalSeconds);
        }

        long tokens = (long)settings.Batch * settings.Length;
        long dense = session.Parameters.Where(p => p != embedding || IsTiedHead(session, p)).Sum(p => p.ElementCount);
        double median = BenchStatistics.Median(train);
        var table = new Table().AddColumns("measure", "value");
        table.AddRow("batch × length", $"{settings.Batch} × {settings.Length} = {tokens} tokens");
        table.AddRow("recompute", session.Manifest.Recompute.ToString().ToLowerInvariant());
        table.AddRow("memory arena", settings.Arena.ToLowerInvariant());
        table.AddRow("logits", ArtifactsBuildCommand.HeadDescription(session.Manifest.HeadChunks));
        table.AddRow("parameters (dense, for FLOPs)", dense.ToString("N0", CultureInfo.InvariantCulture));
        table.AddRow("forward + backward (median)", $"{median * 1e3:F1} ms");
        table.AddRow("tokens/s", (tokens / median).ToString("F0", CultureInfo.InvariantCulture));
        table.AddRow("GFLOP/s (6·N·tokens)", (6.0 * dense * tokens / median / 1e9).ToString("F1", CultureInfo.InvariantCulture));
        table.AddRow("AdamW step (median)", $"{BenchStatistics.Median(optimize) * 1e3:F1} ms");
        long state = session.StateBytes;
        table.AddRow("training state (parameters, gradients, moments, reference)",
            $"{MemoryPhases.Gib(state)} ({(double)state / session.ParameterCount:F1} B/parameter)");
        memory.End("remaining repeats");
        // The process's high-water mark (VmHWM): what the operating system had to provide, session and all.
        table.AddRow("peak RSS (whole process)", MemoryPhases.Gib(memory.PeakBytes));
        AnsiConsole.Write(table);

        var phases = new Table().AddColumns("phase", "seconds", "RSS at end", memory.PerPhasePeaks ? "peak RSS in phase" : "peak RSS so far", "managed heap");
        foreach (var p in memory.Phases)
            phases.AddRow(p.Name, p.Seconds.ToString("F1", CultureInfo.InvariantCulture), MemoryPhases.Gib(p.RssBytes), MemoryPhases.Gib(p.PeakBytes), MemoryPhases.Gib(p.ManagedBytes));
        AnsiConsole.Write(phases);
        return 0;
    }

    private static TrainingSession OpenFromModel(string model, TrainingSessionOptions options, TrainingGraphOptions graph, MemoryPhases memory)
    {
        var session = OpenFromArtifacts(model, options, graph, memory);
        // The in-memory artifacts are garbage now (and no slot of this frame refers to them). The worker opens artifacts
        // from disk, streaming the checkpoint into the session's buffers, so it never holds them: collect them, so that
        // the later phases compare with it.
        TrainingSession.ReleaseManagedMemory();
        return session;
    }

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    private static TrainingSession OpenFromArtifacts(string model, TrainingSessionOptions options, TrainingGraphOptions graph, MemoryPhases memory)
    {
        var a = ArtifactsBuilder.Build(model, new ArtifactsOptions { Training = graph });
        memory.End("artifacts build");
        if (a.Manifest.RecomputeNote is { } note) AnsiConsole.MarkupLine($"[yellow]{Markup.Escape(note)}[/]");
        return new TrainingSession(a.Manifest, a.EvalBytes(), a.TrainingBytes(), a.Checkpoint, options);
    }

    /// <summary>A tied embedding is also the LM head's matrix, so it does count as dense compute.</summary>
    private static bool IsTiedHead(TrainingSession session, ProRL.Training.Optimizer.ParameterSpec embedding) =>
        !session.Parameters.Any(p => p.Name.Contains("lm_head", StringComparison.Ordinal));
}
