using ProRL.Rollout.ModelGeneration;

namespace ProRL.EndToEnd.Tests;

/// <summary>
/// One freshly generated tiny model shared by the tests of this assembly (generated once, on first use), so that no
/// worker process has to generate it, and a kill can never land in the middle of writing the model itself.
/// </summary>
internal static class TinyModel
{
    private static readonly Lazy<string> Generated = new(() =>
    {
        var parent = Directory.CreateTempSubdirectory("prorl-e2e-model-").FullName;
        AppDomain.CurrentDomain.ProcessExit += (_, _) => Directory.Delete(parent, recursive: true);
        var folder = Path.Combine(parent, "tiny");
        ModelGenerator.Write(DecoderSpec.Preset("tiny"), folder);
        return folder;
    });

    public static string Folder => Generated.Value;
}
