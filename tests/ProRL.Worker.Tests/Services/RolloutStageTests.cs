using System.Text.Json.Nodes;
using ProRL.Rollout.ModelGeneration;
using ProRL.Worker.Chunks;
using ProRL.Worker.RunDirectory;
using ProRL.Worker.Services.Rollout;

namespace ProRL.Worker.Tests.Services;

/// <summary>One random tiny GenAI model shared by the rollout tests.</summary>
public sealed class TinyModelFixture : IDisposable
{
    private readonly TempFolder _temp = new();

    public TinyModelFixture()
    {
        ModelPath = _temp.Combine("tiny");
        ModelGenerator.Write(DecoderSpec.Tiny, ModelPath);
    }

    public string ModelPath { get; }

    public void Dispose() => _temp.Dispose();
}

public sealed class RolloutStageTests(TinyModelFixture model) : IClassFixture<TinyModelFixture>, IDisposable
{
    private readonly TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    private static RolloutRequest Request(long policyVersion, int tasks = 2, int samples = 3) => new(
        Step: policyVersion + 1, Round: 0, PolicyVersion: policyVersion,
        Tasks: Enumerable.Range(0, tasks).Select(i => new JsonObject { ["id"] = $"t{i}", ["domain"] = "math", ["prompt"] = $"What is {i}+1?", ["answer"] = $"{i + 1}" }).ToList(),
        Sampling: new SamplingSpec(samples, 1.2, 1.0, 0, 8, Seed: 5));

    private RunStore NewRun()
    {
        var run = RunStore.Open(_temp.Combine("run"));
        Assert.True(run.EnsureInitialVersions(model.ModelPath));
        return run;
    }

    private static RolloutChunk ReadRollout(RunStore run, ChunkId id) =>
        ChunkPayload.Deserialize<RolloutChunk>((run.Rollouts.TryClaim("reward", id) ?? throw new Xunit.Sdk.XunitException($"no rollout {id}")).Payload, id.Value);

    [Fact]
    public void Initial_versions_are_the_model_as_policy_and_reference_v0_committed_once()
    {
        var run = NewRun();
        Assert.False(run.EnsureInitialVersions(model.ModelPath));
        Assert.Equal(0, run.Policy.ReadLatest()!.Version);
        var reference = run.Reference.ReadLatest()!;
        Assert.Equal("0", reference.Property(ManifestProperties.SourcePolicyVersion));
        Assert.Equal(File.ReadAllBytes(Path.Combine(model.ModelPath, "model.onnx")), File.ReadAllBytes(Path.Combine(reference.FolderPath, "model.onnx")));
    }

    [Fact]
    public async Task Request_becomes_a_rollout_chunk_of_the_same_id_with_a_group_per_task()
    {
        var run = NewRun();
        var id = run.Requests.Publish("trainer", ChunkPayload.Serialize(Request(0)));
        using var sampler = new EnginePolicySampler("cpu", 16, 1);
        var stage = new RolloutStage(run, "rollout", sampler);

        Assert.Equal(RolloutStage.Outcome.Published, await stage.ProcessNextAsync(CancellationToken.None));
        Assert.Equal(RolloutStage.Outcome.Idle, await stage.ProcessNextAsync(CancellationToken.None));

        var rollout = ReadRollout(run, id);
        Assert.Equal((0L, 1L, "rollout"), (rollout.PolicyVersion, rollout.Step, rollout.Writer));
        Assert.Equal(["t0", "t1"], rollout.Groups.Select(g => (string)g.Task["id"]!));
        Assert.All(rollout.Groups, g =>
        {
            Assert.Equal(3, g.Samples.Count);
            Assert.NotEmpty(g.PromptTokenIds);
            Assert.All(g.Samples, s =>
            {
                Assert.InRange(s.TokenIds.Length, 1, 8);
                Assert.Equal(s.TokenIds.Length, s.LogProbs.Length);
                Assert.All(s.LogProbs, lp => Assert.True(lp <= 0));
                Assert.Contains(s.FinishReason, new[] { GeneratedSample.Eos, GeneratedSample.Length, GeneratedSample.Stop });
            });
        });
        Assert.Empty(run.Requests.ListReady());
    }

    [Fact]
    public async Task Request_for_an_uncommitted_policy_waits_holding_its_claim_then_uses_that_version()
    {
        var run = NewRun();
        var id = run.Requests.Publish("trainer", ChunkPayload.Serialize(Request(1, tasks: 1, samples: 2)));
        using var sampler = new EnginePolicySampler("cpu", 16, 1);
        var stage = new RolloutStage(run, "rollout", sampler);

        Assert.Equal(RolloutStage.Outcome.WaitingForPolicy, await stage.ProcessNextAsync(CancellationToken.None));
        Assert.Empty(run.Requests.ListReady());          // still ours: not handed to another worker
        run.Policy.Commit(1, f => RunStore.CopyFolder(run.Policy.PathOf(0), f));

        Assert.Equal(RolloutStage.Outcome.Published, await stage.ProcessNextAsync(CancellationToken.None));
        Assert.Equal(1, ReadRollout(run, id).PolicyVersion);
        Assert.Equal(1, stage.LoadedVersion);
    }

    [Fact]
    public async Task Restart_after_a_crash_serves_the_claimed_request_exactly_once()
    {
        var run = NewRun();
        var id = run.Requests.Publish("trainer", ChunkPayload.Serialize(Request(0, tasks: 1, samples: 2)));
        Assert.Single(run.Requests.Claim("rollout", 1)); // claimed by the incarnation that crashed

        using var sampler = new EnginePolicySampler("cpu", 16, 1);
        var restarted = new RolloutStage(run, "rollout", sampler);
        Assert.Equal(1, restarted.Recover());
        Assert.Equal(RolloutStage.Outcome.Published, await restarted.ProcessNextAsync(CancellationToken.None));
        Assert.Equal(RolloutStage.Outcome.Idle, await restarted.ProcessNextAsync(CancellationToken.None));
        Assert.Equal([id], run.Rollouts.ListReady());
    }

    [Fact]
    public async Task Unreadable_request_is_rejected()
    {
        var run = NewRun();
        run.Requests.Publish("trainer", "{\"step\": \"soon\"}"u8);
        using var sampler = new EnginePolicySampler("cpu", 16, 1);
        Assert.Equal(RolloutStage.Outcome.Rejected, await new RolloutStage(run, "rollout", sampler).ProcessNextAsync(CancellationToken.None));
        Assert.Single(Directory.GetFiles(run.Requests.RejectedFolder));
        Assert.Empty(run.Rollouts.ListReady());
    }
}
