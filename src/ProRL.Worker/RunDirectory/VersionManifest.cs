using System.Security.Cryptography;
using System.Text.Json;

namespace ProRL.Worker.RunDirectory;

/// <summary>One file of a committed version: its path relative to the version folder ('/'-separated), size and SHA-256.</summary>
public sealed record ManifestEntry(string Path, long Size, string Sha256);

/// <summary>How much of a version folder a reader checks against its manifest.</summary>
public enum VerifyLevel
{
    /// <summary>Every file exists with the recorded size (cheap: for frequent polling of large models).</summary>
    Sizes,

    /// <summary>Sizes and SHA-256 of every file.</summary>
    Checksums,
}

/// <summary>
/// <c>manifest.json</c> of a version folder: what the folder must contain for the version to be trusted, plus free-form
/// properties (the step, the model hash, the policy version a reference was copied from, ...).
/// </summary>
public sealed record VersionManifest(
    long Version,
    DateTimeOffset CreatedUtc,
    IReadOnlyList<ManifestEntry> Files,
    IReadOnlyDictionary<string, string>? Properties = null)
{
    public const string FileName = "manifest.json";

    /// <summary>Hashes every file under <paramref name="folder"/> except the manifest itself.</summary>
    public static VersionManifest Compute(string folder, long version, IReadOnlyDictionary<string, string>? properties = null)
    {
        var entries = Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories)
            .Select(file => (file, relative: RelativePath(folder, file)))
            .Where(f => f.relative != FileName)
            .OrderBy(f => f.relative, StringComparer.Ordinal)
            .Select(f => new ManifestEntry(f.relative, new FileInfo(f.file).Length, HashFile(f.file)))
            .ToList();
        return new VersionManifest(version, DateTimeOffset.UtcNow, entries, properties);
    }

    /// <summary>Reads a manifest; throws <see cref="RunDirectoryException"/> naming the file when it is unreadable.</summary>
    public static VersionManifest Load(string manifestPath)
    {
        VersionManifest? manifest;
        try
        {
            manifest = JsonSerializer.Deserialize<VersionManifest>(File.ReadAllBytes(manifestPath), RunJson.Indented);
        }
        catch (JsonException e)
        {
            throw new RunDirectoryException($"{manifestPath}: not a valid manifest ({e.Message}).", e);
        }
        if (manifest?.Files is null) throw new RunDirectoryException($"{manifestPath}: not a valid manifest (no 'files').");
        foreach (var entry in manifest.Files)
        {
            if (!IsSafeRelativePath(entry.Path))
                throw new RunDirectoryException($"{manifestPath}: entry '{entry.Path}' is not a relative path inside the version folder.");
        }
        return manifest;
    }

    /// <summary>SHA-256 over the file list (paths, sizes, hashes): equal for two folders with the same content.</summary>
    public string ContentHash() =>
        Convert.ToHexStringLower(SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(
            string.Concat(Files.Select(f => $"{f.Path}\n{f.Size}\n{f.Sha256}\n")))));

    public byte[] ToJsonBytes() => JsonSerializer.SerializeToUtf8Bytes(this, RunJson.Indented);

    /// <summary>Checks <paramref name="folder"/> against this manifest; returns null when it matches, else the first mismatch.</summary>
    public string? FindMismatch(string folder, VerifyLevel level)
    {
        foreach (var entry in Files)
        {
            var path = System.IO.Path.Combine(folder, entry.Path);
            var info = new FileInfo(path);
            if (!info.Exists) return $"'{entry.Path}' is missing";
            if (info.Length != entry.Size) return $"'{entry.Path}' has {info.Length} bytes, the manifest says {entry.Size}";
            if (level == VerifyLevel.Checksums && !string.Equals(HashFile(path), entry.Sha256, StringComparison.OrdinalIgnoreCase))
                return $"'{entry.Path}' does not match its SHA-256";
        }
        return null;
    }

    public static string HashFile(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20);
        return Convert.ToHexStringLower(SHA256.HashData(stream));
    }

    private static string RelativePath(string folder, string file) =>
        System.IO.Path.GetRelativePath(folder, file).Replace('\\', '/');

    private static bool IsSafeRelativePath(string path) =>
        !string.IsNullOrEmpty(path) && !System.IO.Path.IsPathRooted(path) && !path.StartsWith('/') &&
        !path.Split('/', '\\').Any(part => part is ".." or "");
}
