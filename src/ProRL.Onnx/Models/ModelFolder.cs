using System.Security.Cryptography;
using System.Text;

namespace ProRL.Onnx.Models;

/// <summary>
/// A validated GenAI model folder (DESIGN §4): `genai_config.json`, the decoder file it names (+ its `.data` side
/// file when present) and `tokenizer.json`. <see cref="Open"/> fails with a message naming the missing piece.
/// </summary>
public sealed class ModelFolder
{
    public const string TokenizerFileName = "tokenizer.json";
    public const string TokenizerConfigFileName = "tokenizer_config.json";

    private ModelFolder(string directory, GenAiConfig config)
    {
        Directory = directory;
        Config = config;
    }

    /// <summary>Absolute path of the folder.</summary>
    public string Directory { get; }
    public GenAiConfig Config { get; }
    public GenAiDecoderSection Decoder => Config.Model.Decoder;
    public string ConfigPath => Path.Combine(Directory, GenAiConfig.FileName);
    public string ModelPath => Path.Combine(Directory, Config.Model.Decoder.Filename);
    /// <summary>`model.onnx.data` beside the model, or null when the model keeps its weights inline.</summary>
    public string? ExternalDataPath => File.Exists(ModelPath + ".data") ? ModelPath + ".data" : null;
    public string TokenizerPath => Path.Combine(Directory, TokenizerFileName);

    public static ModelFolder Open(string directory)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(directory);
        var full = Path.GetFullPath(directory);
        if (!System.IO.Directory.Exists(full))
            throw new DirectoryNotFoundException($"Model folder '{full}' does not exist.");
        var configPath = Path.Combine(full, GenAiConfig.FileName);
        if (!File.Exists(configPath))
            throw new FileNotFoundException($"Model folder '{full}' has no {GenAiConfig.FileName}.", configPath);
        var folder = new ModelFolder(full, GenAiConfig.Load(configPath));
        if (!File.Exists(folder.ModelPath))
            throw new FileNotFoundException(
                $"Model folder '{full}' has no model file '{folder.Decoder.Filename}' (named by {GenAiConfig.FileName} model.decoder.filename).",
                folder.ModelPath);
        if (!File.Exists(folder.TokenizerPath))
            throw new FileNotFoundException($"Model folder '{full}' has no {TokenizerFileName}.", folder.TokenizerPath);
        return folder;
    }

    /// <summary>
    /// SHA-256 (lower-case hex) over the model file, its external data and genai_config.json: equal hashes mean the
    /// same network and weights, so derived artifacts (e.g. training graphs) can be cached under it.
    /// </summary>
    public string ContentHash()
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (var (label, path) in HashedFiles())
        {
            // Name and length first, so that moving bytes from one file to another changes the hash.
            var info = new FileInfo(path);
            hash.AppendData(Encoding.UTF8.GetBytes($"{label}\n{info.Length}\n"));
            using var stream = File.OpenRead(path);
            var buffer = new byte[1 << 20];
            int read;
            while ((read = stream.Read(buffer, 0, buffer.Length)) > 0) hash.AppendData(buffer, 0, read);
        }
        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }

    private IEnumerable<(string Label, string Path)> HashedFiles()
    {
        yield return ("model", ModelPath);
        if (ExternalDataPath is { } data) yield return ("model.data", data);
        yield return ("genai_config", ConfigPath);
    }

    public override string ToString() => Directory;
}
