using ProRL.Onnx.Models;
using ProRL.Rollout.ModelGeneration;
using ProRL.Training.Artifacts;

namespace ProRL.Training.Tests.Artifacts;

/// <summary>One generated tiny GenAI model folder and its artifacts (written to disk), shared by a test class.</summary>
public sealed class TinyModelFixture : IDisposable
{
    public TinyModelFixture()
    {
        Root = Path.Combine(Path.GetTempPath(), "prorl-artifacts-" + Guid.NewGuid().ToString("N"));
        Model = ModelGenerator.Write(DecoderSpec.Tiny with { Seed = 11, Context = 128 }, Path.Combine(Root, "model"));
        ArtifactsDirectory = Path.Combine(Root, "artifacts");
        Artifacts = ArtifactsBuilder.Build(Model.Directory);
        Artifacts.Write(ArtifactsDirectory);
    }

    public string Root { get; }
    public ModelFolder Model { get; }
    public TrainingArtifacts Artifacts { get; }
    public string ArtifactsDirectory { get; }

    public string NewDirectory(string name) => Path.Combine(Root, name + "-" + Guid.NewGuid().ToString("N")[..8]);

    public void Dispose()
    {
        if (Directory.Exists(Root)) Directory.Delete(Root, recursive: true);
    }
}
