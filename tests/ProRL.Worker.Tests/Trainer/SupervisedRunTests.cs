using ProRL.Rollout.Engine;
using ProRL.Rollout.ModelGeneration;
using ProRL.Worker.Trainer;

namespace ProRL.Worker.Tests.Trainer;

public class SupervisedRunTests
{
    [Fact]
    public void A_short_supervised_run_lowers_the_loss_and_exports_a_model_the_rollout_engine_loads()
    {
        using var folder = new TempFolder();
        var model = ModelGenerator.Write(DecoderSpec.Tiny with { Seed = 9 }, folder.Combine("model")).Directory;
        var options = new SupervisedRunOptions
        {
            ModelPath = model, OutputPath = folder.Combine("sft"), CacheDirectory = folder.Combine("cache"),
            Tasks = ["logic/letter_counting"], Steps = 8, BatchSize = 8, LearningRate = 1e-2, Threads = 2,
        };
        var reported = new List<int>();
        var result = SupervisedRun.Run(options, (step, r) => reported.Add(step));

        Assert.Equal(Enumerable.Range(1, 8), reported);
        Assert.True(result.Losses[^1] < 0.8 * result.Losses[0], $"loss {result.Losses[0]} → {result.Losses[^1]}");
        Assert.Equal(Path.Combine(options.CacheDirectory, "artifacts"), Path.GetDirectoryName(result.ArtifactsDirectory));

        using var engine = new RolloutEngine(new RolloutEngineOptions { ModelPath = result.OutputPath, IntraOpThreads = 2 });
        var samples = engine.Generate([RolloutPrompt.User("How many letters 'a' are in 'banana'?")], new SamplingSettings { MaxNewTokens = 8, Seed = 1 });
        Assert.Single(samples);
        Assert.NotEmpty(samples[0].CompletionTokenIds);
    }

    [Theory]
    [InlineData(0, 8, 1e-2, "--steps")]
    [InlineData(2, 0, 1e-2, "--batch")]
    [InlineData(2, 8, 0.0, "--lr")]
    public void Invalid_options_are_errors_naming_the_option(int steps, int batch, double lr, string option)
    {
        var options = new SupervisedRunOptions { ModelPath = "m", OutputPath = "o", CacheDirectory = "c", Steps = steps, BatchSize = batch, LearningRate = lr };
        var e = Assert.Throws<ArgumentException>(options.Validate);
        Assert.Contains(option, e.Message);
    }
}
