using System.ComponentModel;
using ProRL.Cli.Export;
using ProRL.Cli.Runs;
using ProRL.Worker.RunDirectory;
using Spectre.Console;
using Spectre.Console.Cli;

namespace ProRL.Cli.Commands;

/// <summary>
/// `prorl export --run RUN [--version N] --format safetensors-hf --out DIR`: a committed policy version (the newest by
/// default) as a Hugging Face folder (see <see cref="HuggingFaceExport"/>). Reads committed state only: the version
/// is checked against its manifest (SHA-256) first, so it is safe while the worker runs.
/// </summary>
public sealed class ExportCommand : Command<ExportCommand.Settings>
{
    public sealed class Settings : CommandSettings
    {
        [CommandOption("--run <RUN>"), Description("Run directory.")]
        public string? Run { get; init; }

        [CommandOption("--version <N>"), Description("Policy version to export (default: the newest committed one).")]
        public long? Version { get; init; }

        [CommandOption("--format <FORMAT>"), Description("Output format: safetensors-hf.")]
        public string Format { get; init; } = HuggingFaceExport.Format;

        [CommandOption("--out <DIR>"), Description("Folder to write (model.safetensors, config.json, generation_config.json, tokenizer files).")]
        public string? Out { get; init; }

        public override ValidationResult Validate()
        {
            if (string.IsNullOrWhiteSpace(Run)) return ValidationResult.Error("--run is required.");
            if (string.IsNullOrWhiteSpace(Out)) return ValidationResult.Error("--out is required.");
            if (!string.Equals(Format, HuggingFaceExport.Format, StringComparison.OrdinalIgnoreCase))
                return ValidationResult.Error($"--format must be {HuggingFaceExport.Format} (got '{Format}').");
            if (Version < 0) return ValidationResult.Error("--version must be >= 0.");
            return ValidationResult.Success();
        }
    }

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        var policy = RunReader.Open(settings.Run!).Policy;
        CommittedVersion? version;
        string? problem = null;
        if (settings.Version is { } v)
            version = policy.TryOpen(v, VerifyLevel.Checksums, out problem);
        else
            version = policy.ReadLatest(VerifyLevel.Checksums);
        if (version is null)
        {
            AnsiConsole.MarkupLine($"[red]error:[/] no committed policy version{(settings.Version is { } n ? $" v{n}" : "")} in {Markup.Escape(settings.Run!)}" +
                                   (problem is null ? "" : $": {Markup.Escape(problem)}"));
            return 1;
        }
        try
        {
            var result = HuggingFaceExport.Write(version.FolderPath, settings.Out!);
            AnsiConsole.MarkupLine($"policy v{version.Version} → {Markup.Escape(Path.GetFullPath(settings.Out!))} " +
                                   $"({result.Architecture}, {result.TensorNames.Count} tensors)");
            foreach (var note in result.Notes) AnsiConsole.MarkupLine($"[yellow]note:[/] {Markup.Escape(note)}");
            return 0;
        }
        catch (NotSupportedException e)
        {
            AnsiConsole.MarkupLine($"[red]cannot export:[/] {Markup.Escape(e.Message)}");
            return 2;
        }
    }
}
