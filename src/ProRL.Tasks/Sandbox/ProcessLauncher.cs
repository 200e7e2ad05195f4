using System.Collections.Concurrent;
using System.Diagnostics;

namespace ProRL.Tasks.Sandbox;

/// <summary>
/// Starts sandbox processes from one long-lived thread. bubblewrap's <c>--die-with-parent</c> uses the parent-death
/// signal, which Linux sends when the <em>thread</em> that forked the child exits; a thread-pool thread that retires
/// would otherwise kill healthy runs (exit 137) and orphan their sandboxes.
/// </summary>
internal static class ProcessLauncher
{
    private static readonly BlockingCollection<(ProcessStartInfo Info, TaskCompletionSource<Process> Started)> Requests = new();

    static ProcessLauncher()
    {
        var thread = new Thread(Run) { IsBackground = true, Name = "prorl-sandbox-launcher" };
        thread.Start();
    }

    public static Task<Process> StartAsync(ProcessStartInfo info)
    {
        var started = new TaskCompletionSource<Process>(TaskCreationOptions.RunContinuationsAsynchronously);
        Requests.Add((info, started));
        return started.Task;
    }

    private static void Run()
    {
        foreach (var (info, started) in Requests.GetConsumingEnumerable())
        {
            try
            {
                started.SetResult(Process.Start(info) ?? throw new InvalidOperationException($"could not start {info.FileName}"));
            }
            catch (Exception ex)
            {
                started.SetException(ex);
            }
        }
    }
}
