using System.Text.Json;

namespace ProRL.Worker.RunDirectory;

/// <summary>
/// The chunk ids a trainer step consumed, written inside the committed trainer version of that step. Because it commits
/// together with the state the chunks produced, a crash between the commit and the deletion of the chunks cannot replay
/// them: on restart <see cref="ChunkQueue.Reconcile"/> deletes the claims this ledger lists.
/// </summary>
public sealed record ConsumptionLedger(long Step, IReadOnlyList<string> ChunkIds)
{
    public const string FileName = "consumed-chunks.json";

    public IReadOnlySet<ChunkId> Ids => ChunkIds.Select(id => new ChunkId(id)).ToHashSet();

    public static ConsumptionLedger For(long step, IEnumerable<ChunkId> ids) => new(step, ids.Select(i => i.Value).ToList());

    /// <summary>Writes the ledger into a version folder being committed.</summary>
    public void WriteTo(string versionFolder) =>
        File.WriteAllBytes(Path.Combine(versionFolder, FileName), JsonSerializer.SerializeToUtf8Bytes(this, RunJson.Indented));

    /// <summary>Reads the ledger of a committed version; an empty ledger when the version has none.</summary>
    public static ConsumptionLedger ReadFrom(string versionFolder)
    {
        var path = Path.Combine(versionFolder, FileName);
        if (!File.Exists(path)) return new ConsumptionLedger(0, []);
        try
        {
            return JsonSerializer.Deserialize<ConsumptionLedger>(File.ReadAllBytes(path), RunJson.Indented)
                   ?? throw new RunDirectoryException($"{path}: empty ledger.");
        }
        catch (JsonException e)
        {
            throw new RunDirectoryException($"{path}: not a valid ledger ({e.Message}).", e);
        }
    }
}
