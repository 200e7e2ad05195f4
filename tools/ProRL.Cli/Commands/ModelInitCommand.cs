using System.ComponentModel;
using ProRL.Rollout.ModelGeneration;
using Spectre.Console;
using Spectre.Console.Cli;

namespace ProRL.Cli.Commands;

/// <summary>`prorl model init`: writes a randomly initialised GenAI model folder (DESIGN §4).</summary>
public sealed class ModelInitCommand : Command<ModelInitCommand.Settings>
{
    public sealed class Settings : CommandSettings
    {
        [CommandOption("--out <DIR>"), Description("Folder to write the model into (created if needed).")]
        public string? Out { get; init; }

        [CommandOption("--preset <NAME>"), Description("tiny (tests, ~0.1 M parameters) or small (benchmarks, ~13 M).")]
        public string Preset { get; init; } = "tiny";

        [CommandOption("--seed <N>"), Description("Seed of the random weights; same seed, same bytes.")]
        public ulong Seed { get; init; }

        [CommandOption("--layers <N>")] public int? Layers { get; init; }
        [CommandOption("--hidden <N>")] public int? Hidden { get; init; }
        [CommandOption("--heads <N>")] public int? Heads { get; init; }
        [CommandOption("--kv-heads <N>")] public int? KvHeads { get; init; }
        [CommandOption("--intermediate <N>")] public int? Intermediate { get; init; }
        [CommandOption("--context <N>")] public int? Context { get; init; }

        [CommandOption("--tie-embeddings"), Description("Share the embedding with the LM head (Transpose + Gather).")]
        public bool TieEmbeddings { get; init; }

        [CommandOption("--no-qkv-bias"), Description("Llama-style attention projections without bias.")]
        public bool NoQkvBias { get; init; }

        [CommandOption("--rotary-interleaved"), Description("Rotate interleaved pairs instead of halves.")]
        public bool RotaryInterleaved { get; init; }

        public override ValidationResult Validate()
        {
            if (string.IsNullOrWhiteSpace(Out)) return ValidationResult.Error("--out is required.");
            if (!DecoderSpec.PresetNames.Contains(Preset.ToLowerInvariant()))
                return ValidationResult.Error($"--preset '{Preset}' is unknown (allowed: {string.Join(", ", DecoderSpec.PresetNames)}).");
            try { ToSpec().Validate(); }
            catch (ArgumentException e) { return ValidationResult.Error(e.Message); }
            return ValidationResult.Success();
        }

        public DecoderSpec ToSpec()
        {
            var spec = DecoderSpec.Preset(Preset);
            return spec with
            {
                Seed = Seed,
                Layers = Layers ?? spec.Layers,
                Hidden = Hidden ?? spec.Hidden,
                Heads = Heads ?? spec.Heads,
                KvHeads = KvHeads ?? spec.KvHeads,
                Intermediate = Intermediate ?? spec.Intermediate,
                Context = Context ?? spec.Context,
                TieEmbeddings = TieEmbeddings || spec.TieEmbeddings,
                QkvBias = !NoQkvBias && spec.QkvBias,
                RotaryInterleaved = RotaryInterleaved || spec.RotaryInterleaved,
            };
        }
    }

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        var spec = settings.ToSpec();
        var folder = ModelGenerator.Write(spec, settings.Out!);
        var table = new Table().AddColumns("property", "value");
        table.AddRow("folder", Markup.Escape(folder.Directory));
        table.AddRow("layers / hidden / heads / kv-heads", $"{spec.Layers} / {spec.Hidden} / {spec.Heads} / {spec.KvHeads}");
        table.AddRow("intermediate / context / vocab", $"{spec.Intermediate} / {spec.Context} / {spec.VocabSize}");
        table.AddRow("tied embeddings / qkv bias / rotary interleaved", $"{spec.TieEmbeddings} / {spec.QkvBias} / {spec.RotaryInterleaved}");
        table.AddRow("parameters", spec.ParameterCount().ToString("N0", System.Globalization.CultureInfo.InvariantCulture));
        table.AddRow("content hash", folder.ContentHash());
        AnsiConsole.Write(table);
        return 0;
    }
}
