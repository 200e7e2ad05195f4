using ProRL.Tasks.Model;

namespace ProRL.Tasks.Verification;

/// <summary>Scores a response to a task of one domain. Implementations never throw on model output.</summary>
public interface IVerifier
{
    string Domain { get; }

    ValueTask<VerificationResult> VerifyAsync(TaskItem task, string response, CancellationToken cancellationToken = default);
}

/// <summary>A verifier that needs no I/O: scoring is a pure function of task and response.</summary>
public abstract class PureVerifier : IVerifier
{
    public abstract string Domain { get; }

    public abstract VerificationResult Verify(TaskItem task, string response);

    public ValueTask<VerificationResult> VerifyAsync(TaskItem task, string response, CancellationToken cancellationToken = default) =>
        ValueTask.FromResult(Verify(task, response));
}
