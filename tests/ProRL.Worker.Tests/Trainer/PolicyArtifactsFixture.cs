using ProRL.Algorithms.Loss;
using ProRL.Rollout.ModelGeneration;
using ProRL.Training.Artifacts;
using ProRL.Training.Heads;
using ProRL.Training.Session;
using ProRL.Worker.RunDirectory;
using ProRL.Worker.Services.Training;

namespace ProRL.Worker.Tests.Trainer;

/// <summary>A generated tiny model and its policy-loss artifacts, built once through <see cref="ArtifactsCache"/>.</summary>
public sealed class PolicyArtifactsFixture : IDisposable
{
    private readonly TempFolder _folder = new();

    public PolicyArtifactsFixture()
    {
        ModelPath = ModelGenerator.Write(DecoderSpec.Tiny with { Seed = 5, Context = 64 }, _folder.Combine("model")).Directory;
        ModelHash = VersionManifest.Compute(ModelPath, 0).ContentHash();
        RunDirectory = _folder.Combine("run");
        ArtifactsDirectory = ArtifactsCache.GetOrBuild(RunDirectory, ModelPath, ModelHash, Options);
        ManifestWrittenAt = File.GetLastWriteTimeUtc(Path.Combine(ArtifactsDirectory, ArtifactsManifest.FileName));
    }

    /// <summary>k3 KL, token-mean, entropy reported but not in the loss.</summary>
    public static TrainingGraphOptions Options { get; } = new()
    {
        Head = LossHeadKind.Policy,
        PolicyLoss = new PolicyLossHeadOptions { KlEstimator = KlEstimator.K3, Aggregation = LossAggregation.TokenMean, EntropyInLoss = false },
    };

    public string ModelPath { get; }
    public string ModelHash { get; }
    public string RunDirectory { get; }
    public string ArtifactsDirectory { get; }
    public DateTime ManifestWrittenAt { get; }

    /// <summary>A fresh session on the model's initial parameters, with the reference equal to them.</summary>
    public TrainingSession OpenSession()
    {
        var session = TrainingSession.Open(ArtifactsDirectory, new TrainingSessionOptions { IntraOpThreads = 2 });
        session.SetReferenceToPolicy();
        return session;
    }

    /// <summary>A fresh session on artifacts built for packed sequences (built on first use), reference = policy.</summary>
    public TrainingSession OpenPackedSession()
    {
        var artifacts = ArtifactsCache.GetOrBuild(RunDirectory, ModelPath, ModelHash, Options with { PackedSequences = true });
        var session = TrainingSession.Open(artifacts, new TrainingSessionOptions { IntraOpThreads = 2 });
        session.SetReferenceToPolicy();
        return session;
    }

    public void Dispose() => _folder.Dispose();
}
