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

        [CommandOption("--preset <NAME>"), Description("tiny (tests, ~0.1 M parameters), small (benchmarks, ~13 M) or qwen2.5-0.5b (Qwen2.5-0.5B's exact shape, 494 M, random weights).")]
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

        [CommandOption("--opset <N>"), Description("ai.onnx opset, 14..21 (IR 7 for 14 ... IR 10 for 21); default 21.")]
        public int? Opset { get; init; }

        [CommandOption("--precision <TYPE>"), Description("fp32 (default), fp16, or bf16 (bf16 weights, float32 logits, as the builder writes).")]
        public string? Precision { get; init; }

        [CommandOption("--attention <LAYOUT>"),
         Description("gqa (GroupQueryAttention with fused rotary, default), gqa-rotary-op (RotaryEmbedding + position_ids, then GQA), " +
                     "or mha (RotaryEmbedding + MultiHeadAttention with the attention-mask reformat subgraph).")]
        public string? Attention { get; init; }

        [CommandOption("--unpacked-qkv"), Description("Separate q/k/v MatMuls (implied by --qk-norm, gqa-rotary-op and mha).")]
        public bool UnpackedQkv { get; init; }

        [CommandOption("--qk-norm"), Description("Qwen3's per-head RMSNorm of q and k.")]
        public bool QkNorm { get; init; }

        [CommandOption("--sliding-window <N>"), Description("GroupQueryAttention local_window_size (Mistral, Gemma 2).")]
        public int? SlidingWindow { get; init; }

        [CommandOption("--softcap <X>"), Description("GroupQueryAttention softcap (Gemma 2).")]
        public float? Softcap { get; init; }

        [CommandOption("--partial-rotary <F>"), Description("Fraction of the head size that is rotated (Phi-3/Phi-4-mini), in (0, 1]].")]
        public float? PartialRotary { get; init; }

        [CommandOption("--vocab <N>"), Description("Embedding rows / genai_config vocab_size, at least the tokenizer's size; extra rows are padding.")]
        public int? Vocab { get; init; }

        [CommandOption("--embedding-scale"), Description("Gemma's Mul of the embedding by sqrt(hidden).")]
        public bool EmbeddingScale { get; init; }

        [CommandOption("--mlp <ACT>"), Description("silu (SwiGLU, default) or gelu-tanh (Gemma's GeGLU).")]
        public string? Mlp { get; init; }

        [CommandOption("--model-type <TYPE>"), Description("genai_config model.type; by default derived from the layout (qwen2, qwen3, gemma, gemma2, phi3, mistral).")]
        public string? ModelType { get; init; }

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
                Opset = Opset ?? spec.Opset,
                Precision = Precision is null ? spec.Precision : DecoderSpec.ParsePrecision(Precision),
                Attention = Attention is null ? spec.Attention : DecoderSpec.ParseAttention(Attention),
                UnpackedQkv = UnpackedQkv || spec.UnpackedQkv,
                QkNorm = QkNorm || spec.QkNorm,
                SlidingWindow = SlidingWindow ?? spec.SlidingWindow,
                Softcap = Softcap ?? spec.Softcap,
                PartialRotary = PartialRotary ?? spec.PartialRotary,
                Vocab = Vocab ?? spec.Vocab,
                EmbeddingScale = EmbeddingScale || spec.EmbeddingScale,
                Mlp = Mlp is null ? spec.Mlp : DecoderSpec.ParseMlp(Mlp),
                ModelType = ModelType ?? spec.ModelType,
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
        table.AddRow("model type / opset / IR / precision", $"{spec.GenAiModelType} / {spec.Opset} / {spec.IrVersion} / {spec.Precision}");
        table.AddRow("attention / packed qkv / qk norm", $"{spec.Attention} / {spec.PackedQkv} / {spec.QkNorm}");
        table.AddRow("sliding window / softcap / rotary dim", $"{spec.SlidingWindow?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "none"} / " +
            $"{spec.Softcap.ToString(System.Globalization.CultureInfo.InvariantCulture)} / {spec.RotaryDim}");
        table.AddRow("mlp / embedding scale", $"{spec.Mlp} / {spec.EmbeddingScale}");
        table.AddRow("parameters", spec.ParameterCount().ToString("N0", System.Globalization.CultureInfo.InvariantCulture));
        table.AddRow("content hash", folder.ContentHash());
        AnsiConsole.Write(table);
        return 0;
    }
}
