namespace ProRL.Worker.Telemetry;

/// <summary>Per-sample values of one trainer step that metrics.jsonl only holds as means.</summary>
public sealed record StepDistributions(long Step, double[] Advantages, double[] ResponseLengths);

/// <summary>
/// In-process hand-off of <see cref="StepDistributions"/> from the policy update to the TensorBoard writer. The
/// advantages exist only inside the update, so they reach the writer only when both run in the same process; the
/// writer keeps them until the step is committed (its metrics record appears) and drops those of abandoned steps.
/// </summary>
public static class TrainingDistributions
{
    public static event Action<StepDistributions>? Published;

    public static void Publish(long step, IReadOnlyList<double> advantages, IEnumerable<int> responseLengths)
    {
        var handler = Published;
        if (handler is null) return; // nobody listens: copy nothing
        handler(new StepDistributions(step, advantages.ToArray(), responseLengths.Select(l => (double)l).ToArray()));
    }
}
