using System.Text.Json.Nodes;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using ProRL.Rollout.ModelGeneration;
using ProRL.Worker.Options;
using ProRL.Worker.RunDirectory;

namespace ProRL.Worker.Hosting;

/// <summary>
/// Runs before every other service: generates the model folder when <c>Model:CreateIfMissing</c> asks for it, and, on
/// the host that runs the trainer, initialises the run directory (<c>run.json</c> with the resolved configuration and
/// the model's hash; policy and reference v0 = the model). A run directory started for another model is refused.
/// </summary>
public sealed class RunBootstrapService(
    IOptions<ModelOptions> model,
    IOptions<RunOptions> run,
    IOptions<ServicesOptions> services,
    IConfiguration configuration,
    ILogger<RunBootstrapService> logger) : IHostedService
{
    public static IReadOnlyList<string> RecordedSections => WorkerOptionsRegistration.SectionNames;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        EnsureModel(model.Value, logger);
        LogModelWarnings(model.Value.Path, logger);
        if (!services.Value.Trainer) return Task.CompletedTask;
        var store = RunStore.Open(run.Value.Directory);
        var modelHash = VersionManifest.Compute(model.Value.Path, 0).ContentHash();
        var info = store.EnsureRunInfo(RunInfo.New(model.Value.Path, modelHash, Snapshot(configuration, RecordedSections)));
        if (store.EnsureInitialVersions(model.Value.Path, new Dictionary<string, string> { [ManifestProperties.ModelHash] = modelHash }))
            logger.LogInformation("Run {RunId}: policy and reference v0 committed from {Model}", info.RunId, model.Value.Path);
        store.Events.Append(EventTypes.RunStarted, store.Policy.ReadLatestPointer(), $"worker started on run {info.RunId}");
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>Once per start: special ids that disagree with the tokenizer, padded vocabulary rows (both handled, but worth knowing).</summary>
    private static void LogModelWarnings(string modelPath, ILogger logger)
    {
        ProRL.Onnx.Models.ModelFolder folder;
        ProRL.Onnx.Models.TokenizerInfo tokenizer;
        try
        {
            folder = ProRL.Onnx.Models.ModelFolder.Open(modelPath);
            tokenizer = ProRL.Onnx.Models.TokenizerInfo.Read(folder.Directory);
        }
        catch (Exception e) when (e is IOException or InvalidDataException)
        {
            return; // start-up validation reports an unreadable folder; these notes are only informative
        }
        foreach (var warning in tokenizer.SpecialTokenWarnings(folder.Config.Model))
            logger.LogWarning("{Model}: {Warning}", modelPath, warning);
        if (tokenizer.Size > 0 && tokenizer.Size < folder.Config.Model.VocabSize)
            logger.LogInformation("{Model}: vocab_size {VocabSize} exceeds the tokenizer's {Tokens} ids; the padded rows are masked and never sampled",
                modelPath, folder.Config.Model.VocabSize, tokenizer.Size);
    }

    /// <summary>Writes a random model of the configured preset at Model:Path when that folder holds no model.</summary>
    public static bool EnsureModel(ModelOptions options, ILogger logger)
    {
        if (File.Exists(Path.Combine(options.Path, ModelOptionsValidator.GenAiConfigFileName))) return false;
        if (string.Equals(options.CreateIfMissing, "none", StringComparison.OrdinalIgnoreCase))
            throw new RunDirectoryException($"Model:Path '{options.Path}' holds no GenAI model (no genai_config.json).");
        // A folder with files but no config is a damaged or incomplete export: generating into it would overwrite it.
        if (Directory.Exists(options.Path) && Directory.EnumerateFileSystemEntries(options.Path).Any())
            throw new RunDirectoryException(
                $"Model:Path '{options.Path}' has no genai_config.json but holds other files, so no '{options.CreateIfMissing}' model is " +
                "generated over them (Model:CreateIfMissing); restore the export's genai_config.json or point Model:Path at an empty or new folder.");
        logger.LogInformation("Generating a random '{Preset}' model at {Path}", options.CreateIfMissing, options.Path);
        ModelGenerator.Write(DecoderSpec.Preset(options.CreateIfMissing), options.Path);
        return true;
    }

    /// <summary>The effective values (after environment and command-line overrides) of the given sections.</summary>
    public static JsonObject Snapshot(IConfiguration configuration, IEnumerable<string> sections)
    {
        var root = new JsonObject();
        foreach (var name in sections)
        {
            var section = configuration.GetSection(name);
            if (section.Exists()) root[name] = ToNode(section);
        }
        return root;
    }

    private static JsonNode? ToNode(IConfigurationSection section)
    {
        var children = section.GetChildren().ToList();
        if (children.Count == 0) return section.Value is null ? null : JsonValue.Create(section.Value);
        var node = new JsonObject();
        foreach (var child in children) node[child.Key] = ToNode(child);
        return node;
    }
}
