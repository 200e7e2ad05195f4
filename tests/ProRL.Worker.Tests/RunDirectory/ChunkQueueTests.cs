using System.Collections.Concurrent;
using System.Text;
using ProRL.Worker.RunDirectory;

namespace ProRL.Worker.Tests.RunDirectory;

public sealed class ChunkQueueTests : IDisposable
{
    private readonly TempFolder _temp = new();
    private readonly ChunkQueue _rollouts;
    private readonly ChunkQueue _rewards;

    public ChunkQueueTests()
    {
        _rollouts = new ChunkQueue(_temp.Combine("rollouts"));
        _rewards = new ChunkQueue(_temp.Combine("rewards"));
    }

    public void Dispose() => _temp.Dispose();

    private static byte[] Bytes(string text) => Encoding.UTF8.GetBytes(text);

    private static string Text(ClaimedChunk chunk) => Encoding.UTF8.GetString(chunk.Payload);

    [Fact]
    public void Published_chunk_is_claimed_once_with_its_payload()
    {
        var id = _rollouts.Publish("writerA", Bytes("hello"));

        Assert.Equal([id], _rollouts.ListReady());
        var claimed = Assert.Single(_rollouts.Claim("trainer", 10));
        Assert.Equal(id, claimed.Id);
        Assert.Equal("hello", Text(claimed));
        Assert.Empty(_rollouts.ListReady());
        Assert.Empty(_rollouts.Claim("other", 10));
        Assert.Equal(["trainer"], _rollouts.ListConsumersWithClaims());
    }

    [Fact]
    public void Ids_are_unique_and_sort_by_creation_time()
    {
        var early = ChunkId.New("w", 1, new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
        var late = ChunkId.New("w", 1, new DateTimeOffset(2026, 1, 2, 0, 0, 0, TimeSpan.Zero));
        Assert.True(string.CompareOrdinal(early.Value, late.Value) < 0);

        var ids = Enumerable.Range(0, 50).Select(i => _rollouts.Publish(i % 2 == 0 ? "a" : "b", Bytes($"{i}"))).ToList();
        Assert.Equal(50, ids.Distinct().Count());
        Assert.Equal(ids.Select(i => i.Value).Order(StringComparer.Ordinal), _rollouts.ListReady().Select(i => i.Value));
    }

    [Fact]
    public void Process_identities_differ_between_writers_and_are_valid_ids()
    {
        var a = ProcessIdentity.Create("rollout");
        var b = ProcessIdentity.Create("rollout");
        Assert.NotEqual(a, b);
        Assert.True(ChunkId.IsValid(a));
        Assert.True(ChunkId.IsValid(ProcessIdentity.Stable("re-ward/x")));
        Assert.Equal("a_b_c", ProcessIdentity.Sanitize("a-b/c"));
    }

    [Theory]
    [InlineData("")]
    [InlineData(".hidden")]
    [InlineData("a/b")]
    [InlineData("a b")]
    public void Invalid_chunk_ids_are_refused(string value) => Assert.Throws<ArgumentException>(() => new ChunkId(value));

    [Fact]
    public async Task Concurrent_writers_lose_nothing()
    {
        var writers = Enumerable.Range(0, 4).Select(w => Task.Run(() =>
        {
            var queue = new ChunkQueue(_rollouts.Folder); // a separate process would have its own instance
            var writer = ProcessIdentity.Create($"w{w}");
            for (int i = 0; i < 25; i++) queue.Publish(writer, Bytes($"{w}:{i}"));
        })).ToArray();
        await Task.WhenAll(writers);

        var payloads = _rollouts.Claim("c", 1000).Select(Text).ToHashSet();
        Assert.Equal(100, payloads.Count);
        Assert.Contains("3:24", payloads);
    }

    [Fact]
    public async Task Concurrent_consumers_claim_each_chunk_exactly_once()
    {
        for (int i = 0; i < 200; i++) _rollouts.Publish("w", Bytes($"{i}"));
        var taken = new ConcurrentBag<string>();
        var consumers = Enumerable.Range(0, 4).Select(c => Task.Run(() =>
        {
            var queue = new ChunkQueue(_rollouts.Folder);
            while (true)
            {
                var batch = queue.Claim($"consumer{c}", 3);
                if (batch.Count == 0 && queue.ListReady().Count == 0) break;
                foreach (var chunk in batch) taken.Add(Text(chunk));
            }
        })).ToArray();
        await Task.WhenAll(consumers);

        Assert.Equal(200, taken.Count);
        Assert.Equal(200, taken.Distinct().Count());
    }

    [Fact]
    public void Half_written_chunk_is_never_listed_and_stale_temporaries_are_deleted_by_age()
    {
        var stale = Path.Combine(_rollouts.Folder, ".20260101T000000-w-000001.chunk.tmp-abc");
        var fresh = Path.Combine(_rollouts.Folder, ".20260101T000000-w-000002.chunk.tmp-def");
        File.WriteAllText(stale, "PRORL-CHUNK/1 100 ");
        File.WriteAllText(fresh, "PRORL-CHUNK/1 100 ");
        File.SetLastWriteTimeUtc(stale, DateTime.UtcNow.AddHours(-2));

        Assert.Empty(_rollouts.ListReady());
        Assert.Equal(1, _rollouts.DeleteStaleTemporaries(TimeSpan.FromHours(1)));
        Assert.False(File.Exists(stale));
        Assert.True(File.Exists(fresh));
    }

    [Fact]
    public void Truncated_chunk_is_rejected_not_handed_out()
    {
        var good = _rollouts.Publish("w", Bytes("good"));
        var bad = _rollouts.Publish("w", Bytes("this one gets cut"));
        var path = Path.Combine(_rollouts.Folder, bad.Value + ChunkQueue.Extension);
        File.WriteAllBytes(path, File.ReadAllBytes(path)[..^4]);

        var claimed = _rollouts.Claim("trainer", 10);

        Assert.Equal([good], claimed.Select(c => c.Id));
        Assert.True(File.Exists(Path.Combine(_rollouts.RejectedFolder, bad.Value + ChunkQueue.Extension)));
    }

    [Fact]
    public void Chunk_framing_detects_truncation_corruption_and_foreign_files()
    {
        var encoded = ChunkFile.Encode(Bytes("payload"));
        Assert.Equal("payload", Encoding.UTF8.GetString(ChunkFile.Decode(encoded, "x.chunk")));

        var flipped = (byte[])encoded.Clone();
        flipped[^1] ^= 1;
        Assert.Contains("SHA-256", Assert.Throws<RunDirectoryException>(() => ChunkFile.Decode(flipped, "x.chunk")).Message);
        Assert.Contains("truncated", Assert.Throws<RunDirectoryException>(() => ChunkFile.Decode(encoded[..^1], "x.chunk")).Message);
        Assert.Contains("y.chunk", Assert.Throws<RunDirectoryException>(() => ChunkFile.Decode(Bytes("{\"a\":1}"), "y.chunk")).Message);
        Assert.Empty(ChunkFile.Decode(ChunkFile.Encode([]), "empty"));
    }

    [Fact]
    public void Released_claims_return_to_the_ready_set()
    {
        var id = _rollouts.Publish("w", Bytes("x"));
        _rollouts.Claim("a", 1);
        _rollouts.Release("a", [id]);
        Assert.Equal([id], _rollouts.ListReady());
        Assert.Equal("x", Text(Assert.Single(_rollouts.Claim("b", 1))));
    }

    // The trainer's protocol: claim, train, commit the trainer state with the ledger of consumed ids, then complete.
    private (VersionStore trainer, IReadOnlyList<ClaimedChunk> used) TrainOneStep(long step, int chunks)
    {
        var trainer = new VersionStore(_temp.Combine("trainer"));
        var restored = trainer.ReadLatest() is { } state
            ? _rewards.Reconcile("trainer", ConsumptionLedger.ReadFrom(state.FolderPath).Ids)
            : _rewards.Reconcile("trainer", new HashSet<ChunkId>());
        var used = restored.Concat(_rewards.Claim("trainer", chunks - restored.Count)).ToList();
        return (trainer, used);
    }

    [Fact]
    public void Trainer_crash_before_its_commit_reuses_the_claimed_chunks()
    {
        for (int i = 0; i < 4; i++) _rewards.Publish("w", Bytes($"r{i}"));
        var (_, firstTry) = TrainOneStep(1, 2); // crash: nothing committed

        var (trainer, retry) = TrainOneStep(1, 2);

        Assert.Equal(firstTry.Select(c => c.Id), retry.Select(c => c.Id));
        trainer.Commit(1, f => ConsumptionLedger.For(1, retry.Select(c => c.Id)).WriteTo(f));
        _rewards.Complete("trainer", retry.Select(c => c.Id));
        var (_, next) = TrainOneStep(2, 2);
        Assert.Equal(["r2", "r3"], next.Select(Text));
    }

    [Fact]
    public void Trainer_crash_between_commit_and_deletion_never_replays_a_chunk()
    {
        for (int i = 0; i < 4; i++) _rewards.Publish("w", Bytes($"r{i}"));
        var (trainer, used) = TrainOneStep(1, 2);
        trainer.Commit(1, f => ConsumptionLedger.For(1, used.Select(c => c.Id)).WriteTo(f));
        // crash here: the claims were not completed

        var (_, next) = TrainOneStep(2, 4);

        Assert.Equal(["r2", "r3"], next.Select(Text));
        Assert.Equal(2, ConsumptionLedger.ReadFrom(trainer.ReadLatest()!.FolderPath).Ids.Count);
    }

    [Fact]
    public void Ledger_reads_back_and_a_version_without_one_has_an_empty_ledger()
    {
        var ids = new[] { new ChunkId("a-1"), new ChunkId("b-2") };
        ConsumptionLedger.For(7, ids).WriteTo(_temp.Path);
        var ledger = ConsumptionLedger.ReadFrom(_temp.Path);
        Assert.Equal(7, ledger.Step);
        Assert.True(ledger.Ids.SetEquals(ids));
        Assert.Empty(ConsumptionLedger.ReadFrom(_temp.Combine("elsewhere")).ChunkIds);
        File.WriteAllText(Path.Combine(_temp.Path, ConsumptionLedger.FileName), "{");
        Assert.Contains(ConsumptionLedger.FileName, Assert.Throws<RunDirectoryException>(() => ConsumptionLedger.ReadFrom(_temp.Path)).Message);
    }

    private static string Score(ClaimedChunk chunk) => "scored:" + Text(chunk);

    [Fact]
    public void Transform_moves_each_input_to_exactly_one_output()
    {
        var id = _rollouts.Publish("w", Bytes("a"));
        var chunk = Assert.Single(_rollouts.Claim("reward", 1));
        _rollouts.StageOutput("reward", chunk.Id, Bytes(Score(chunk)));
        _rollouts.Forward("reward", chunk.Id, _rewards);

        Assert.Equal([id], _rewards.ListReady());
        Assert.Equal("scored:a", Text(Assert.Single(_rewards.Claim("trainer", 5))));
        Assert.Empty(_rollouts.RecoverTransforms("reward", _rewards));
        Assert.Empty(_rollouts.ListConsumersWithClaims());
    }

    [Theory]
    [InlineData("after-claim")]
    [InlineData("after-stage")]
    [InlineData("after-input-deleted")]
    [InlineData("after-forward")]
    public void Transform_crash_at_any_point_recovers_to_exactly_one_output(string crashPoint)
    {
        _rollouts.Publish("w", Bytes("a"));
        var chunk = Assert.Single(_rollouts.Claim("reward", 1));
        if (crashPoint != "after-claim") _rollouts.StageOutput("reward", chunk.Id, Bytes(Score(chunk)));
        if (crashPoint == "after-input-deleted")
            File.Delete(Path.Combine(_rollouts.Folder, "claimed", "reward", chunk.Id.Value + ChunkQueue.Extension));
        if (crashPoint == "after-forward")
        {
            _rollouts.Forward("reward", chunk.Id, _rewards);
            _rewards.Complete("trainer", _rewards.Claim("trainer", 1).Select(c => c.Id)); // the trainer even consumed it
        }

        // Restart of the reward service: finish what was staged, redo what was not.
        var toProcess = _rollouts.RecoverTransforms("reward", _rewards);
        foreach (var input in toProcess)
        {
            _rollouts.StageOutput("reward", input.Id, Bytes(Score(input)));
            _rollouts.Forward("reward", input.Id, _rewards);
        }

        var outputs = _rewards.Claim("trainer", 10);
        Assert.Equal(crashPoint == "after-forward" ? 0 : 1, outputs.Count);
        Assert.All(outputs, o => Assert.Equal("scored:a", Text(o)));
        Assert.Empty(_rollouts.ListReady());
        Assert.Empty(_rollouts.RecoverTransforms("reward", _rewards));
    }

    [Fact]
    public void Forward_without_a_staged_output_is_an_error()
    {
        _rollouts.Publish("w", Bytes("a"));
        var chunk = Assert.Single(_rollouts.Claim("reward", 1));
        Assert.Throws<InvalidOperationException>(() => _rollouts.Forward("reward", chunk.Id, _rewards));
        Assert.Single(_rollouts.Claimed("reward"));
    }
}
