using System.Runtime.InteropServices;

namespace ProRL.Worker.RunDirectory;

/// <summary>
/// The fsync steps of the commit protocol. A rename is only durable once the folder that holds the name is synced, and a
/// file's content only once the file is, so a commit syncs the files, then the folder it renames, then its parent.
/// </summary>
public static partial class DurableIO
{
    /// <summary>Flushes a file's content to the storage device.</summary>
    public static void FsyncFile(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite);
        stream.Flush(flushToDisk: true);
    }

    /// <summary>Syncs every file under <paramref name="folder"/> and then every folder, deepest first.</summary>
    public static void FsyncTree(string folder)
    {
        foreach (var file in Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories)) FsyncFile(file);
        var folders = Directory.EnumerateDirectories(folder, "*", SearchOption.AllDirectories)
            .OrderByDescending(f => f.Length);
        foreach (var sub in folders) FsyncDirectory(sub);
        FsyncDirectory(folder);
    }

    /// <summary>
    /// Makes the entries of a folder (creations, renames, deletions) durable. POSIX only: Windows offers no directory
    /// handle to flush and NTFS journals metadata itself, so there this does nothing.
    /// </summary>
    public static void FsyncDirectory(string folder)
    {
        if (OperatingSystem.IsWindows()) return;
        if (!Directory.Exists(folder)) throw new DirectoryNotFoundException($"Cannot sync folder '{folder}': it does not exist.");
        int fd = Open(folder, 0 /* O_RDONLY */);
        if (fd < 0) throw new IOException($"Cannot open folder '{folder}' to sync it (errno {Marshal.GetLastPInvokeError()}).");
        try
        {
            // Some filesystems (and some container overlays) refuse fsync on a directory with EINVAL; the rename is then as
            // durable as that filesystem can make it, so only other errors are reported.
            if (Fsync(fd) != 0 && Marshal.GetLastPInvokeError() is var errno && errno != 22)
                throw new IOException($"fsync of folder '{folder}' failed (errno {errno}).");
        }
        finally
        {
            Close(fd);
        }
    }

    /// <summary>Deletes a folder so that it disappears at once: rename it to a hidden name first, then delete that.</summary>
    public static void DeleteDirectoryAtomically(string folder)
    {
        if (!Directory.Exists(folder)) return;
        var parent = Path.GetDirectoryName(Path.GetFullPath(folder))!;
        var doomed = Path.Combine(parent, TempNames.Prefix + "deleting-" + Path.GetFileName(folder) + "-" + Guid.NewGuid().ToString("N"));
        Directory.Move(folder, doomed);
        Directory.Delete(doomed, recursive: true);
    }

    [LibraryImport("libc", EntryPoint = "open", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int Open(string path, int flags);

    [LibraryImport("libc", EntryPoint = "fsync", SetLastError = true)]
    private static partial int Fsync(int fd);

    [LibraryImport("libc", EntryPoint = "close")]
    private static partial int Close(int fd);
}

/// <summary>Names of in-progress entries: hidden, so that no reader ever lists them as data.</summary>
public static class TempNames
{
    /// <summary>Prefix of the temporary folders and files this protocol creates.</summary>
    public const string Prefix = ".tmp-";

    /// <summary>True for names the protocol (or <see cref="ProRL.Onnx.IO.AtomicFile"/>) uses for unfinished writes.</summary>
    public static bool IsTemporary(string name) =>
        name.StartsWith(Prefix, StringComparison.Ordinal) || (name.StartsWith('.') && name.Contains(".tmp-", StringComparison.Ordinal));
}
