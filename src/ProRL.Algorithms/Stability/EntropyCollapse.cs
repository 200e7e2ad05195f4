namespace ProRL.Algorithms.Stability;

/// <summary>
/// Entropy collapse: the policy's per-token entropy stays under a floor for several consecutive steps, the failure
/// ProRL's high temperature, KL control and resets exist to prevent. Stateless over the step history, so that a resumed
/// run reports a collapse exactly once, at the step an uninterrupted run would.
/// </summary>
public static class EntropyCollapse
{
    /// <summary>
    /// True when the newest <paramref name="steps"/> entropies (oldest first in <paramref name="history"/>) are all below
    /// <paramref name="floor"/> and the one before them, if any, was not: the step at which a collapse begins to count.
    /// </summary>
    public static bool StartsNow(IReadOnlyList<double> history, double floor, int steps)
    {
        ArgumentNullException.ThrowIfNull(history);
        if (steps < 1) throw new ArgumentOutOfRangeException(nameof(steps), steps, "At least one step.");
        if (!double.IsFinite(floor) || floor < 0) throw new ArgumentOutOfRangeException(nameof(floor), floor, "A floor is a number ≥ 0.");
        if (history.Count < steps) return false;
        for (int i = history.Count - steps; i < history.Count; i++)
            if (!(history[i] < floor)) return false;
        return history.Count == steps || !(history[^(steps + 1)] < floor);
    }
}
