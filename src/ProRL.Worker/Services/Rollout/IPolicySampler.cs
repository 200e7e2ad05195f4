using ProRL.Rollout.Engine;

namespace ProRL.Worker.Services.Rollout;

/// <summary>Samples completions from one loaded policy folder (the rollout engine, or a stand-in in tests).</summary>
public interface IPolicySampler : IDisposable
{
    /// <summary>Loads (or reloads) the GenAI model folder at <paramref name="folder"/>.</summary>
    void Load(string folder);

    IReadOnlyList<RolloutSample> Generate(IReadOnlyList<RolloutPrompt> prompts, SamplingSettings settings, CancellationToken cancellationToken);
}

/// <summary>The ONNX Runtime GenAI rollout engine as a <see cref="IPolicySampler"/>; the engine is created on first load.</summary>
public sealed class EnginePolicySampler(string executionProvider, int maxBatchSize, int threads, string chatTemplate = ChatTemplates.Auto) : IPolicySampler
{
    private RolloutEngine? _engine;

    public void Load(string folder)
    {
        if (_engine is null)
            _engine = new RolloutEngine(new RolloutEngineOptions
            {
                ModelPath = folder, ExecutionProvider = executionProvider, MaxBatchSize = maxBatchSize, IntraOpThreads = threads,
                ChatTemplate = chatTemplate,
            });
        else _engine.Reload(folder);
    }

    public IReadOnlyList<RolloutSample> Generate(IReadOnlyList<RolloutPrompt> prompts, SamplingSettings settings, CancellationToken cancellationToken) =>
        (_engine ?? throw new InvalidOperationException("No policy loaded.")).Generate(prompts, settings, cancellationToken);

    public void Dispose() => _engine?.Dispose();
}
