using System.ComponentModel;
using System.Diagnostics;
using System.Globalization;
using ProRL.Rollout.ModelGeneration;
using ProRL.Training.Artifacts;
using ProRL.Training.Batching;
using ProRL.Training.Session;
using Spectre.Console;
using Spectre.Console.Cli;

namespace ProRL.Cli.Commands;

/// <summary>
/// `prorl bench pack`: one micro-batch of responses of varied lengths, trained as the trainer trains it (old and
/// reference logprobs, then forward + backward), once with one response per padded row and once packed several per
/// row (<see cref="PackedBatch.PackSequences"/>). The two layouts alternate repeat by repeat, so that the machine's
/// load falls on both alike; the figures are medians with min and max, and the median of the paired ratios.
/// </summary>
public sealed class BenchPackCommand : Command<BenchPackCommand.Settings>
{
    public sealed class Settings : CommandSettings
    {
        [CommandOption("--model <DIR>"), Description("GenAI model folder (artifacts are built in memory).")]
        public string? Model { get; init; }

        [CommandOption("--preset <NAME>"), Description("Generate a model of this preset (tiny, small, qwen2.5-0.5b) in a temporary folder and measure it.")]
        public string? Preset { get; init; }

        [CommandOption("--samples <N>"), Description("Responses in the micro-batch (default 16).")]
        public int Samples { get; init; } = 16;

        [CommandOption("--prompt <N>"), Description("Prompt tokens of every response (default 64).")]
        public int Prompt { get; init; } = 64;

        [CommandOption("--min-response <N>"), Description("Shortest response, tokens (default 16).")]
        public int MinResponse { get; init; } = 16;

        [CommandOption("--max-response <N>"), Description("Longest response, tokens (default 448); lengths are drawn uniformly between the two.")]
        public int MaxResponse { get; init; } = 448;

        [CommandOption("--repeats <N>")] public int Repeats { get; init; } = 5;
        [CommandOption("--width-factor <X>"), Description("Packed rows this many times as wide as the longest response (default 1, as the trainer packs; ≥ 1).")]
        public double WidthFactor { get; init; } = 1;
        [CommandOption("--warmup <N>")] public int Warmup { get; init; } = 1;
        [CommandOption("--threads <N>"), Description("ONNX Runtime intra-op threads (0 = one per core).")] public int Threads { get; init; }
        [CommandOption("--seed <N>")] public int Seed { get; init; } = 1;

        [CommandOption("--recompute <MODE>"), Description("none (default) or layers.")]
        public string Recompute { get; init; } = "none";

        [CommandOption("--one-session"), Description("Run both layouts on the packed artifacts (one set of weights in memory, for large models); by default the padded layout runs on padded artifacts, as the trainer runs it.")]
        public bool OneSession { get; init; }

        public override ValidationResult Validate()
        {
            if (new[] { Model, Preset }.Count(v => !string.IsNullOrWhiteSpace(v)) != 1)
                return ValidationResult.Error("Give exactly one of --model and --preset.");
            if (Preset is { } p && !DecoderSpec.PresetNames.Contains(p.ToLowerInvariant()))
                return ValidationResult.Error($"--preset '{p}' is unknown (allowed: {string.Join(", ", DecoderSpec.PresetNames)}).");
            if (Samples < 1) return ValidationResult.Error($"--samples {Samples} must be ≥ 1.");
            if (Prompt < 1) return ValidationResult.Error($"--prompt {Prompt} must be ≥ 1.");
            if (MinResponse < 1 || MaxResponse < MinResponse)
                return ValidationResult.Error($"--min-response {MinResponse} and --max-response {MaxResponse} must satisfy 1 ≤ min ≤ max.");
            if (!(WidthFactor >= 1 && double.IsFinite(WidthFactor))) return ValidationResult.Error($"--width-factor {WidthFactor} must be ≥ 1.");
            if (Repeats < 1 || Warmup < 0 || Threads < 0) return ValidationResult.Error("--repeats must be ≥ 1, --warmup and --threads ≥ 0.");
            try { ArtifactsBuildCommand.LossSettings.ParseRecompute(Recompute, "--recompute"); }
            catch (ArgumentException e) { return ValidationResult.Error(e.Message); }
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
                model = ModelGenerator.Write(DecoderSpec.Preset(preset), generated).Directory;
            }
            else InputChecks.RequireTrainableModel(model);
            return Measure(settings, model!, cancellationToken);
        }
        finally
        {
            if (generated is not null && Directory.Exists(generated)) Directory.Delete(generated, recursive: true);
        }
    }

    private static int Measure(Settings settings, string model, CancellationToken cancellationToken)
    {
        var folder = ProRL.Onnx.Models.ModelFolder.Open(model);
        var options = new TrainingSessionOptions { IntraOpThreads = settings.Threads };
        var graph = new TrainingGraphOptions { Recompute = ArtifactsBuildCommand.LossSettings.ParseRecompute(settings.Recompute, "--recompute") };
        AnsiConsole.MarkupLine("Building packed artifacts ...");
        using var packedSession = Open(model, graph with { PackedSequences = true }, options);
        TrainingSession? paddedOwned = null;
        if (!settings.OneSession)
        {
            AnsiConsole.MarkupLine("Building padded artifacts ...");
            paddedOwned = Open(model, graph, options);
        }
        using var paddedArtifacts = paddedOwned;
        var paddedSession = paddedOwned ?? packedSession;

        var samples = Samples(settings, folder.Config.Model.VocabSize);
        var padded = PackedBatch.Pack(samples, folder.Config.Model.PadTokenId);
        var packed = PackedBatch.PackSequences(samples, folder.Config.Model.PadTokenId, settings.WidthFactor);
        foreach (var s in new[] { paddedSession, packedSession }.Distinct()) s.SetReferenceToPolicy();

        var times = new Dictionary<string, List<double>> { ["padded"] = [], ["packed"] = [] };
        var ratios = new List<double>();
        var loss = new PolicyLossSettings();
        for (int r = 0; r < settings.Warmup + settings.Repeats; r++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            // Alternate which layout goes first, so that neither always runs on a warmer (or busier) machine.
            var order = r % 2 == 0 ? new[] { "padded", "packed" } : ["packed", "padded"];
            var seconds = new Dictionary<string, double>();
            foreach (var layout in order)
            {
                var (session, batch) = layout == "padded" ? (paddedSession, padded) : (packedSession, packed);
                seconds[layout] = TrainMicroBatch(session, batch, samples, loss);
                session.ResetGrad();
            }
            AnsiConsole.MarkupLine($"[grey]repeat {r + 1 - settings.Warmup}{(r < settings.Warmup ? " (warm-up)" : "")}: padded {seconds["padded"] * 1e3:F0} ms, packed {seconds["packed"] * 1e3:F0} ms[/]");
            if (r < settings.Warmup) continue;
            foreach (var (k, v) in seconds) times[k].Add(v);
            ratios.Add(seconds["padded"] / seconds["packed"]);
        }

        long realTokens = samples.Sum(s => (long)s.Length);
        var table = new Table().AddColumns("layout", "rows × width", "padding", "median ms (min–max)", "real tokens/s");
        foreach (var (name, batch) in new[] { ("padded", padded), ("packed", packed) })
        {
            var t = times[name];
            long computed = (long)batch.Tokens.BatchSize * batch.Tokens.Length;
            table.AddRow(name, $"{batch.Tokens.BatchSize} × {batch.Tokens.Length}", $"{100.0 * batch.PaddingTokens / computed:F1}%",
                $"{BenchStatistics.Median(t) * 1e3:F1} ({t.Min() * 1e3:F1}–{t.Max() * 1e3:F1})", (realTokens / BenchStatistics.Median(t)).ToString("F0", CultureInfo.InvariantCulture));
        }
        AnsiConsole.Write(table);
        AnsiConsole.MarkupLine($"{samples.Count} responses, {realTokens} real tokens (prompt {settings.Prompt}, responses {settings.MinResponse}–{settings.MaxResponse}); " +
            $"padded layout on {(settings.OneSession ? "the packed artifacts" : "padded artifacts")}.");
        AnsiConsole.MarkupLine($"packed speed-up: {BenchStatistics.Median(times["padded"]) / BenchStatistics.Median(times["packed"]):F2}× (ratio of medians); " +
            $"paired ratios: median {BenchStatistics.Median(ratios):F2}, min {ratios.Min():F2}, max {ratios.Max():F2}");
        return 0;
    }

    /// <summary>Old and reference logprobs, then forward + backward: the trainer's work on one micro-batch.</summary>
    private static double TrainMicroBatch(TrainingSession session, PackedBatch batch, IReadOnlyList<TrainingSample> samples, PolicyLossSettings loss)
    {
        var clock = Stopwatch.StartNew();
        var old = session.EvalStep(batch.Tokens, loss.Temperature).Logprobs;
        var reference = session.EvalStep(batch.Tokens, loss.Temperature, ParameterSet.Reference).Logprobs;
        double[] advantages = [.. samples.Select((_, i) => i % 2 == 0 ? 1.0 : -1.0)];
        session.TrainStep(batch.Tokens, new PolicyLossInputs(batch.ResponseMask, old, reference, batch.PerSampleToTokens(advantages, samples)), loss);
        return clock.Elapsed.TotalSeconds;
    }

    private static List<TrainingSample> Samples(Settings settings, int vocab)
    {
        var rng = new Random(settings.Seed);
        int[] Tokens(int n) => [.. Enumerable.Range(0, n).Select(_ => rng.Next(vocab))];
        return [.. Enumerable.Range(0, settings.Samples).Select(i =>
        {
            int length = rng.Next(settings.MinResponse, settings.MaxResponse + 1);
            return new TrainingSample(i / 4, Tokens(settings.Prompt), Tokens(length), new float[length], 0, true);
        })];
    }

    private static TrainingSession Open(string model, TrainingGraphOptions graph, TrainingSessionOptions options)
    {
        var a = ArtifactsBuilder.Build(model, new ArtifactsOptions { Training = graph });
        var session = new TrainingSession(a.Manifest, a.EvalBytes(), a.TrainingBytes(), a.Checkpoint, options);
        TrainingSession.ReleaseManagedMemory();
        return session;
    }
}
