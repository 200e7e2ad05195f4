using ProRL.Onnx.Models;
using ProRL.Rollout.ModelGeneration;

namespace ProRL.Evaluation.Tests;

/// <summary>One generated tiny random model shared by the end-to-end tests.</summary>
public sealed class TinyModelFixture : IDisposable
{
    private readonly TempDirectory _dir = new();

    public TinyModelFixture() => Folder = ModelGenerator.Write(DecoderSpec.Tiny with { Seed = 11 }, _dir.Sub("tiny"));

    public ModelFolder Folder { get; }

    public string Scratch(string name) => _dir.Sub(name);

    public void Dispose() => _dir.Dispose();
}
