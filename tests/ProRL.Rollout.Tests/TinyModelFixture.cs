using ProRL.Onnx.Models;
using ProRL.Rollout.Engine;
using ProRL.Rollout.ModelGeneration;

namespace ProRL.Rollout.Tests;

/// <summary>One generated tiny model and an engine over it, shared by the tests of a class.</summary>
public sealed class TinyModelFixture : IDisposable
{
    private readonly TempDirectory _dir = new();

    public TinyModelFixture()
    {
        Folder = ModelGenerator.Write(DecoderSpec.Tiny with { Seed = 7 }, _dir.Sub("tiny"));
        Engine = new RolloutEngine(new RolloutEngineOptions { ModelPath = Folder.Directory });
        Reference = new LayoutReference(Folder);
    }

    public ModelFolder Folder { get; }
    public RolloutEngine Engine { get; }
    public LayoutReference Reference { get; }
    public TempDirectory Scratch => _dir;

    public void Dispose()
    {
        Engine.Dispose();
        Reference.Dispose();
        _dir.Dispose();
    }
}
