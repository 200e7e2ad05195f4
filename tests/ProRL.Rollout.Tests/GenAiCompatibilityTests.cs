using Microsoft.ML.OnnxRuntimeGenAI;
using ProRL.Rollout.ModelGeneration;

namespace ProRL.Rollout.Tests;

/// <summary>The generated folder under GenAI itself (no engine in between), checked against plain ONNX Runtime.</summary>
public class GenAiCompatibilityTests
{
    [Fact]
    public void GenAiLogits_EqualPlainOrtLogits_ForARightPaddedBatch()
    {
        using var dir = new TempDirectory();
        // Larger weights than the preset so that the logits are far from uniform and differences would show.
        var folder = ModelGenerator.Write(DecoderSpec.Tiny with { InitStd = 0.2f, Seed = 2 }, dir.Path);
        using var model = new Model(folder.Directory);
        using var tokenizer = new Tokenizer(model);
        using var sequences = tokenizer.EncodeBatch(["hello world", "abc"]);
        int[] lengths = [sequences[0].Length, sequences[1].Length];
        int padded = lengths.Max();
        int vocab = folder.Config.Model.VocabSize;
        using var parameters = new GeneratorParams(model);
        parameters.SetSearchOption("batch_size", 2);
        parameters.SetSearchOption("max_length", 32);
        parameters.SetSearchOption("do_sample", true);
        parameters.SetSearchOption("temperature", 1.5);
        parameters.SetSearchOption("random_seed", 4);
        using var generator = new Generator(model, parameters);
        generator.AppendTokenSequences(sequences);

        const int steps = 5;
        var genAiLogits = new float[steps][][];
        for (int step = 0; step < steps; step++)
        {
            generator.GenerateNextToken();
            using var logits = generator.GetOutput("logits");
            var shape = logits.Shape();
            Assert.Equal(step == 0 ? padded : 1, shape[1]);
            var data = logits.GetData<float>();
            genAiLogits[step] = new float[2][];
            for (int r = 0; r < 2; r++)
            {
                long position = step == 0 ? lengths[r] - 1 : 0;
                genAiLogits[step][r] = data.Slice((int)((r * shape[1] + position) * vocab), vocab).ToArray();
            }
        }

        using var reference = new LayoutReference(folder);
        for (int r = 0; r < 2; r++)
        {
            var sequence = generator.GetSequence((ulong)r).ToArray();
            // GenAI right-pads shorter prompts; the generated tokens follow the padded prompt.
            var unpadded = sequence.Take(lengths[r]).Concat(sequence.Skip(padded)).ToArray();
            Assert.All(sequence.Skip(lengths[r]).Take(padded - lengths[r]), t => Assert.Equal(folder.Config.Model.PadTokenId, t));
            var expected = reference.Forward(unpadded);
            for (int step = 0; step < steps; step++)
            {
                var a = genAiLogits[step][r];
                var b = expected[lengths[r] - 1 + step];
                Assert.True(a.Zip(b, (x, y) => Math.Abs(x - y)).Max() < 1e-4f, $"row {r} step {step}");
            }
        }
    }
}
