using ProRL.Rollout.Engine;
using ProRL.Worker.Chunks;
using ProRL.Worker.RunDirectory;

namespace ProRL.Worker.Services.Rollout;

/// <summary>
/// The rollout step of the pipeline: claim a rollout request, sample its groups from the requested policy version (or
/// a newer committed one), publish the rollout chunk under the request's id. Built on the transform protocol of
/// <see cref="ChunkQueue"/>: a crash at any point yields exactly one rollout chunk per request once the same consumer
/// restarts; several rollout workers on other hosts share the requests.
/// </summary>
public sealed class RolloutStage(RunStore store, string consumerId, IPolicySampler sampler)
{
    private readonly Queue<ClaimedChunk> _pending = new();

    public string ConsumerId { get; } = consumerId;

    /// <summary>The policy version loaded in the sampler, if any.</summary>
    public long? LoadedVersion { get; private set; }

    public int Recover()
    {
        foreach (var chunk in store.Requests.RecoverTransforms(ConsumerId, store.Rollouts)) _pending.Enqueue(chunk);
        return _pending.Count;
    }

    /// <summary>What one call did.</summary>
    public enum Outcome { Idle, Published, Rejected, WaitingForPolicy }

    public Task<Outcome> ProcessNextAsync(CancellationToken cancellationToken) => Task.Run(() => ProcessNext(cancellationToken), cancellationToken);

    private Outcome ProcessNext(CancellationToken cancellationToken)
    {
        if (_pending.Count == 0)
            foreach (var claimed in store.Requests.Claim(ConsumerId, 1)) _pending.Enqueue(claimed);
        if (!_pending.TryPeek(out var chunk)) return Outcome.Idle;

        RolloutRequest request;
        try
        {
            request = ChunkPayload.Deserialize<RolloutRequest>(chunk.Payload, Path.Combine(store.Requests.Folder, chunk.Id.Value + ChunkQueue.Extension));
        }
        catch (RunDirectoryException e)
        {
            store.Requests.RejectClaimed(ConsumerId, chunk.Id);
            store.Events.Append(EventTypes.ChunkRejected, null, e.Message, new System.Text.Json.Nodes.JsonObject { ["chunk"] = chunk.Id.Value });
            _pending.Dequeue();
            return Outcome.Rejected;
        }
        // Keep the claim while the policy is not committed yet: the request is ours and will be served.
        if (!EnsurePolicy(request.PolicyVersion)) return Outcome.WaitingForPolicy;

        var rollout = Sample(request, cancellationToken);
        store.Requests.StageOutput(ConsumerId, chunk.Id, ChunkPayload.Serialize(rollout));
        store.Requests.Forward(ConsumerId, chunk.Id, store.Rollouts);
        _pending.Dequeue();
        return Outcome.Published;
    }

    /// <summary>Loads the requested version, or the newest committed one when that is newer; false when neither exists yet.</summary>
    private bool EnsurePolicy(long requested)
    {
        if (LoadedVersion >= requested) return true;
        var policy = store.Policy.TryOpen(requested, VerifyLevel.Checksums, out _) is { } exact && IsCommitted(exact.Version)
            ? exact
            : store.Policy.ReadLatest(VerifyLevel.Checksums);
        if (policy is null || policy.Version < requested) return false;
        sampler.Load(policy.FolderPath);
        LoadedVersion = policy.Version;
        return true;
    }

    private bool IsCommitted(long version) => store.Policy.ReadLatestPointer() is { } latest && version <= latest;

    private RolloutChunk Sample(RolloutRequest request, CancellationToken cancellationToken)
    {
        var prompts = request.Tasks.Select(t => RolloutPrompt.User(t["prompt"]?.GetValue<string>() ?? "")).ToList();
        var s = request.Sampling;
        var samples = sampler.Generate(prompts, new SamplingSettings
        {
            SamplesPerPrompt = s.SamplesPerPrompt, Temperature = s.Temperature, TopP = s.TopP, TopK = s.TopK,
            MaxNewTokens = s.MaxNewTokens, Seed = s.Seed,
        }, cancellationToken);
        var groups = request.Tasks.Select((task, p) =>
        {
            var mine = samples.Where(x => x.PromptIndex == p).OrderBy(x => x.SampleIndex).ToList();
            return new RolloutGroup(task, mine.FirstOrDefault()?.PromptTokenIds ?? [], mine.Select(ToGenerated).ToList());
        }).ToList();
        return new RolloutChunk(LoadedVersion!.Value, request.Step, request.Round, ConsumerId, groups);
    }

    private static GeneratedSample ToGenerated(RolloutSample s) => new(s.CompletionTokenIds, s.LogProbs, s.Text, s.FinishReason switch
    {
        FinishReason.Eos => GeneratedSample.Eos,
        FinishReason.Length => GeneratedSample.Length,
        _ => GeneratedSample.Stop,
    });
}
