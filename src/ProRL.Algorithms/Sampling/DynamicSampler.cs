namespace ProRL.Algorithms.Sampling;

/// <summary>Why a step's sampling stopped, or that it goes on.</summary>
public enum SamplingStatus
{
    /// <summary>Draw <see cref="SamplingDecision.PromptsToDraw"/> more prompts.</summary>
    DrawMore,

    /// <summary>Enough groups were kept: train on the first <c>target</c> of them.</summary>
    BatchFull,

    /// <summary>The extra rounds are spent: train on the groups kept so far (fewer than the target).</summary>
    RoundsExhausted,
}

/// <summary>What to do next in a step's sampling.</summary>
public sealed record SamplingDecision(SamplingStatus Status, int PromptsToDraw);

/// <summary>Counters of one step's dynamic sampling, for the metrics log.</summary>
/// <param name="Rounds">Sampling rounds done (the first one included).</param>
/// <param name="PromptsDrawn">Prompts sampled in all rounds.</param>
/// <param name="GroupsKept">Groups with a learning signal.</param>
/// <param name="GroupsDropped">Groups whose rewards were all equal.</param>
public sealed record DynamicSamplingCounters(int Rounds, int PromptsDrawn, int GroupsKept, int GroupsDropped)
{
    /// <summary>Observed keep rate, kept / drawn (0 before any round).</summary>
    public double KeepRate => PromptsDrawn == 0 ? 0 : (double)GroupsKept / PromptsDrawn;

    /// <summary>Rounds beyond the first.</summary>
    public int ExtraRounds => Math.Max(0, Rounds - 1);
}

/// <summary>
/// Tracks one training step's dynamic sampling: the first round draws the target number of prompts; after each round the
/// caller records how many groups it kept, and <see cref="Next"/> says how many prompts to draw next (from the keep rate
/// observed so far in this step) or why to stop. Create one per step.
/// </summary>
public sealed class DynamicSampler
{
    private readonly DynamicSamplingOptions _options;

    /// <param name="targetGroups">Prompt groups a step trains on.</param>
    /// <param name="options">Settings; validated here.</param>
    public DynamicSampler(int targetGroups, DynamicSamplingOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        if (targetGroups <= 0)
            throw new ArgumentOutOfRangeException(nameof(targetGroups), targetGroups, "A step needs at least one prompt group.");
        TargetGroups = targetGroups;
        _options = options;
        Counters = new DynamicSamplingCounters(0, 0, 0, 0);
    }

    /// <summary>Prompt groups a step trains on.</summary>
    public int TargetGroups { get; }

    /// <summary>The counters so far.</summary>
    public DynamicSamplingCounters Counters { get; private set; }

    /// <summary>Adds a round's outcome: prompts drawn, and how many of their groups were kept.</summary>
    public void Record(int promptsDrawn, int groupsKept)
    {
        if (promptsDrawn <= 0) throw new ArgumentOutOfRangeException(nameof(promptsDrawn), promptsDrawn, "A round draws at least one prompt.");
        if (groupsKept < 0 || groupsKept > promptsDrawn)
            throw new ArgumentOutOfRangeException(nameof(groupsKept), groupsKept, $"Must be between 0 and the {promptsDrawn} prompts drawn.");
        Counters = Counters with
        {
            Rounds = Counters.Rounds + 1,
            PromptsDrawn = Counters.PromptsDrawn + promptsDrawn,
            GroupsKept = Counters.GroupsKept + groupsKept,
            GroupsDropped = Counters.GroupsDropped + promptsDrawn - groupsKept,
        };
    }

    /// <summary><see cref="Record(int, int)"/> from a round's <see cref="GroupSelection"/>.</summary>
    public void Record(GroupSelection selection)
    {
        ArgumentNullException.ThrowIfNull(selection);
        Record(selection.Kept.Count + selection.Dropped.Count, selection.Kept.Count);
    }

    /// <summary>
    /// Before any round: draw the target. Then: stop when full; stop when dynamic sampling is off or the extra rounds are
    /// spent; else draw <see cref="PromptsToDraw"/>(missing groups, observed keep rate).
    /// </summary>
    public SamplingDecision Next()
    {
        if (Counters.Rounds == 0) return new SamplingDecision(SamplingStatus.DrawMore, TargetGroups);
        int missing = TargetGroups - Counters.GroupsKept;
        if (missing <= 0) return new SamplingDecision(SamplingStatus.BatchFull, 0);
        if (!_options.Enabled || Counters.ExtraRounds >= _options.MaxExtraRounds)
            return new SamplingDecision(SamplingStatus.RoundsExhausted, 0);
        return new SamplingDecision(SamplingStatus.DrawMore, PromptsToDraw(missing, Counters.KeepRate, _options));
    }

    /// <summary>
    /// Prompts to draw to obtain <paramref name="missingGroups"/> more kept groups when a fraction
    /// <paramref name="keepRate"/> of groups is kept: ⌈missing · oversampling / max(keepRate, MinKeepRate)⌉, capped at
    /// MaxPromptsPerRound, and at least <paramref name="missingGroups"/>.
    /// </summary>
    public static int PromptsToDraw(int missingGroups, double keepRate, DynamicSamplingOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (missingGroups <= 0) return 0;
        if (!(keepRate is >= 0 and <= 1))
            throw new ArgumentOutOfRangeException(nameof(keepRate), keepRate, "A keep rate lies in [0, 1].");
        // The 1e-9 keeps an exact quotient (3 / 0.5) that rounding nudged above its integer from asking one prompt more.
        double projected = Math.Ceiling(missingGroups * options.Oversampling / Math.Max(keepRate, options.MinKeepRate) - 1e-9);
        int draw = (int)Math.Min(projected, int.MaxValue);
        draw = Math.Max(draw, missingGroups);
        return options.MaxPromptsPerRound is { } cap ? Math.Min(draw, cap) : draw;
    }
}
