using System.Text;
using Microsoft.ML.OnnxRuntimeGenAI;
using ProRL.Onnx.Models;

namespace ProRL.Rollout.Engine;

/// <summary>
/// Generates rollouts with ONNX Runtime GenAI and records, for every sampled token, the behaviour policy's
/// log-probability computed from the logits GenAI exposes after each step. Prompts × samples are flattened into
/// rows and run in batches of at most <see cref="RolloutEngineOptions.MaxBatchSize"/> (right-padded by GenAI).
/// One generation runs at a time; <see cref="Reload"/> swaps in a new model version between generations.
/// </summary>
public sealed class RolloutEngine : IDisposable
{
    /// <summary>GenAI's limit on sequences per generator.</summary>
    public const int GenAiMaxBatch = 32;

    private readonly object _gate = new();
    private readonly RolloutEngineOptions _options;
    private LoadedModel _loaded;
    private bool _disposed;

    public RolloutEngine(RolloutEngineOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.MaxBatchSize is < 1 or > GenAiMaxBatch)
            throw new ArgumentException($"MaxBatchSize must be in [1, {GenAiMaxBatch}] (got {options.MaxBatchSize}).");
        ExecutionProviders.Validate(options.ExecutionProvider);
        _options = options;
        _loaded = LoadedModel.Load(options.ModelPath, options);
    }

    public ModelFolder Folder => _loaded.Folder;
    public string ExecutionProvider => _options.ExecutionProvider;

    /// <summary>Loads the model in <paramref name="modelPath"/> and makes it the one used by later generations.</summary>
    public void Reload(string modelPath)
    {
        var fresh = LoadedModel.Load(modelPath, _options);
        LoadedModel old;
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            old = _loaded;
            _loaded = fresh;
        }
        old.Dispose();
    }

    /// <summary>The exact text fed to the tokenizer for <paramref name="prompt"/>.</summary>
    public string RenderPrompt(RolloutPrompt prompt)
    {
        lock (_gate) return _loaded.Render(prompt);
    }

    public int[] Encode(string text)
    {
        lock (_gate)
        {
            using var sequences = _loaded.Tokenizer.Encode(text);
            return sequences[0].ToArray();
        }
    }

    public string Decode(IReadOnlyList<int> tokens)
    {
        lock (_gate) return _loaded.DecodeText(tokens);
    }

    /// <summary>
    /// Samples <see cref="SamplingSettings.SamplesPerPrompt"/> completions per prompt. Results are ordered by prompt,
    /// then sample index. Deterministic for a fixed seed, prompt list and settings.
    /// </summary>
    public IReadOnlyList<RolloutSample> Generate(IReadOnlyList<RolloutPrompt> prompts, SamplingSettings settings,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(prompts);
        ArgumentNullException.ThrowIfNull(settings);
        settings.Validate();
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            var model = _loaded;
            var texts = prompts.Select(model.Render).ToArray();
            var stopBytes = settings.StopStrings.Select(Encoding.UTF8.GetBytes).ToArray();
            var results = new List<RolloutSample>(prompts.Count * settings.SamplesPerPrompt);
            foreach (var (batch, seed) in Batches(prompts.Count, settings))
                results.AddRange(RunBatch(model, batch, texts, settings, stopBytes, seed, cancellationToken));
            return results;
        }
    }

    /// <summary>
    /// The plain GenAI loop (no log-probs, no stop strings, no per-sample bookkeeping) over the same batches and
    /// search settings as <see cref="Generate"/>: the baseline of the rollout benchmark. Returns the number of new
    /// tokens per row up to and including its end-of-sequence token.
    /// </summary>
    public long GenerateBare(IReadOnlyList<RolloutPrompt> prompts, SamplingSettings settings, CancellationToken cancellationToken = default)
    {
        settings.Validate();
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            var model = _loaded;
            var texts = prompts.Select(model.Render).ToArray();
            long tokens = 0;
            foreach (var (batch, seed) in Batches(prompts.Count, settings))
            {
                using var sequences = model.Tokenizer.EncodeBatch(batch.Select(r => texts[r.Prompt]).ToArray());
                int padded = 0;
                for (ulong i = 0; i < sequences.NumSequences; i++) padded = Math.Max(padded, sequences[i].Length);
                int maxLength = (int)Math.Min(model.ContextLength, (long)padded + settings.MaxNewTokens);
                using var generatorParams = new GeneratorParams(model.Model);
                ConfigureSearch(generatorParams, settings, batch.Count, maxLength, model.VocabSize, seed);
                using var generator = new Generator(model.Model, generatorParams);
                generator.AppendTokenSequences(sequences);
                while (!generator.IsDone())
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    generator.GenerateNextToken();
                }
                for (int r = 0; r < batch.Count; r++)
                {
                    var completion = generator.GetSequence((ulong)r)[padded..];
                    int end = completion.IndexOfAny(model.EosIds);
                    tokens += end < 0 ? completion.Length : end + 1;
                }
            }
            return tokens;
        }
    }

    /// <summary>Rows (prompt, sample) in prompt-major order, cut into generator-sized batches, each with its seed.</summary>
    private IEnumerable<(List<(int Prompt, int Sample)> Rows, int Seed)> Batches(int promptCount, SamplingSettings settings)
    {
        var rows = new List<(int Prompt, int Sample)>(promptCount * settings.SamplesPerPrompt);
        for (int p = 0; p < promptCount; p++)
            for (int s = 0; s < settings.SamplesPerPrompt; s++) rows.Add((p, s));
        for (int start = 0, chunk = 0; start < rows.Count; start += _options.MaxBatchSize, chunk++)
            yield return (rows.GetRange(start, Math.Min(_options.MaxBatchSize, rows.Count - start)), ChunkSeed(settings.Seed, chunk));
    }

    private static IEnumerable<RolloutSample> RunBatch(LoadedModel model, List<(int Prompt, int Sample)> rows, string[] texts,
        SamplingSettings settings, byte[][] stopBytes, int seed, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        using var sequences = model.Tokenizer.EncodeBatch(rows.Select(r => texts[r.Prompt]).ToArray());
        var samples = new SampleBuilder[rows.Count];
        int paddedLength = 0;
        for (int i = 0; i < rows.Count; i++)
        {
            var promptTokens = sequences[(ulong)i].ToArray();
            if (promptTokens.Length == 0) throw new ArgumentException($"Prompt {rows[i].Prompt} encodes to no tokens.");
            if (promptTokens.Length >= model.ContextLength)
            {
                var text = texts[rows[i].Prompt];
                throw new PromptTooLongException(
                    $"A prompt has {promptTokens.Length} tokens, and the model's context_length ('{model.Folder.ConfigPath}') is {model.ContextLength}: " +
                    $"\"{(text.Length > 60 ? text[..60] + "…" : text).ReplaceLineEndings(" ")}\".");
            }
            paddedLength = Math.Max(paddedLength, promptTokens.Length);
            samples[i] = new SampleBuilder(model, settings, stopBytes, rows[i].Prompt, rows[i].Sample, promptTokens);
        }
        int maxLength = (int)Math.Min(model.ContextLength, (long)paddedLength + settings.MaxNewTokens);
        int budget = maxLength - paddedLength;

        using var generatorParams = new GeneratorParams(model.Model);
        ConfigureSearch(generatorParams, settings, rows.Count, maxLength, model.VocabSize, seed);
        using var generator = new Generator(model.Model, generatorParams);
        generator.AppendTokenSequences(sequences);

        var scratch = new float[model.VocabSize];
        var rowScratch = new float[model.VocabSize];
        double temperature = settings.Greedy ? 1.0 : settings.Temperature;
        int vocab = model.VocabSize;
        int active = rows.Count;
        for (int step = 0; active > 0 && step < budget && !generator.IsDone(); step++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            generator.GenerateNextToken();
            var next = generator.GetNextTokens();
            // After the first step the logits cover the whole (right-padded) prompt; afterwards one position.
            using var logits = generator.GetOutput("logits");
            long positions = logits.Shape()[1];
            var view = LogitsView.Of(logits);
            for (int r = 0; r < samples.Length; r++)
            {
                var sample = samples[r];
                if (sample.IsFinished) continue;
                long position = step == 0 ? sample.PromptTokens.Length - 1 : positions - 1;
                var row = view.Row(checked((int)((r * positions + position) * vocab)), vocab, rowScratch);
                int token = next[r];
                sample.Add(token, LogProbs.LogSoftmaxAt(row, token, temperature, scratch), budget);
                if (sample.IsFinished) active--;
            }
        }
        foreach (var sample in samples)
        {
            sample.EndByLength();
            yield return sample.Build();
        }
    }

    private static void ConfigureSearch(GeneratorParams p, SamplingSettings settings, int batchSize, int maxLength, int vocab, int seed)
    {
        p.SetSearchOption("batch_size", batchSize);
        p.SetSearchOption("max_length", maxLength);
        p.SetSearchOption("min_length", 0);
        p.SetSearchOption("num_beams", 1);
        p.SetSearchOption("num_return_sequences", 1);
        p.SetSearchOption("repetition_penalty", 1.0);
        if (settings.Greedy)
        {
            p.SetSearchOption("do_sample", false);
            return;
        }
        p.SetSearchOption("do_sample", true);
        p.SetSearchOption("temperature", settings.Temperature);
        p.SetSearchOption("top_p", settings.TopP);
        p.SetSearchOption("top_k", settings.TopK > 0 ? Math.Min(settings.TopK, vocab) : vocab);
        p.SetSearchOption("random_seed", seed);
    }

    /// <summary>A non-negative 31-bit seed per batch, mixed from the request seed (SplitMix64 finaliser).</summary>
    internal static int ChunkSeed(ulong seed, int chunk)
    {
        ulong z = seed + 0x9E3779B97F4A7C15UL * (ulong)(chunk + 1);
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return (int)((z ^ (z >> 31)) & 0x7FFFFFFF);
    }

    public void Dispose()
    {
        lock (_gate)
        {
            if (_disposed) return;
            _disposed = true;
            _loaded.Dispose();
        }
    }
}
