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
/// Validates every K-th committed policy version (v0 included, as the baseline) on fixed validation items:
/// <see cref="ValidationOptions.SamplesPerItem"/> samples per item at the validation temperature, pass@k for each
/// configured k (unbiased estimator), mean reward overall and by domain; and the same, apart, on the items of the
/// held-out logic families (<paramref name="familyItems"/>), with pass@1 per family.
/// </summary>
public sealed class ValidationStage(RunStore store, IPolicySampler sampler, RewardScorer scorer, ValidationOptions options,
    IReadOnlyList<TaskItem> items, IReadOnlyList<TaskItem>? familyItems = null)
{
    private readonly IReadOnlyList<TaskItem> _familyItems = familyItems ?? [];

    /// <summary>The newest committed version due for validation and not validated yet, or null.</summary>
    public long? NextDue()
    {
        if (options.EveryNSteps <= 0 || store.Policy.ReadLatestPointer() is not { } latest) return null;
        long due = latest - latest % options.EveryNSteps;
        return ValidationResult.TryRead(store, due) is null ? due : null;
    }

    /// <summary>Validates the version due, if any; null when nothing is due (or its folder is gone, pruned).</summary>
    public async Task<ValidationResult?> ValidateNextAsync(CancellationToken cancellationToken)
    {
        if (NextDue() is not { } step) return null;
        var policy = store.Policy.TryOpen(step, VerifyLevel.Checksums, out _);
        if (policy is null) return null;
        sampler.Load(policy.FolderPath);
        var all = items.Concat(_familyItems).ToList();
        var samples = await Task.Run(() => sampler.Generate(all.Select(i => RolloutPrompt.User(i.Prompt)).ToList(), new SamplingSettings
        {
            SamplesPerPrompt = options.SamplesPerItem, Temperature = options.Temperature, TopP = options.TopP,
            MaxNewTokens = options.MaxNewTokens, Seed = (ulong)options.HeldOutSeed,
        }, cancellationToken), cancellationToken);

        var rewards = new double[all.Count][];
        for (int i = 0; i < all.Count; i++)
        {
            var texts = samples.Where(s => s.PromptIndex == i).OrderBy(s => s.SampleIndex).Select(s => s.Text).ToList();
            var scored = await Task.WhenAll(texts.Select(t => scorer.ScoreAsync(all[i], t, cancellationToken).AsTask()));
            rewards[i] = scored.Select(r => r.Reward).ToArray();
        }
        var result = Summarize(step, rewards[..items.Count], rewards[items.Count..]);
        result.Save(store);
        var data = new JsonObject(result.PassAtK.Select(p => KeyValuePair.Create("pass@" + p.Key, (JsonNode?)p.Value)));
        if (result.HeldOutFamilies is { } families)
            foreach (var (k, value) in families.PassAtK) data["heldout_families/pass@" + k] = value;
        string familiesText = result.HeldOutFamilies is { } f && f.PassAtK.TryGetValue("1", out var fp) ? $", held-out families pass@1 {fp:0.000}" : "";
        store.Events.Append(EventTypes.Validation, step, $"validation of v{step}: pass@1 {result.Score:0.000}{familiesText}", data);
        return result;
    }

    private ValidationResult Summarize(long step, double[][] rewards, double[][] familyRewards)
    {
        var passAtK = PassAtKOf(rewards);
        var byDomain = items.Select((item, i) => (item.Domain, rewards[i]))
            .GroupBy(x => x.Domain)
            .ToDictionary(g => g.Key, g => g.SelectMany(x => x.Item2).DefaultIfEmpty(0).Average());
        HeldOutFamiliesResult? families = null;
        if (_familyItems.Count > 0)
        {
            var byFamily = _familyItems.Select((item, i) => (Family: item.Family ?? "", Rewards: familyRewards[i]))
                .GroupBy(x => x.Family)
                .ToDictionary(g => g.Key, g => PassAtK.Mean(g.Select(x => ProblemSamples.FromRewards(x.Rewards)).ToList(), 1));
            families = new HeldOutFamiliesResult(_familyItems.Count, PassAtKOf(familyRewards), familyRewards.SelectMany(r => r).Average(), byFamily);
        }
        return new ValidationResult(step, items.Count, options.SamplesPerItem, passAtK, rewards.SelectMany(r => r).DefaultIfEmpty(0).Average(), byDomain,
            families);
    }

    private Dictionary<string, double> PassAtKOf(double[][] rewards)
    {
        var problems = rewards.Select(r => ProblemSamples.FromRewards(r)).ToList();
        return options.EffectivePassAtK.Distinct().ToDictionary(ValidationResult.KeyOf, k => PassAtK.Mean(problems, k));
    }
}
