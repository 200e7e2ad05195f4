using System.ComponentModel;
using System.Globalization;
using ProRL.Training.Inspection;
using Spectre.Console;
using Spectre.Console.Cli;

namespace ProRL.Cli.Commands;

/// <summary>
/// `prorl model inspect DIR`: the detected decoder layout, dtype, opset, vocabulary and tokenizer kind, and whether the
/// model can be trained (and why not). Exits 0 when it can, 2 when it cannot.
/// </summary>
public sealed class ModelInspectCommand : Command<ModelInspectCommand.Settings>
{
    public sealed class Settings : CommandSettings
    {
        [CommandArgument(0, "<DIR>"), Description("GenAI model folder.")]
        public string Directory { get; init; } = "";
    }

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        // Missing files, a damaged graph or a tokenizer that does not read: the start-up checks' lines, exit 2.
        InputChecks.RequireModel(settings.Directory, "DIR");
        var layout = ModelLayout.Inspect(settings.Directory);
        var table = new Table().AddColumns("property", "value").HideHeaders();
        void Row(string name, string value) => table.AddRow(Markup.Escape(name), Markup.Escape(value));
        Row("folder", layout.Directory);
        Row("model type", layout.ModelType);
        Row("format", $"IR {layout.IrVersion}, ai.onnx opset {layout.Opset}");
        Row("precision", $"weights {layout.WeightType}, logits {layout.LogitsType}");
        Row("attention", layout.Attention);
        Row("layout", string.Join(", ", layout.Features));
        Row("size", $"{layout.Layers} layers, {layout.Parameters.ToString("N0", CultureInfo.InvariantCulture)} trainable parameters");
        Row("vocabulary", $"vocab_size {layout.ConfigVocabSize}, embedding rows {layout.EmbeddingRows}" +
            (layout.Tokenizer is { } t ? $", tokenizer {t.Size} ids" : ""));
        if (layout.Tokenizer is { } tok)
        {
            Row("tokenizer", $"{tok.Kind}{(tok.Merges > 0 ? $", {tok.Merges} merges" : "")}, chat template: {(tok.HasChatTemplate ? "yes" : "no")}");
            Row("special tokens", string.Join(", ", tok.SpecialTokens.Select(p => $"{p.Key} {p.Value?.ToString(CultureInfo.InvariantCulture) ?? "?"}")));
        }
        Row("trainable", layout.Trainable ? "yes" : "no");
        AnsiConsole.Write(table);
        foreach (var warning in layout.Warnings) AnsiConsole.MarkupLine($"[yellow]warning:[/] {Markup.Escape(warning)}");
        if (layout.NotTrainableReason is { } reason) AnsiConsole.MarkupLine($"[red]not trainable:[/] {Markup.Escape(reason)}");
        return layout.Trainable ? 0 : 2;
    }
}
