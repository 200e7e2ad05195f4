using System.Globalization;

namespace ProRL.Tasks.Sandbox;

/// <summary>Reads /proc to find processes by real uid (Linux only).</summary>
public static class ProcessTable
{
    public static int CountOwnedBy(Func<int, bool> uidMatches)
    {
        var count = 0;
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), NumberStyles.None, CultureInfo.InvariantCulture, out _)) continue;
            try
            {
                var line = File.ReadLines(Path.Combine(dir, "status")).FirstOrDefault(l => l.StartsWith("Uid:", StringComparison.Ordinal));
                if (line is not null && uidMatches(int.Parse(line.Split('\t', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture))) count++;
            }
            catch (IOException) { /* the process exited while we looked */ }
            catch (UnauthorizedAccessException) { }
        }
        return count;
    }

    public static bool AnyOwnedBy(int uid) => CountOwnedBy(u => u == uid) > 0;
}
