using Microsoft.ML.OnnxRuntimeGenAI;
using ProRL.Onnx.IO;
using ProRL.Onnx.Tensors;
using ProRL.Rollout.Engine;
using ProRL.Training.Artifacts;
using ProRL.Training.Heads;
using ProRL.Training.Session;
using TrainingSession = ProRL.Training.Session.TrainingSession;
using Tensor = ProRL.Onnx.Tensors.Tensor;

namespace ProRL.Training.Tests.Artifacts;

public class TinyModelArtifactsTests(TinyModelFixture tiny) : IClassFixture<TinyModelFixture>
{
    private static readonly AdamWSettings Adam = new() { LearningRate = 5e-3f, WeightDecay = 0.01f, MaxGradNorm = 1f };

    [Fact]
    public void Build_writes_the_three_graphs_the_checkpoint_and_a_manifest_naming_every_weight()
    {
        foreach (var file in new[] { "eval_model.onnx", "training_model.onnx", "optimizer_model.onnx", ArtifactsManifest.FileName,
                     "checkpoint/parameters.safetensors", "checkpoint/optimizer.safetensors", "checkpoint/state.json" })
            Assert.True(File.Exists(Path.Combine(tiny.ArtifactsDirectory, file)), file);

        var manifest = ArtifactsManifest.Load(Path.Combine(tiny.ArtifactsDirectory, ArtifactsManifest.FileName));
        Assert.Equal(tiny.Model.ContentHash(), manifest.SourceModelHash);
        Assert.Equal(tiny.Artifacts.Manifest.PolicyLoss, manifest.PolicyLoss);
        Assert.Equal(tiny.Artifacts.Manifest.Head, manifest.Head);
        Assert.Equal(tiny.Artifacts.Manifest.TrainingModel.Inputs.Select(i => i.Name), manifest.TrainingModel.Inputs.Select(i => i.Name));
        var source = OnnxModelIO.Load(tiny.Model.ModelPath);
        var weights = source.Graph.Initializers
            .Where(t => t.DataType == TensorDataType.Float && t.Dims.Length >= 1 && !t.Name.Contains("_cache") && !t.Name.StartsWith('/'))
            .Select(t => t.Name).Order().ToList();
        Assert.Equal(weights, manifest.Parameters.Select(p => p.Name).Order().ToList());
        Assert.Contains(manifest.Parameters, p => p.Name == "model.embed_tokens.weight");

        var eval = OnnxModelIO.Load(Path.Combine(tiny.ArtifactsDirectory, "eval_model.onnx"));
        Assert.DoesNotContain(eval.Graph.Nodes, n => !n.IsStandard);
        Assert.All(manifest.Parameters, p => Assert.NotNull(eval.Graph.FindInput(p.Name)));
        Assert.Equal([EvalHead.Logprobs, EvalHead.Entropy], eval.Graph.Outputs.Select(o => o.Name));
        var checkpoint = Checkpoint.Load(Path.Combine(tiny.ArtifactsDirectory, "checkpoint"));
        Assert.Equal(source.Graph.Initializer("model.embed_tokens.weight")!.Data, checkpoint.Parameters["model.embed_tokens.weight"].Data);
        Assert.Equal(0, checkpoint.OptimizerStep);
    }

    [Fact]
    public void The_lowered_decoder_matches_the_exports_prefill_logits()
    {
        var result = ArtifactsCheck.CheckLowering(tiny.Model, ArtifactsBuilder.LoadTrainableDecoder(tiny.Model));
        Assert.True(result.MaxAbsDifference <= 1e-4, $"max |Δlogit| = {result.MaxAbsDifference}");
        Assert.True(result.MaxAbsLogit > 0);
    }

    [Theory]
    [InlineData(LossHeadKind.Policy)]
    [InlineData(LossHeadKind.CrossEntropy)]
    public void Whole_model_gradients_match_central_differences_in_float64(LossHeadKind head)
    {
        var decoder = ArtifactsBuilder.LoadTrainableDecoder(tiny.Model);
        var options = new TrainingGraphOptions { Head = head, PolicyLoss = new PolicyLossHeadOptions { DualClip = true } };
        var checks = ArtifactsCheck.CheckGradients(decoder, tiny.Artifacts.Checkpoint.Parameters, options,
            tiny.Model.Config.Model.VocabSize, directions: 2);
        Assert.All(checks, c =>
        {
            Assert.True(c.RelativeError <= 1e-6, $"direction {c.Index}: analytic {c.Analytic}, finite difference {c.FiniteDifference}");
            Assert.True(Math.Abs(c.Analytic) > 1e-8, "the directional derivative is zero: the check would prove nothing");
        });
    }

    [Fact]
    public void After_training_and_export_GenAI_reproduces_the_eval_graphs_logprobs_and_the_sampled_tokens_logprobs()
    {
        using var session = TrainingSession.Open(tiny.ArtifactsDirectory, new TrainingSessionOptions { IntraOpThreads = 2 });
        int[] prompt = [.. "<|im_start|>user\nHi there<|im_end|>\n"u8.ToArray().Select(b => (int)b).Take(20)];
        var batch = TokenBatch.Unpadded(1, prompt.Length, [.. prompt.Select(t => (long)t)]);
        var before = session.EvalStep(batch, 1f).Logprobs;
        var old = session.EvalStep(batch, 1.2f).Logprobs;
        var inputs = new PolicyLossInputs(Enumerable.Repeat(1f, batch.TargetCount).ToArray(), old, old,
            Enumerable.Range(0, batch.TargetCount).Select(i => i % 2 == 0 ? 1f : -1f).ToArray());
        for (int step = 0; step < 3; step++)
        {
            session.TrainStep(batch, inputs, new PolicyLossSettings());
            Assert.True(session.OptimizerStep(Adam).Applied);
        }
        var trained = session.EvalStep(batch, 1f).Logprobs;
        Assert.Contains(trained.Zip(before), p => Math.Abs(p.First - p.Second) > 1e-3);

        var exported = tiny.NewDirectory("export");
        session.ExportModel(tiny.Model.Directory, exported);

        // GenAI's logits for the prompt, log-softmaxed at each position's next token.
        using (var model = new Model(exported))
        using (var parameters = new GeneratorParams(model))
        {
            parameters.SetSearchOption("max_length", prompt.Length + 1);
            using var generator = new Generator(model, parameters);
            generator.AppendTokens(prompt);
            generator.GenerateNextToken();
            using var logits = generator.GetOutput("logits");
            int vocab = tiny.Model.Config.Model.VocabSize;
            var data = logits.GetData<float>();
            var scratch = new float[vocab];
            for (int t = 0; t < prompt.Length - 1; t++)
            {
                float genai = LogProbs.LogSoftmaxAt(data.Slice(t * vocab, vocab), prompt[t + 1], 1.0, scratch);
                Assert.True(Math.Abs(genai - trained[t]) <= 1e-4, $"position {t}: GenAI {genai}, eval graph {trained[t]}");
            }
        }

        // Behaviour log-probabilities of tokens GenAI samples at the rollout temperature.
        using var engine = new RolloutEngine(new RolloutEngineOptions { ModelPath = exported });
        var samples = engine.Generate([RolloutPrompt.Raw("Hello")], new SamplingSettings { Temperature = 1.2, MaxNewTokens = 24, Seed = 3, SamplesPerPrompt = 2 });
        foreach (var sample in samples)
        {
            var tokens = sample.PromptTokenIds.Concat(sample.CompletionTokenIds).Select(t => (long)t).ToArray();
            var logprobs = session.EvalStep(TokenBatch.Unpadded(1, tokens.Length, tokens), 1.2f).Logprobs;
            for (int i = 0; i < sample.CompletionTokenIds.Length; i++)
            {
                float trainer = logprobs[sample.PromptTokenIds.Length - 1 + i];
                Assert.True(Math.Abs(trainer - sample.LogProbs[i]) <= 1e-4, $"completion token {i}: rollout {sample.LogProbs[i]}, trainer {trainer}");
            }
        }
    }

    [Fact]
    public void Export_rewrites_only_the_weights_and_refuses_parameters_of_another_model()
    {
        using var session = TrainingSession.Open(tiny.ArtifactsDirectory);
        var parameters = session.GetParameters();
        var changed = parameters["model.embed_tokens.weight"];
        var values = changed.ToFloats();
        values[0] += 1f;
        session.SetParameters(new Dictionary<string, Tensor>(parameters) { [changed.Name] = Tensor.FromFloats(changed.Name, changed.Dims, values) });
        var exported = tiny.NewDirectory("export");
        session.ExportModel(tiny.Model.Directory, exported);

        var original = OnnxModelIO.Load(tiny.Model.ModelPath);
        var written = OnnxModelIO.Load(Path.Combine(exported, "model.onnx"));
        Assert.Equal(File.ReadAllBytes(tiny.Model.ModelPath), File.ReadAllBytes(Path.Combine(exported, "model.onnx"))); // weights are external: graph bytes unchanged
        Assert.Equal(values[0], written.Graph.Initializer(changed.Name)!.ToFloats()[0]);
        foreach (var t in original.Graph.Initializers.Where(t => t.Name != changed.Name))
            Assert.Equal(t.Data, written.Graph.Initializer(t.Name)!.Data);
        foreach (var file in Directory.GetFiles(tiny.Model.Directory))
            Assert.True(File.Exists(Path.Combine(exported, Path.GetFileName(file))), file);

        // Reading the export back (as the reference) gives the parameters that were written.
        session.LoadReferenceFromModel(exported);
        var batch = TokenBatch.Unpadded(1, 6, [1, 2, 3, 4, 5, 6]);
        Assert.Equal(session.EvalStep(batch, 1f).Logprobs, session.EvalStep(batch, 1f, ParameterSet.Reference).Logprobs);
        session.LoadParametersFromModel(tiny.Model.Directory);
        Assert.Equal(original.Graph.Initializer(changed.Name)!.Data, session.GetParameters()[changed.Name].Data);

        var foreign = new Dictionary<string, Tensor> { ["no.such.weight"] = Tensor.FromFloats("no.such.weight", [2], [1f, 2f]) };
        var e = Assert.Throws<InvalidDataException>(() => ModelExport.WriteWeights(tiny.Model.Directory, tiny.NewDirectory("bad"), foreign));
        Assert.Contains("no.such.weight", e.Message);
    }
}
