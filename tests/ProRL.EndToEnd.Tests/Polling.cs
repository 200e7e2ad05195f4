using System.Diagnostics;

namespace ProRL.EndToEnd.Tests;

internal static class Polling
{
    /// <summary>Polls <paramref name="condition"/> every millisecond or so until it holds or <paramref name="timeout"/> passes;
    /// fine-grained because some phases of a worker step last only milliseconds.</summary>
    public static async Task UntilAsync(Func<bool> condition, TimeSpan timeout)
    {
        var watch = Stopwatch.StartNew();
        while (!condition() && watch.Elapsed < timeout) await Task.Delay(1);
    }
}
