using ProRL.Worker.RunDirectory;

namespace ProRL.Cli.Runs;

/// <summary>Opens an existing run directory for reading; refuses a folder that is not one (RunStore.Open would create it).</summary>
public static class RunReader
{
    public static bool IsRun(string folder) =>
        File.Exists(Path.Combine(folder, RunInfo.FileName)) || File.Exists(Path.Combine(folder, "policy", VersionStore.LatestFileName));

    public static RunStore Open(string folder)
    {
        if (!IsRun(folder))
            throw new RunDirectoryException($"{Path.GetFullPath(folder)}: not a run directory (no {RunInfo.FileName}, no policy/{VersionStore.LatestFileName}).");
        return RunStore.Open(folder);
    }
}
