using ProRL.Onnx.Graph;
using ProRL.Onnx.IO;
using ProRL.Onnx.Tensors;
using ProRL.Rollout.Engine;
using ProRL.Rollout.ModelGeneration;

namespace ProRL.Rollout.Tests;

public class RolloutEngineTests(TinyModelFixture fixture) : IClassFixture<TinyModelFixture>
{
    private RolloutEngine Engine => fixture.Engine;

    private static readonly RolloutPrompt[] MixedPrompts =
    [
        RolloutPrompt.User("What is 2 + 2?"),
        RolloutPrompt.Raw("abc"),
        RolloutPrompt.Chat([new ChatMessage("system", "You are terse."), new ChatMessage("user", "Name a prime number larger than ten, please.")]),
        RolloutPrompt.Raw("x"),
    ];

    [Fact]
    public void ChatTemplate_IsChatML_AndEncodesByteTokensWithSpecials()
    {
        Assert.Equal("<|im_start|>user\nhi é<|im_end|>\n<|im_start|>assistant\n", Engine.RenderPrompt(RolloutPrompt.User("hi é")));
        Assert.Equal([257, 117, 115, 101, 114, 10, 104, 105, 32, 0xC3, 0xA9, 258, 10], Engine.Encode("<|im_start|>user\nhi é<|im_end|>\n"));
    }

    [Fact]
    public void SampledTokens_AreInRange_LogProbsAreNonPositive_AndReproduceFromOrtLogits()
    {
        var settings = new SamplingSettings { SamplesPerPrompt = 3, Temperature = 1.2, TopK = 40, TopP = 0.95, MaxNewTokens = 12, Seed = 5 };
        var samples = Engine.Generate(MixedPrompts, settings);
        Assert.Equal(MixedPrompts.Length * 3, samples.Count);
        foreach (var sample in samples)
        {
            Assert.All(sample.CompletionTokenIds, t => Assert.InRange(t, 0, fixture.Folder.Config.Model.VocabSize - 1));
            Assert.All(sample.LogProbs, lp => Assert.True(lp <= 0 && float.IsFinite(lp)));
            EngineAssert.LogProbsMatchReference(fixture.Reference, sample, settings.Temperature);
        }
        // Ordered by prompt, then sample; prompt ids are the unpadded prompt.
        Assert.Equal(Enumerable.Range(0, 12).Select(i => (i / 3, i % 3)), samples.Select(s => (s.PromptIndex, s.SampleIndex)));
        Assert.Equal(Engine.Encode("abc"), samples[3].PromptTokenIds);
    }

    [Fact]
    public void SameSeed_GivesSameSamples_OtherSeed_OtherSamples()
    {
        var settings = new SamplingSettings { SamplesPerPrompt = 4, Temperature = 1.0, MaxNewTokens = 10, Seed = 42 };
        var first = Engine.Generate(MixedPrompts, settings);
        var second = Engine.Generate(MixedPrompts, settings);
        var other = Engine.Generate(MixedPrompts, settings with { Seed = 43 });
        Assert.Equal(first.Select(s => s.CompletionTokenIds), second.Select(s => s.CompletionTokenIds));
        Assert.Equal(first.Select(s => s.LogProbs), second.Select(s => s.LogProbs));
        Assert.NotEqual(first.Select(s => s.CompletionTokenIds), other.Select(s => s.CompletionTokenIds));
        // Samples of one prompt differ from each other (they are not copies of one draw).
        Assert.True(first.Take(4).Select(s => string.Join(",", s.CompletionTokenIds)).Distinct().Count() > 1);
    }

    [Fact]
    public void MixedLengthBatch_EqualsOneByOne_Greedy()
    {
        var settings = new SamplingSettings { Temperature = 0, MaxNewTokens = 16 };
        var batched = Engine.Generate(MixedPrompts, settings);
        for (int i = 0; i < MixedPrompts.Length; i++)
        {
            var single = Assert.Single(Engine.Generate([MixedPrompts[i]], settings));
            Assert.Equal(single.CompletionTokenIds, batched[i].CompletionTokenIds);
            Assert.Equal(single.Text, batched[i].Text);
            for (int t = 0; t < single.LogProbs.Length; t++) Assert.Equal(single.LogProbs[t], batched[i].LogProbs[t], 1e-4f);
        }
        // Greedy picks the argmax, so its log-prob (temperature 1) is the largest of the row.
        EngineAssert.LogProbsMatchReference(fixture.Reference, batched[2], temperature: 1.0);
    }

    [Fact]
    public void LargeRequests_AreSplitIntoBatches_WithoutChangingGreedyResults()
    {
        var settings = new SamplingSettings { Temperature = 0, MaxNewTokens = 5, SamplesPerPrompt = 9 };
        var big = Engine.Generate(MixedPrompts, settings); // 36 rows: more than GenAI's 32 per generator
        Assert.Equal(36, big.Count);
        using var small = new RolloutEngine(new RolloutEngineOptions { ModelPath = fixture.Folder.Directory, MaxBatchSize = 5 });
        var split = small.Generate(MixedPrompts, settings);
        Assert.Equal(big.Select(s => s.CompletionTokenIds), split.Select(s => s.CompletionTokenIds));
        Assert.All(big.Where(s => s.PromptIndex == 1), s => Assert.Equal(big[9].CompletionTokenIds, s.CompletionTokenIds));
    }

    [Fact]
    public void StopString_EndsTheSampleBeforeTheStop()
    {
        var greedy = new SamplingSettings { Temperature = 0, MaxNewTokens = 48 };
        var full = Assert.Single(Engine.Generate([RolloutPrompt.Raw("The answer is")], greedy));
        // Choose an ASCII character that the greedy text contains after its first character.
        int at = Enumerable.Range(1, full.Text.Length - 1).First(i => full.Text[i] is >= ' ' and <= '~');
        string stop = full.Text[at].ToString();
        int first = full.Text.IndexOf(stop, StringComparison.Ordinal);

        var stopped = Assert.Single(Engine.Generate([RolloutPrompt.Raw("The answer is")], greedy with { StopStrings = [stop] }));
        Assert.Equal(FinishReason.Stop, stopped.FinishReason);
        Assert.Equal(full.Text[..first], stopped.Text);
        Assert.Equal(full.CompletionTokenIds.Take(stopped.CompletionTokenIds.Length), stopped.CompletionTokenIds);
        Assert.Equal((int)stop[0], stopped.CompletionTokenIds[^1]);
    }

    [Fact]
    public void MaxNewTokens_EndsWithLength()
    {
        var samples = Engine.Generate(MixedPrompts, new SamplingSettings { Temperature = 1, MaxNewTokens = 3, Seed = 1 });
        Assert.All(samples.Where(s => s.FinishReason != FinishReason.Eos), s =>
        {
            Assert.Equal(FinishReason.Length, s.FinishReason);
            Assert.Equal(3, s.CompletionTokenIds.Length);
        });
    }

    [Fact]
    public void EndOfSequenceToken_EndsTheSample_AndIsKeptWithItsLogProb()
    {
        // A copy of the model whose logits get +50 on <|im_end|>: every sample must end at once on it.
        var dir = fixture.Scratch.Sub("eos-model");
        ModelGenerator.Write(DecoderSpec.Tiny with { Seed = 7 }, dir);
        var model = OnnxModelIO.Load(Path.Combine(dir, "model.onnx"));
        var bias = new float[ByteLevelTokenizer.VocabSize];
        bias[ByteLevelTokenizer.ImEndId] = 50;
        model.Graph.AddInitializer(Tensor.FromFloats("eos_bias", [bias.Length], bias));
        model.Graph.RenameValue("logits", "raw_logits");
        model.Graph.Outputs[0] = model.Graph.Outputs[0] with { Name = "logits" };
        model.Graph.AddNode("Add", ["raw_logits", "eos_bias"], ["logits"], "/eos_bias/Add");
        OnnxModelIO.Save(model, Path.Combine(dir, "model.onnx"), ExternalDataOptions.SideFile("model.onnx.data"));

        using var engine = new RolloutEngine(new RolloutEngineOptions { ModelPath = dir });
        var samples = engine.Generate(MixedPrompts, new SamplingSettings { SamplesPerPrompt = 2, Temperature = 1.2, MaxNewTokens = 8, Seed = 3 });
        Assert.All(samples, s =>
        {
            Assert.Equal(FinishReason.Eos, s.FinishReason);
            Assert.Equal([ByteLevelTokenizer.ImEndId], s.CompletionTokenIds);
            Assert.Equal("", s.Text);
            Assert.InRange(s.LogProbs[0], -1e-3f, 0f);
        });
    }

    [Fact]
    public void Cancellation_StopsGeneration()
    {
        using var cts = new CancellationTokenSource();
        cts.Cancel();
        Assert.ThrowsAny<OperationCanceledException>(() =>
            Engine.Generate(MixedPrompts, new SamplingSettings { MaxNewTokens = 8 }, cts.Token));
    }

    [Fact]
    public void Reload_SwitchesToTheNewModelVersion()
    {
        var settings = new SamplingSettings { Temperature = 0, MaxNewTokens = 12 };
        var dirA = fixture.Scratch.Sub("reload-a");
        var dirB = fixture.Scratch.Sub("reload-b");
        ModelGenerator.Write(DecoderSpec.Tiny with { Seed = 100, InitStd = 0.1f }, dirA);
        ModelGenerator.Write(DecoderSpec.Tiny with { Seed = 200, InitStd = 0.1f }, dirB);
        using var engine = new RolloutEngine(new RolloutEngineOptions { ModelPath = dirA });
        var before = engine.Generate(MixedPrompts, settings);
        engine.Reload(dirB);
        Assert.Equal(Path.GetFullPath(dirB), engine.Folder.Directory);
        var after = engine.Generate(MixedPrompts, settings);
        using var fresh = new RolloutEngine(new RolloutEngineOptions { ModelPath = dirB });
        Assert.Equal(fresh.Generate(MixedPrompts, settings).Select(s => s.CompletionTokenIds), after.Select(s => s.CompletionTokenIds));
        Assert.NotEqual(before.Select(s => s.CompletionTokenIds), after.Select(s => s.CompletionTokenIds));
    }

    [Fact]
    public void Text_KeepsInvalidUtf8AsReplacementCharacters()
    {
        // 'h', 'i', a lone UTF-8 lead byte, '!', then a valid 'é' and a special token (no text).
        int[] tokens = [104, 105, 0xC3, 33, 0xC3, 0xA9, ByteLevelTokenizer.ImEndId];
        Assert.Equal("hi\uFFFD!é", Engine.Decode(tokens));
        var samples = Engine.Generate(MixedPrompts, new SamplingSettings { Temperature = 1, MaxNewTokens = 20, Seed = 9 });
        foreach (var s in samples)
        {
            var bytes = s.CompletionTokenIds.Where(t => t < 256).Select(t => (byte)t).ToArray();
            Assert.Equal(System.Text.Encoding.UTF8.GetString(bytes), s.Text);
        }
    }

    [Fact]
    public void InvalidSettings_AreRejectedNamingTheSetting()
    {
        Assert.Contains("Temperature", Assert.Throws<ArgumentException>(() =>
            Engine.Generate(MixedPrompts, new SamplingSettings { Temperature = -1 })).Message);
        Assert.Contains("TopP", Assert.Throws<ArgumentException>(() =>
            Engine.Generate(MixedPrompts, new SamplingSettings { TopP = 0 })).Message);
        Assert.Contains("MaxNewTokens", Assert.Throws<ArgumentException>(() =>
            Engine.Generate(MixedPrompts, new SamplingSettings { MaxNewTokens = 0 })).Message);
    }

    [Fact]
    public void PromptLongerThanTheContext_IsRejected()
    {
        var e = Assert.Throws<PromptTooLongException>(() =>
            Engine.Generate([RolloutPrompt.Raw(new string('a', 600))], new SamplingSettings()));
        Assert.Contains("context_length", e.Message);
    }

    [Fact]
    public void BareGenAiLoop_GeneratesTheSameTokensAsTheEngine()
    {
        var settings = new SamplingSettings { SamplesPerPrompt = 9, Temperature = 1.2, MaxNewTokens = 20, Seed = 21 };
        long engineTokens = Engine.Generate(MixedPrompts, settings).Sum(s => (long)s.CompletionTokenIds.Length);
        Assert.Equal(engineTokens, Engine.GenerateBare(MixedPrompts, settings));

        var result = RolloutBenchmark.Run(Engine, MixedPrompts, settings with { SamplesPerPrompt = 2 }, repeats: 1, warmup: 0);
        Assert.Equal(result.Engine.TokensPerRun, result.Bare.TokensPerRun);
        Assert.True(result.Engine.TokensPerSecond > 0 && result.Bare.TokensPerSecond > 0 && result.Bare.TokensPerCpuSecond > 0);
    }
}
