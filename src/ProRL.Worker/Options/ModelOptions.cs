using System.ComponentModel.DataAnnotations;
using ProRL.Rollout.Engine;

namespace ProRL.Worker.Options;

/// <summary><c>Model</c>: the GenAI model folder to train and how to run it.</summary>
public sealed class ModelOptions : IOptionsSection
{
    public static string SectionName => "Model";

    public const string Cpu = "cpu";
    public const string Cuda = "cuda";

    /// <summary>A GenAI model folder (genai_config.json, model.onnx, tokenizer files). Fixed name: <c>Model:Path</c>.</summary>
    [Required]
    public string Path { get; set; } = "";

    [OneOf(Cpu, Cuda)]
    public string ExecutionProvider { get; set; } = Cpu;

    /// <summary>Intra-op threads for ONNX Runtime; 0 lets ONNX Runtime choose.</summary>
    [Range(0, 1024)]
    public int Threads { get; set; }

    /// <summary>Generate a random model of this preset at <see cref="Path"/> when the folder is missing; <c>none</c> requires it to exist.</summary>
    [OneOf("none", "tiny", "small")]
    public string CreateIfMissing { get; set; } = "none";

    /// <summary>
    /// How chat prompts become text: <c>auto</c> (the export's chat_template, raw text without one), <c>none</c> (raw),
    /// <c>chatml</c>, <c>llama3</c>, or the path of a Jinja template file.
    /// </summary>
    public string ChatTemplate { get; set; } = ChatTemplates.Auto;
}

public sealed class ModelOptionsValidator : SectionValidator<ModelOptions>
{
    public const string GenAiConfigFileName = "genai_config.json";

    protected override IEnumerable<string> CrossFieldErrors(ModelOptions o)
    {
        if (string.Equals(o.CreateIfMissing, "none", StringComparison.OrdinalIgnoreCase) &&
            !File.Exists(System.IO.Path.Combine(o.Path, GenAiConfigFileName)))
            yield return $"Model:Path '{o.Path}' is not a GenAI model folder (no {GenAiConfigFileName}) and Model:CreateIfMissing is 'none'; " +
                         "point Model:Path at an exported model or set Model:CreateIfMissing to tiny or small.";
        if (!ChatTemplates.IsNamed(o.ChatTemplate) && !File.Exists(o.ChatTemplate))
            yield return $"Model:ChatTemplate '{o.ChatTemplate}' is neither one of {string.Join(", ", ChatTemplates.Named)} nor an existing template file.";
#if !PRORL_CUDA
        if (string.Equals(o.ExecutionProvider, ModelOptions.Cuda, StringComparison.OrdinalIgnoreCase))
            yield return "Model:ExecutionProvider 'cuda' needs the CUDA build (dotnet build -p:ProRLAccelerator=cuda); this build allows: cpu.";
#endif
    }
}
