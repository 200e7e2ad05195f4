namespace ProRL.Tasks.Model;

/// <summary>
/// A response that states a task's reference answer in the form its verifier reads (for supervised warm-up data
/// and for checking verifiers). Domains whose reference is not an answer (code tests, IFEval constraints) have none.
/// </summary>
public static class ReferenceResponse
{
    public static string? For(TaskItem task) => task.Answer is not { Length: > 0 } answer ? null : task.Domain switch
    {
        TaskDomains.Logic => $"<answer>{answer}</answer>",
        TaskDomains.Math => $"\\boxed{{{answer}}}",
        TaskDomains.Stem => $"The answer is ({answer}).",
        _ => null,
    };
}
