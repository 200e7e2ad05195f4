namespace ProRL.Tasks.Sandbox;

/// <summary>
/// Creates the code sandbox on the first code answer, so that a run without code tasks never needs python3, prlimit or
/// Linux. If the sandbox cannot be created, each code answer is scored 0 with the reason (the reward scorer reports
/// verifier errors that way) and the cause is reported once.
/// </summary>
public sealed class LazyCodeRunner(Func<ICodeRunner> create, Action<Exception>? reportFailure = null) : ICodeRunner
{
    private readonly Lazy<ICodeRunner> _runner = new(create, LazyThreadSafetyMode.ExecutionAndPublication);
    private int _reported;

    public bool IsCreated => _runner.IsValueCreated;

    public string IsolationDescription => _runner.IsValueCreated ? _runner.Value.IsolationDescription : "not started";

    /// <summary>Creates the runner now; a failure is reported once and every later run is refused with it.</summary>
    public void Start()
    {
        try { _ = _runner.Value; }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            if (Interlocked.Exchange(ref _reported, 1) == 0) reportFailure?.Invoke(e);
        }
    }

    public Task<SandboxResult> RunPythonAsync(SandboxRequest request, CancellationToken cancellationToken = default)
    {
        ICodeRunner runner;
        try
        {
            runner = _runner.Value;
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            if (Interlocked.Exchange(ref _reported, 1) == 0) reportFailure?.Invoke(e);
            throw;
        }
        return runner.RunPythonAsync(request, cancellationToken);
    }
}
