using System.Text.Json.Nodes;
using ProRL.Worker.Chunks;
using ProRL.Worker.RunDirectory;
using ProRL.Worker.Services.Training;

namespace ProRL.Worker.Tests.Services;

public sealed class TrainerExchangeTests : IDisposable
{
    private readonly TempFolder _temp = new();
    private readonly RunStore _run;

    public TrainerExchangeTests()
    {
        _run = RunStore.Open(_temp.Combine("run"));
        var model = _temp.Combine("model");
        Directory.CreateDirectory(model);
        File.WriteAllText(Path.Combine(model, "model.onnx"), "weights v0");
        _run.EnsureInitialVersions(model);
    }

    public void Dispose() => _temp.Dispose();

    private static readonly SamplingSpec Sampling = new(2, 1.2, 1.0, 0, 8, Seed: 11);

    private static List<JsonObject> Tasks(int count) =>
        Enumerable.Range(0, count).Select(i => new JsonObject { ["id"] = $"t{i}", ["domain"] = "math", ["prompt"] = "p", ["answer"] = "1" }).ToList();

    /// <summary>What the rollout and reward services do with every ready request (without a model).</summary>
    private void ServeAllRequests()
    {
        var held = _run.Requests.RecoverTransforms("rollout", _run.Rollouts); // what a restarted worker finds it had claimed
        foreach (var request in held.Concat(_run.Requests.Claim("rollout", int.MaxValue)))
        {
            var order = ChunkPayload.Deserialize<RolloutRequest>(request.Payload, "request");
            var groups = order.Tasks.Select(t => new RolloutGroup(t, [1], [new GeneratedSample([2], [-1f], "\\boxed{1}", GeneratedSample.Eos)])).ToList();
            _run.Requests.StageOutput("rollout", request.Id, ChunkPayload.Serialize(new RolloutChunk(order.PolicyVersion, order.Step, order.Round, "rollout", groups)));
            _run.Requests.Forward("rollout", request.Id, _run.Rollouts);
        }
        foreach (var rollout in _run.Rollouts.Claim("reward", int.MaxValue))
        {
            var chunk = ChunkPayload.Deserialize<RolloutChunk>(rollout.Payload, "rollout");
            var scores = chunk.Groups.Select(g => (IReadOnlyList<SampleScore>)g.Samples.Select(_ => new SampleScore(1, "correct")).ToList()).ToList();
            _run.Rollouts.StageOutput("reward", rollout.Id, ChunkPayload.Serialize(new ScoredChunk(chunk, scores)));
            _run.Rollouts.Forward("reward", rollout.Id, _run.Rewards);
        }
    }

    private static void State(string folder, string text) => File.WriteAllText(Path.Combine(folder, "state.json"), text);

    [Fact]
    public void A_step_goes_from_requests_to_committed_trainer_state_and_policy()
    {
        var trainer = new TrainerExchange(_run);
        var resume = trainer.Resume();
        Assert.Equal((0L, false), (resume.Step, resume.PolicyBehind));

        var ids = trainer.PublishRequests(1, 0, 0, Tasks(5), Sampling, tasksPerRequest: 2);
        Assert.Equal(["s000001-r00-0000", "s000001-r00-0001", "s000001-r00-0002"], ids.Select(i => i.Value));
        ServeAllRequests();
        var held = trainer.Collect(1);
        Assert.Equal(ids, held.Select(h => h.Id));
        Assert.Equal(5, held.Sum(h => h.Scored.Rollout.Groups.Count));

        trainer.CommitStep(1, ids, f => State(f, "after step 1"), f => File.WriteAllText(Path.Combine(f, "model.onnx"), "weights v1"));

        Assert.Equal(1, _run.Trainer.ReadLatest()!.Version);
        Assert.Equal(1, _run.Policy.ReadLatest()!.Version);
        Assert.True(ConsumptionLedger.ReadFrom(_run.Trainer.ReadLatest()!.FolderPath).Ids.SetEquals(ids));
        Assert.Empty(_run.Rewards.ListConsumersWithClaims());
        Assert.Empty(trainer.Collect(2));
    }

    [Fact]
    public void Requests_are_never_ordered_twice_wherever_they_are_in_the_pipeline()
    {
        var trainer = new TrainerExchange(_run);
        trainer.PublishRequests(1, 0, 0, Tasks(4), Sampling, 2);
        Assert.Single(_run.Requests.Claim("rollout", 1));         // one is being served
        var restarted = new TrainerExchange(_run);
        restarted.Resume();
        restarted.PublishRequests(1, 0, 0, Tasks(4), Sampling, 2);
        Assert.Single(_run.Requests.ListReady());
        ServeAllRequests();
        restarted.PublishRequests(1, 0, 0, Tasks(4), Sampling, 2); // both now scored and waiting in rewards/
        Assert.Empty(_run.Requests.ListReady());
        Assert.Equal(2, restarted.Collect(1).Count);
    }

    [Fact]
    public void Requests_of_a_round_get_distinct_seeds()
    {
        var trainer = new TrainerExchange(_run);
        trainer.PublishRequests(3, 1, 2, Tasks(4), Sampling, 2);
        var seeds = _run.Requests.Claim("x", 10).Select(c => ChunkPayload.Deserialize<RolloutRequest>(c.Payload, "r").Sampling.Seed).ToList();
        Assert.Equal(2, seeds.Distinct().Count());
    }

    [Fact]
    public void Crash_before_the_commit_keeps_the_collected_chunks_for_the_redone_step()
    {
        var trainer = new TrainerExchange(_run);
        trainer.Resume();
        var ids = trainer.PublishRequests(1, 0, 0, Tasks(2), Sampling, 1);
        ServeAllRequests();
        Assert.Equal(2, trainer.Collect(1).Count);
        // crash

        var restarted = new TrainerExchange(_run);
        var resume = restarted.Resume();
        Assert.Equal(0, resume.Step);
        Assert.Equal(ids, resume.HeldChunks.Select(c => c.Id));
        Assert.Equal(ids, restarted.Collect(1).Select(h => h.Id));
    }

    [Fact]
    public void Crash_between_trainer_commit_and_policy_commit_never_replays_and_reports_the_policy_behind()
    {
        var trainer = new TrainerExchange(_run);
        trainer.Resume();
        var ids = trainer.PublishRequests(1, 0, 0, Tasks(2), Sampling, 1);
        ServeAllRequests();
        trainer.Collect(1);
        _run.Trainer.Commit(1, f => { State(f, "s1"); ConsumptionLedger.For(1, ids).WriteTo(f); }); // crash right after

        var restarted = new TrainerExchange(_run);
        var resume = restarted.Resume();

        Assert.Equal((1L, true), (resume.Step, resume.PolicyBehind));
        Assert.Empty(resume.HeldChunks);
        Assert.Empty(restarted.Collect(2));
        restarted.CommitPolicy(1, f => File.WriteAllText(Path.Combine(f, "model.onnx"), "re-exported v1"));
        Assert.False(new TrainerExchange(_run).Resume().PolicyBehind);
    }

    [Fact]
    public void Scored_chunks_of_an_earlier_step_are_discarded()
    {
        var trainer = new TrainerExchange(_run);
        trainer.PublishRequests(1, 0, 0, Tasks(1), Sampling, 1);
        trainer.PublishRequests(2, 0, 1, Tasks(1), Sampling, 1);
        ServeAllRequests();
        var held = trainer.Collect(2);
        Assert.Equal(["s000002-r00-0000"], held.Select(h => h.Id.Value));
        Assert.Empty(_run.Rewards.ListReady());
        Assert.Single(_run.Rewards.Claimed(TrainerExchange.ConsumerId)); // the step-1 chunk is gone
    }
}
