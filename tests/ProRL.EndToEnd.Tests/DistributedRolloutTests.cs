using ProRL.Worker.Chunks;
using ProRL.Worker.RunDirectory;
using ProRL.Worker.Services.Training;
using Xunit.Abstractions;

namespace ProRL.EndToEnd.Tests;

/// <summary>
/// One trainer process (trainer + reward services) fed by two rollout-only processes on the same run directory, as on
/// several hosts sharing a filesystem: every request is served exactly once, by one of them, and nothing is left over.
/// </summary>
public class DistributedRolloutTests(ITestOutputHelper output)
{
    private const int PromptsPerChunk = 1; // 4 requests per step, so that both rollout processes get work
    private const int MaxSteps = 4;        // the warm-up (step 1) and 3 RL steps

    [Fact]
    public async Task Two_rollout_processes_feed_one_trainer_without_duplicated_or_lost_chunks()
    {
        var root = Directory.CreateTempSubdirectory("prorl-e2e-shared-").FullName;
        var run = Path.Combine(root, "run");
        var trainerSettings = SmallRun.Settings(TinyModel.Folder, run, PromptsPerChunk);
        trainerSettings["Run:MaxSteps"] = MaxSteps.ToString(System.Globalization.CultureInfo.InvariantCulture);
        trainerSettings["Services:Rollout"] = "false";
        trainerSettings["Services:Validation"] = "false";
        trainerSettings["ReferenceReset:Enabled"] = "false"; // no validation here for the stall and drop rules to wait for
        trainerSettings["Services:InstanceName"] = "trainer";

        string[] instances = ["east", "west"];
        var exitCodes = new List<int>();
        var rollouts = instances.Select(name => WorkerProcess.Start(RolloutOnly(run, name), root)).ToList();
        try
        {
            // Scored chunks wait in rewards/ (ready, then claimed by the trainer) until their step commits: long enough to
            // read which rollout process wrote each.
            var writers = new Dictionary<string, HashSet<string>>();
            using var trainer = WorkerProcess.Start(trainerSettings, root);
            var watch = System.Diagnostics.Stopwatch.StartNew();
            while (!trainer.HasExited && watch.Elapsed < TimeSpan.FromMinutes(2))
            {
                RecordWriters(Path.Combine(run, "rewards"), writers);
                Assert.All(rollouts, r => Assert.False(r.HasExited, $"a rollout process exited:\n{r.Output}"));
                await Task.Delay(20);
            }
            int exit = await trainer.WaitForExitAsync(TimeSpan.FromSeconds(30));
            Assert.True(exit == 0, $"the trainer process exited with {exit}:\n{trainer.Output}");

            // Each RL step consumed exactly the requests it ordered, and no chunk twice (the audit checks both).
            var audit = new RunDirectoryAudit(run, PromptsPerChunk);
            Assert.Equal(MaxSteps, audit.Check());
            var ordered = Enumerable.Range(2, MaxSteps - 1).SelectMany(s => SmallRun.RequestIds(s, PromptsPerChunk)).ToList();
            Assert.Equal(ordered.Order(StringComparer.Ordinal), audit.Ledgers.Values.SelectMany(ids => ids).Order(StringComparer.Ordinal));

            // Every request seen served was served by exactly one rollout process. (The ledgers above prove that every
            // request was consumed once; a scored chunk can be claimed and committed between two 20 ms looks at
            // rewards/ on a loaded machine, so not every one is seen here.)
            Assert.Subset(ordered.ToHashSet(StringComparer.Ordinal), writers.Keys.ToHashSet(StringComparer.Ordinal));
            Assert.True(writers.Count >= ordered.Count / 2, $"only {writers.Count} of {ordered.Count} requests were seen served");
            Assert.All(writers, w => Assert.True(w.Value.Count == 1, $"{w.Key} was served by {string.Join(" and ", w.Value)}"));
            var split = writers.GroupBy(w => w.Value.Single()).ToDictionary(g => g.Key, g => g.Count());
            output.WriteLine("requests served: " + string.Join(", ", split.Select(s => $"{s.Key} {s.Value}")));
            Assert.All(instances, name => Assert.Contains(split.Keys, writer => writer.EndsWith("." + name, StringComparison.Ordinal)));

            // Nothing left over anywhere in the three queues: no request unserved, no chunk unconsumed or rejected.
            var leftovers = new[] { "requests", "rollouts", "rewards" }
                .SelectMany(q => Directory.EnumerateFiles(Path.Combine(run, q), "*", SearchOption.AllDirectories))
                .Select(f => Path.GetRelativePath(run, f)).ToList();
            Assert.True(leftovers.Count == 0, "left over: " + string.Join(", ", leftovers));
        }
        finally
        {
            foreach (var r in rollouts)
            {
                r.Terminate();
                exitCodes.Add(await r.WaitForExitAsync(TimeSpan.FromSeconds(30)));
                output.WriteLine($"rollout process {r.Id} exited with {exitCodes[^1]} after SIGTERM");
                r.Dispose();
            }
        }
        // A rollout-only host stops cleanly too.
        Assert.All(exitCodes, code => Assert.Equal(0, code));
        Directory.Delete(root, recursive: true);
    }

    private static Dictionary<string, string> RolloutOnly(string run, string instance)
    {
        var settings = SmallRun.Settings(TinyModel.Folder, run, PromptsPerChunk);
        settings["Services:Rollout"] = "true";
        foreach (var service in new[] { "Reward", "Trainer", "Validation" }) settings["Services:" + service] = "false";
        settings["Services:InstanceName"] = instance;
        return settings;
    }

    /// <summary>Reads the writer of every scored chunk in rewards/ (ready or claimed by the trainer).</summary>
    private static void RecordWriters(string rewards, Dictionary<string, HashSet<string>> writers)
    {
        if (!Directory.Exists(rewards)) return; // the trainer process has not opened the run yet
        var files = Directory.EnumerateFiles(rewards, "*" + ChunkQueue.Extension).Concat(
            Directory.Exists(Path.Combine(rewards, "claimed", TrainerExchange.ConsumerId))
                ? Directory.EnumerateFiles(Path.Combine(rewards, "claimed", TrainerExchange.ConsumerId), "*" + ChunkQueue.Extension)
                : []);
        foreach (var file in files.ToList())
        {
            var id = Path.GetFileName(file)[..^ChunkQueue.Extension.Length];
            if (id.StartsWith('.')) continue; // a temporary being written
            byte[] bytes;
            try { bytes = File.ReadAllBytes(file); }
            catch (FileNotFoundException) { continue; } // claimed or consumed meanwhile: read on the next pass or already seen
            var scored = ChunkPayload.Deserialize<ScoredChunk>(ChunkFile.Decode(bytes, file), file);
            if (!writers.TryGetValue(id, out var seen)) writers[id] = seen = [];
            seen.Add(scored.Rollout.Writer); // read again on every pass: a second writer of the same request would show here
        }
    }
}
