using System.Text.Json.Nodes;
using ProRL.Algorithms.Evaluation;
using ProRL.Rollout.Engine;
using ProRL.Tasks.Model;
using ProRL.Tasks.Verification;
using ProRL.Worker.Options;
using ProRL.Worker.RunDirectory;
using ProRL.Worker.Services.Rollout;

namespace ProRL.Worker.Services.Validation;

/// <summary>
/// Validates every K-th committed policy version (v0 included, as the baseline) on a fixed set of held-out items:
/// <see cref="ValidationOptions.SamplesPerItem"/> samples per item at the validation temperature, pass@k for each
/// configured k (unbiased estimator), mean reward overall and by domain.
/// </summary>
public sealed class ValidationStage(RunStore store, IPolicySampler sampler, RewardScorer scorer, ValidationOptions options, IReadOnlyList<TaskItem> items)
{
    /// <summary>The newest committed version due for validation and not validated yet, or null.</summary>
    public long? NextDue()
    {
        if (options.EveryNSteps <= 0 || store.Policy.ReadLatestPointer() is not { } latest) return null;
        long due = latest - latest % options.EveryNSteps;
        return ValidationResult.Exists(store, due) ? null : due;
    }

    /// <summary>Validates the version due, if any; null when nothing is due (or its folder is gone, pruned).</summary>
    public async Task<ValidationResult?> ValidateNextAsync(CancellationToken cancellationToken)
    {
        if (NextDue() is not { } step) return null;
        var policy = store.Policy.TryOpen(step, VerifyLevel.Checksums, out _);
        if (policy is null) return null;
        sampler.Load(policy.FolderPath);
        var samples = await Task.Run(() => sampler.Generate(items.Select(i => RolloutPrompt.User(i.Prompt)).ToList(), new SamplingSettings
        {
            SamplesPerPrompt = options.SamplesPerItem, Temperature = options.Temperature, TopP = options.TopP,
            MaxNewTokens = options.MaxNewTokens, Seed = (ulong)options.HeldOutSeed,
        }, cancellationToken), cancellationToken);

        var rewards = new double[items.Count][];
        for (int i = 0; i < items.Count; i++)
        {
            var texts = samples.Where(s => s.PromptIndex == i).OrderBy(s => s.SampleIndex).Select(s => s.Text).ToList();
            var scored = await Task.WhenAll(texts.Select(t => scorer.ScoreAsync(items[i], t, cancellationToken).AsTask()));
            rewards[i] = scored.Select(r => r.Reward).ToArray();
        }
        var result = Summarize(step, rewards);
        result.Save(store);
        store.Events.Append(EventTypes.Validation, step, $"validation of v{step}: pass@1 {result.Score:0.000}",
            new JsonObject(result.PassAtK.Select(p => KeyValuePair.Create("pass@" + p.Key, (JsonNode?)p.Value))));
        return result;
    }

    private ValidationResult Summarize(long step, double[][] rewards)
    {
        var problems = rewards.Select(r => ProblemSamples.FromRewards(r)).ToList();
        var passAtK = options.EffectivePassAtK.Distinct().ToDictionary(ValidationResult.KeyOf, k => PassAtK.Mean(problems, k));
        var byDomain = items.Select((item, i) => (item.Domain, rewards[i]))
            .GroupBy(x => x.Domain)
            .ToDictionary(g => g.Key, g => g.SelectMany(x => x.Item2).DefaultIfEmpty(0).Average());
        return new ValidationResult(step, items.Count, options.SamplesPerItem, passAtK, rewards.SelectMany(r => r).DefaultIfEmpty(0).Average(), byDomain);
    }
}
