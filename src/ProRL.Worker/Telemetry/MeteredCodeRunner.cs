using ProRL.Tasks.Sandbox;

namespace ProRL.Worker.Telemetry;

/// <summary>Counts the sandbox runs of the code verifier and their failures (<see cref="WorkerInstruments"/>).</summary>
public sealed class MeteredCodeRunner(ICodeRunner inner) : ICodeRunner
{
    public string IsolationDescription => inner.IsolationDescription;

    public async Task<SandboxResult> RunPythonAsync(SandboxRequest request, CancellationToken cancellationToken = default)
    {
        WorkerInstruments.SandboxRuns.Add(1);
        try
        {
            var result = await inner.RunPythonAsync(request, cancellationToken);
            if (!result.Completed)
                WorkerInstruments.SandboxFailures.Add(1, new KeyValuePair<string, object?>("reason", result.TimedOut ? "timeout" : "output_limit"));
            return result;
        }
        catch (Exception) when (!cancellationToken.IsCancellationRequested)
        {
            WorkerInstruments.SandboxFailures.Add(1, new KeyValuePair<string, object?>("reason", "error"));
            throw;
        }
    }
}
