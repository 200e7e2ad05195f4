using ProRL.Training.Artifacts;
using ProRL.Training.Heads;
using ProRL.Worker.Options;
using ProRL.Worker.Services.Tasks;
using ProRL.Worker.Services.Training;

namespace ProRL.Worker.Tests.Trainer;

public class TrainerStateAndCacheTests(PolicyArtifactsFixture tiny) : IClassFixture<PolicyArtifactsFixture>
{
    [Fact]
    public void Trainer_state_round_trips_including_the_task_stream_position()
    {
        using var folder = new TempFolder();
        var mixture = TaskMixtureFactory.Create(new TasksOptions(), seed: 3);
        for (int i = 0; i < 5; i++) mixture.Next();
        var state = new TrainerState(12, TrainerState.RlPhase, mixture.Position.ToJson(), 9, KlCoef: 0.0123);
        state.WriteTo(folder.Path);

        var read = TrainerState.ReadFrom(folder.Path);
        Assert.Equal(state, read);
        // The position resumes the stream where it stood: the next task is the same one.
        var resumed = TaskMixtureFactory.Create(new TasksOptions(), 3, read.Position);
        Assert.Equal(mixture.Next().Prompt, resumed.Next().Prompt);
    }

    [Fact]
    public void Trainer_state_round_trips_the_inputs_of_the_next_reset_decision_exactly()
    {
        using var folder = new TempFolder();
        var validation = new[] { new ProRL.Algorithms.Reset.ValidationPoint(10, 0.1 + 0.2), new ProRL.Algorithms.Reset.ValidationPoint(20, 1.0 / 3) };
        var state = new TrainerState(21, TrainerState.RlPhase, "{\"step\":0,\"drawn\":{}}", 10, 0.001, KlShare: Math.PI / 7, Validation: validation);
        state.WriteTo(folder.Path);

        var read = TrainerState.ReadFrom(folder.Path);
        Assert.Equal(state.KlShare, read.KlShare); // bit for bit: the resumed decision must see the same number
        Assert.Equal(validation, read.Validation);
        Assert.Equal(BitConverter.DoubleToInt64Bits(validation[0].Score), BitConverter.DoubleToInt64Bits(read.Validation![0].Score));
    }

    [Fact]
    public void A_state_written_before_adaptive_kl_control_reads_with_no_coefficient()
    {
        using var folder = new TempFolder();
        File.WriteAllText(folder.Combine(TrainerState.FileName),
            """{ "Step": 3, "Phase": "rl", "MixturePosition": "{}", "ReferenceVersion": 1 }""");
        var read = TrainerState.ReadFrom(folder.Path);
        Assert.Null(read.KlCoef);
        Assert.Null(read.KlShare); // nor reset-decision inputs: no KL-share trigger after that step, no validation read yet
        Assert.Null(read.Validation);
        Assert.Equal(0.05, TrainerSettings.KlControl(new AlgorithmOptions { KlCoef = 0.05, KlControl = "adaptive" }, read.KlCoef).Coefficient);
        Assert.Equal(0.02, TrainerSettings.KlControl(new AlgorithmOptions { KlCoef = 0.05 }, 0.02).Coefficient);
    }

    [Fact]
    public void A_corrupt_trainer_state_is_an_error_naming_the_file()
    {
        using var folder = new TempFolder();
        File.WriteAllText(folder.Combine(TrainerState.FileName), "{ not json");
        var e = Assert.Throws<InvalidDataException>(() => TrainerState.ReadFrom(folder.Path));
        Assert.Contains(TrainerState.FileName, e.Message);
    }

    [Fact]
    public void The_artifacts_cache_reuses_a_built_folder_and_leaves_no_temporary_folder()
    {
        var again = ArtifactsCache.GetOrBuild(tiny.RunDirectory, tiny.ModelPath, tiny.ModelHash, PolicyArtifactsFixture.Options);
        Assert.Equal(tiny.ArtifactsDirectory, again);
        Assert.Equal(tiny.ManifestWrittenAt, File.GetLastWriteTimeUtc(Path.Combine(again, ArtifactsManifest.FileName))); // not rebuilt
        var folders = Directory.GetDirectories(Path.Combine(tiny.RunDirectory, "artifacts"));
        Assert.Equal([tiny.ArtifactsDirectory], folders);
        Assert.StartsWith(tiny.ModelHash[..16], Path.GetFileName(again));
        Assert.EndsWith("-policy-k3-tokenmean-noent-head8", again); // the head's slicing is part of the key: another builds apart
    }
}
