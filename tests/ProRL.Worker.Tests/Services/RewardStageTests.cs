using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging.Abstractions;
using ProRL.Tasks.Mathematics;
using ProRL.Tasks.Verification;
using ProRL.Worker.Chunks;
using ProRL.Worker.Options;
using ProRL.Worker.RunDirectory;
using ProRL.Worker.Services.Reward;
using OptionsFactory = Microsoft.Extensions.Options.Options;

namespace ProRL.Worker.Tests.Services;

public sealed class RewardStageTests : IDisposable
{
    private readonly TempFolder _temp = new();
    private readonly RunStore _run;

    public RewardStageTests() => _run = RunStore.Open(_temp.Combine("run"));

    public void Dispose() => _temp.Dispose();

    private static ChunkScorer MathOnly() => new(new RewardScorer([new MathVerifier()]));

    private static GeneratedSample Sample(string text) => new([1, 2], [-0.5f, -0.25f], text, GeneratedSample.Eos);

    private static RolloutGroup MathGroup(string answer, params string[] responses) =>
        new(new JsonObject { ["id"] = "m" + answer, ["domain"] = "math", ["prompt"] = "What is 2+2?", ["answer"] = answer },
            [7, 8, 9], responses.Select(Sample).ToList());

    private ChunkId PublishRollout(params RolloutGroup[] groups) =>
        _run.Rollouts.Publish("rollout", ChunkPayload.Serialize(new RolloutChunk(3, 3, 0, "rollout", groups)));

    private ScoredChunk ClaimScored(ChunkId id)
    {
        var claimed = _run.Rewards.TryClaim("trainer", id) ?? throw new Xunit.Sdk.XunitException($"no scored chunk {id}");
        var scored = ChunkPayload.Deserialize<ScoredChunk>(claimed.Payload, id.Value);
        scored.CheckShape(id.Value);
        return scored;
    }

    [Fact]
    public async Task Scores_each_sample_with_its_domain_verifier_and_keeps_the_rollout()
    {
        var id = PublishRollout(MathGroup("4", "so \\boxed{4}", "\\boxed{5}"), MathGroup("9", "no box at all"));
        var stage = new RewardStage(_run, "reward", MathOnly());

        Assert.True(await stage.ProcessNextAsync(CancellationToken.None));
        Assert.False(await stage.ProcessNextAsync(CancellationToken.None));

        var scored = ClaimScored(id);
        Assert.Equal([1.0, 0.0], scored.Scores[0].Select(s => s.Reward));
        Assert.Equal([0.0], scored.Scores[1].Select(s => s.Reward));
        Assert.Equal("4", scored.Scores[0][0].ExtractedAnswer);
        Assert.Equal(3, scored.Rollout.PolicyVersion);
        Assert.Equal([-0.5f, -0.25f], scored.Rollout.Groups[0].Samples[1].LogProbs);
        Assert.Equal("math", scored.Rollout.Groups[0].Domain);
        Assert.Empty(_run.Rollouts.ListReady());
    }

    [Fact]
    public async Task Unreadable_task_row_scores_zero_with_the_reason()
    {
        var badTask = new RolloutGroup(new JsonObject { ["id"] = "x", ["domain"] = "astrology", ["prompt"] = "?" }, [1], [Sample("\\boxed{1}")]);
        var id = PublishRollout(badTask);
        await new RewardStage(_run, "reward", MathOnly()).ProcessNextAsync(CancellationToken.None);
        var score = Assert.Single(Assert.Single(ClaimScored(id).Scores));
        Assert.Equal(0, score.Reward);
        Assert.Contains("astrology", score.Reason);
    }

    [Fact]
    public async Task Payload_that_is_not_a_rollout_chunk_is_rejected_and_reported()
    {
        var id = _run.Rollouts.Publish("rollout", "[1,2,3]"u8);
        Assert.True(await new RewardStage(_run, "reward", MathOnly()).ProcessNextAsync(CancellationToken.None));
        Assert.Empty(_run.Rewards.ListReady());
        Assert.True(File.Exists(Path.Combine(_run.Rollouts.RejectedFolder, id.Value + ChunkQueue.Extension)));
        var reported = Assert.Single(_run.Events.File.ReadAll().Records);
        Assert.Equal(EventTypes.ChunkRejected, (string)reported["type"]!);
    }

    [Fact]
    public async Task Restart_after_a_crash_mid_scoring_scores_the_claimed_chunk_exactly_once()
    {
        var first = PublishRollout(MathGroup("4", "\\boxed{4}"));
        var second = PublishRollout(MathGroup("4", "\\boxed{3}"));
        Assert.Single(_run.Rollouts.Claim("reward", 1)); // the crashed incarnation had claimed the first chunk

        var restarted = new RewardStage(_run, "reward", MathOnly());
        Assert.Equal(1, restarted.Recover());
        while (await restarted.ProcessNextAsync(CancellationToken.None)) { }

        Assert.Equal([first, second], _run.Rewards.ListReady());
        Assert.Equal(1.0, ClaimScored(first).Scores[0][0].Reward);
        Assert.Equal(0.0, ClaimScored(second).Scores[0][0].Reward);
    }

    [Fact]
    public async Task Two_reward_stages_share_the_work_without_duplicates()
    {
        var ids = Enumerable.Range(0, 12).Select(i => PublishRollout(MathGroup($"{i}", $"\\boxed{{{i}}}"))).ToList();
        var a = new RewardStage(RunStore.Open(_run.Root), "reward.a", MathOnly());
        var b = new RewardStage(RunStore.Open(_run.Root), "reward.b", MathOnly());
        async Task Drain(RewardStage stage) { while (await stage.ProcessNextAsync(CancellationToken.None)) { } }
        await Task.WhenAll(Task.Run(() => Drain(a)), Task.Run(() => Drain(b)));

        Assert.Equal(ids, _run.Rewards.ListReady());
        Assert.All(ids, id => Assert.Equal(1.0, ClaimScored(id).Scores[0][0].Reward));
    }

    [Fact]
    public async Task Reward_service_scores_chunks_published_while_it_runs_and_stops_cleanly()
    {
        var services = new ServicesOptions { InstanceName = "t1" };
        var service = new RewardService(
            OptionsFactory.Create(services),
            OptionsFactory.Create(new RunOptions { Directory = _run.Root, PollIntervalMilliseconds = 20 }),
            OptionsFactory.Create(new SandboxOptions()),
            OptionsFactory.Create(new TasksOptions()),
            NullLogger<RewardService>.Instance);
        await service.StartAsync(CancellationToken.None);
        var id = PublishRollout(MathGroup("4", "\\boxed{4}"));
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (_run.Rewards.ListReady().Count == 0 && DateTime.UtcNow < deadline) await Task.Delay(20);
        await service.StopAsync(CancellationToken.None);

        Assert.Equal(1.0, ClaimScored(id).Scores[0][0].Reward);
        Assert.EndsWith(".t1", RewardService.ConsumerIdFor(services));
    }

    [Fact]
    public void Scores_that_do_not_cover_the_samples_are_refused()
    {
        var rollout = new RolloutChunk(1, 1, 0, "w", [MathGroup("4", "a", "b")]);
        var scored = new ScoredChunk(rollout, [[new SampleScore(1, "ok")]]);
        Assert.Throws<RunDirectoryException>(() => scored.CheckShape("chunk"));
    }
}
