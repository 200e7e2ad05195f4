using ProRL.Tasks.Sandbox;

namespace ProRL.Evaluation.Running;

/// <summary>
/// Creates the code sandbox on first use, so an evaluation without code problems neither needs python and prlimit
/// nor prints the sandbox's isolation warning.
/// </summary>
public sealed class LazyCodeRunner(Func<ICodeRunner> create) : ICodeRunner
{
    private readonly Lazy<ICodeRunner> _runner = new(create, LazyThreadSafetyMode.ExecutionAndPublication);

    public bool IsCreated => _runner.IsValueCreated;

    public string IsolationDescription => _runner.Value.IsolationDescription;

    public Task<SandboxResult> RunPythonAsync(SandboxRequest request, CancellationToken cancellationToken = default) =>
        _runner.Value.RunPythonAsync(request, cancellationToken);
}
