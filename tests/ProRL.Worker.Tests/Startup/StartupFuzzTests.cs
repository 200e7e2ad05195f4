using System.Text;
using System.Text.Json.Nodes;
using Microsoft.ML.OnnxRuntime;
using ProRL.Worker.RunDirectory;
using Xunit.Abstractions;

namespace ProRL.Worker.Tests.Startup;

/// <summary>
/// 200 seeded random corruptions of a model folder, an appsettings file and a dataset (truncation, bit flips, wrong
/// types, missing files). For each: start-up refuses (the problems that make the worker exit 2), a problem names the
/// corrupted file, and the run directory stays byte for byte as it was.
/// </summary>
public sealed class StartupFuzzTests(PristineModel pristine, ITestOutputHelper output) : IClassFixture<PristineModel>, IDisposable
{
    private const int Corruptions = 200;
    private const int Seed = 20261129;
    private readonly StartupHarness _h = new(pristine);

    public void Dispose() => _h.Dispose();

    private string DatasetPath => _h.Combine("train.jsonl");
    private const string GoodRow = """{"domain": "math", "prompt": "What is 2+3?", "answer": "5"}""";

    private string BaseAppSettings() => new JsonObject
    {
        ["Logging"] = new JsonObject { ["LogLevel"] = new JsonObject { ["Default"] = "Warning" } },
        ["Run"] = new JsonObject { ["Seed"] = 7, ["MaxSteps"] = 3 },
        ["Rollout"] = new JsonObject { ["SamplesPerPrompt"] = 4, ["PromptsPerStep"] = 8, ["PromptsPerChunk"] = 4 },
        ["Algorithm"] = new JsonObject { ["ClipHigh"] = 0.28, ["DynamicSampling"] = true },
        ["Tasks"] = new JsonObject { ["Datasets"] = new JsonArray(new JsonObject { ["Path"] = DatasetPath, ["Weight"] = 1.0 }) },
        ["Services"] = new JsonObject { ["Validation"] = false },
    }.ToJsonString(new() { WriteIndented = true });

    private void Restore()
    {
        foreach (var file in Directory.EnumerateFiles(_h.ModelPath)) File.Delete(file);
        StartupHarness.CopyFolder(pristine.Path, _h.ModelPath);
        File.WriteAllText(_h.AppSettingsPath, BaseAppSettings());
        File.WriteAllLines(DatasetPath, Enumerable.Repeat(GoodRow, 8));
    }

    [Fact]
    public void Every_corruption_is_refused_naming_its_file_and_leaves_the_run_directory_untouched()
    {
        Restore();
        Assert.Empty(_h.Problems()); // the uncorrupted inputs start
        var store = RunStore.Open(_h.RunDirectory);
        store.EnsureRunInfo(RunInfo.New(_h.ModelPath, VersionManifest.Compute(_h.ModelPath, 0).ContentHash(), null));
        store.EnsureInitialVersions(_h.ModelPath);
        var before = StartupHarness.Snapshot(_h.RunDirectory);
        Assert.Empty(_h.Problems()); // ... and resume the run directory

        var random = new Random(Seed);
        int refused = 0, harmless = 0;
        var kinds = new Dictionary<string, int>();
        while (refused < Corruptions)
        {
            Restore();
            var (file, kind) = Corrupt(random);
            var problems = _h.Problems();
            // A flipped bit in a weight or constant leaves a valid model (only its hash differs, which the run directory
            // check refuses as "another model"); what ONNX Runtime cannot load must be refused by the model checks.
            bool onlyAnotherModel = problems.All(p => p.StartsWith("Run:Directory:", StringComparison.Ordinal) && p.Contains("hash"));
            string? runtimeError = onlyAnotherModel && kind == "model.onnx bit flip" ? OnnxRuntimeError(file) : null;
            if (onlyAnotherModel && kind == "model.onnx bit flip" && runtimeError is null)
            {
                harmless++;
                Assert.True(harmless < Corruptions, "almost every bit flip was harmless; the fuzzer is not testing anything");
                continue;
            }
            var context = $"case {refused} ({kind} of {file}): {string.Join(" | ", problems)}" + (runtimeError is null ? "" : $" [ONNX Runtime: {runtimeError}]");
            Assert.True(problems.Count > 0, "not refused: " + context);
            Assert.True(problems.Any(p => p.Contains(Path.GetFileName(file), StringComparison.Ordinal)), "no problem names the file: " + context);
            Assert.True(before.SequenceEqual(StartupHarness.Snapshot(_h.RunDirectory)), "run directory changed: " + context);
            kinds[kind] = kinds.GetValueOrDefault(kind) + 1;
            refused++;
        }
        output.WriteLine($"{refused} refused, {harmless} harmless model bit flips; " + string.Join(", ", kinds.OrderBy(k => k.Key).Select(k => $"{k.Key}: {k.Value}")));
        Assert.True(kinds.Count >= 15, "too few kinds of corruption were drawn: " + string.Join(", ", kinds.Keys));
    }

    /// <summary>Null when ONNX Runtime loads the model, else its error.</summary>
    private static string? OnnxRuntimeError(string modelPath)
    {
        try
        {
            using var session = new InferenceSession(modelPath);
            return null;
        }
        catch (OnnxRuntimeException e)
        {
            return e.Message;
        }
    }

    private (string File, string Kind) Corrupt(Random random)
    {
        string model = Path.Combine(_h.ModelPath, "model.onnx"), data = model + ".data";
        string config = Path.Combine(_h.ModelPath, "genai_config.json"), tokenizer = Path.Combine(_h.ModelPath, "tokenizer.json");
        string app = _h.AppSettingsPath, dataset = DatasetPath;
        switch (random.Next(21))
        {
            case 0: return Truncate(random, model);
            case 1: case 2: case 3: return FlipAnyBit(random, model);
            case 4: return Delete(model);
            case 5: return Truncate(random, data);
            case 6: return Delete(data);
            case 7: return TruncateJson(random, config);
            case 8: return FlipStructuralBit(random, config);
            case 9: return WrongType(random, config, ["model.decoder.num_hidden_layers", "model.vocab_size", "model.eos_token_id", "model.decoder.head_size", "model"]);
            case 10: return Delete(config);
            case 11: return FlipStructuralBit(random, tokenizer);
            case 12: return WrongType(random, tokenizer, ["model", "model.vocab", "added_tokens.0.id", "added_tokens"]);
            case 13: return Delete(tokenizer);
            case 14: return TruncateJson(random, app);
            case 15: return FlipStructuralBit(random, app);
            case 16: return WrongType(random, app, ["Run.Seed", "Rollout.SamplesPerPrompt", "Algorithm.ClipHigh", "Algorithm.DynamicSampling", "Tasks.Datasets"]);
            case 17: return MisspellSection(random, app);
            case 18: return TruncateJson(random, dataset);
            case 19: return random.Next(2) == 0 ? FlipStructuralBit(random, dataset) : WrongType(random, dataset, ["prompt", "domain"]);
            default: return random.Next(2) == 0 ? Delete(dataset) : Garbage(random, dataset);
        }
    }

    private static (string, string) Truncate(Random random, string path)
    {
        var bytes = File.ReadAllBytes(path);
        File.WriteAllBytes(path, bytes[..random.Next(bytes.Length)]);
        return (path, Path.GetFileName(path) + " truncation");
    }

    /// <summary>Cuts a JSON or JSONL file before its last closing brace, so the cut always removes content.</summary>
    private static (string, string) TruncateJson(Random random, string path)
    {
        var bytes = File.ReadAllBytes(path);
        int last = Array.LastIndexOf(bytes, (byte)'}');
        File.WriteAllBytes(path, bytes[..random.Next(last + 1)]);
        return (path, KindOf(path) + " truncation");
    }

    private static (string, string) FlipAnyBit(Random random, string path)
    {
        var bytes = File.ReadAllBytes(path);
        bytes[random.Next(bytes.Length)] ^= (byte)(1 << random.Next(8));
        File.WriteAllBytes(path, bytes);
        return (path, Path.GetFileName(path) + " bit flip");
    }

    /// <summary>
    /// Flips one bit of a character that gives the JSON its structure (outside strings, or a string's quotes). A flip
    /// inside a string or a number can leave a valid file with another value, which is not a corruption to refuse.
    /// </summary>
    private static (string, string) FlipStructuralBit(Random random, string path)
    {
        var bytes = File.ReadAllBytes(path);
        var positions = new List<int>();
        bool inString = false;
        for (int i = 0; i < bytes.Length; i++)
        {
            byte b = bytes[i];
            if (inString)
            {
                if (b == '\\') i++;
                else if (b == '"') { inString = false; positions.Add(i); }
                continue;
            }
            if (b == '"') { inString = true; positions.Add(i); }
            else if ("{}[]:,"u8.Contains(b)) positions.Add(i);
        }
        int at = positions[random.Next(positions.Count)];
        bytes[at] ^= (byte)(1 << random.Next(7)); // stays ASCII
        File.WriteAllBytes(path, bytes);
        return (path, KindOf(path) + " bit flip");
    }

    /// <summary>Replaces the value at a dotted path with one of another JSON type (a string for a number, ...).</summary>
    private static (string, string) WrongType(Random random, string path, string[] keys)
    {
        var lines = File.ReadAllLines(path);
        bool jsonl = path.EndsWith(".jsonl", StringComparison.Ordinal);
        int line = jsonl ? random.Next(lines.Length) : 0;
        var root = JsonNode.Parse(jsonl ? lines[line] : File.ReadAllText(path))!;
        var key = keys[random.Next(keys.Length)];
        var parts = key.Split('.');
        JsonNode parent = root;
        foreach (var part in parts[..^1]) parent = int.TryParse(part, out var index) ? parent[index]! : parent[part]!;
        var old = parent is JsonArray array ? array[int.Parse(parts[^1])] : parent[parts[^1]];
        JsonNode replacement = old switch
        {
            // A dataset row may give its prompt as a chat list and its answer as a number, so only a number is wrong there.
            JsonValue v when v.TryGetValue<string>(out _) => jsonl || random.Next(2) == 0 ? JsonValue.Create(17)! : new JsonArray(1, 2),
            JsonValue v when v.TryGetValue<bool>(out _) => JsonValue.Create("maybe")!,
            JsonValue => JsonValue.Create(random.Next(2) == 0 ? "many" : "1.5e")!,
            JsonObject => random.Next(2) == 0 ? JsonValue.Create(3)! : new JsonArray("x"),
            _ => JsonValue.Create("not a list")!,
        };
        if (parent is JsonArray list) list[int.Parse(parts[^1])] = replacement;
        else parent[parts[^1]] = replacement;
        if (jsonl)
        {
            lines[line] = root.ToJsonString();
            File.WriteAllLines(path, lines);
        }
        else File.WriteAllText(path, root.ToJsonString());
        return (path, KindOf(path) + " wrong type");
    }

    /// <summary>Changes one letter of a worker section's name, as a typing slip would.</summary>
    private static (string, string) MisspellSection(Random random, string path)
    {
        var root = JsonNode.Parse(File.ReadAllText(path))!.AsObject();
        var names = root.Select(p => p.Key).Where(k => k != "Logging").ToList();
        var name = names[random.Next(names.Count)];
        var chars = name.ToCharArray();
        int at = random.Next(chars.Length);
        chars[at] = chars[at] == 'x' ? 'y' : 'x';
        var section = root[name]!;
        root.Remove(name);
        root[new string(chars)] = section;
        File.WriteAllText(path, root.ToJsonString());
        return (path, "appsettings misspelt section");
    }

    private static (string, string) Delete(string path)
    {
        File.Delete(path);
        return (path, Path.GetFileName(path) + " missing");
    }

    private static (string, string) Garbage(Random random, string path)
    {
        var bytes = new byte[random.Next(1, 4096)];
        random.NextBytes(bytes);
        File.WriteAllBytes(path, bytes);
        return (path, "dataset binary garbage");
    }

    private static string KindOf(string path) => Path.GetFileName(path) switch
    {
        "appsettings.json" => "appsettings",
        "train.jsonl" => "dataset",
        var name => name,
    };
}
