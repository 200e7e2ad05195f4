using Microsoft.ML.OnnxRuntime;
using ProRL.Onnx.Graph;
using ProRL.Onnx.IO;
using ProRL.Onnx.Models;
using ProRL.Onnx.Tensors;
using ProRL.Training.Autodiff;
using ProRL.Training.Batching;
using ProRL.Training.Heads;
using ProRL.Training.Optimizer;
using Tensor = ProRL.Onnx.Tensors.Tensor;

namespace ProRL.Training.Artifacts;

/// <summary>
/// Worst disagreement between the lowered decoder's logits and the original export's prefill logits, over the real
/// (unpadded) positions of a right-padded batch. <paramref name="LogitsType"/> is the export's logits element type and
/// <paramref name="Oracle"/> says what ran as the reference: the export itself, or (where the CPU has no kernels for
/// its dtype, as for bf16) the export's own graph with its weights upcast to float32, contrib ops intact.
/// </summary>
public sealed record LoweringCheckResult(double MaxAbsDifference, double MaxAbsLogit, int Batch, int Length,
    TensorDataType LogitsType = TensorDataType.Float, string Oracle = "export")
{
    /// <summary>The default tolerance for this export: <see cref="ArtifactsCheck.LoweringTolerance"/>.</summary>
    public double Tolerance => ArtifactsCheck.LoweringTolerance(Oracle == "export" ? LogitsType : TensorDataType.Float, MaxAbsLogit);
}

/// <summary>
/// One direction d of the gradient spot-check: ⟨∇loss, d⟩ against the central difference of the loss.
/// <paramref name="Tensor"/> names the parameter d is restricted to, or is null for a direction over all parameters.
/// </summary>
public sealed record DirectionCheck(int Index, double Analytic, double FiniteDifference, double RelativeError, string? Tensor = null,
    double RoundoffBound = 0)
{
    /// <summary>
    /// |fd − analytic| ≤ tolerance·max(|fd|, |analytic|) + the central difference's own rounding error: a direction
    /// along which the loss barely changes (a small tensor's) cannot be checked more finely than that.
    /// </summary>
    public bool Within(double tolerance) =>
        Math.Abs(FiniteDifference - Analytic) <= tolerance * Math.Max(Math.Abs(FiniteDifference), Math.Abs(Analytic)) + RoundoffBound;
}

/// <summary>
/// Checks for a user about to train an export: the lowering against the original model, and the training graph's
/// gradients against central finite differences along random directions in float64 (where rounding cannot hide errors).
/// </summary>
public static class ArtifactsCheck
{
    /// <summary>The spacing of float64 numbers near 1 (C's DBL_EPSILON; .NET's double.Epsilon is the smallest subnormal).</summary>
    private const double Float64UnitRoundoff = 2.220446049250313e-16;

    /// <summary>
    /// Default lowering tolerance on |Δlogit|, per element type of the logits the reference computes, scaled by the
    /// logits' magnitude: float32 agrees to rounding (1e-4); an fp16 export computes in fp16 (unit roundoff 4.9e-4,
    /// accumulated over the layers), bf16 in bf16 (3.9e-3).
    /// </summary>
    public static double LoweringTolerance(TensorDataType logitsType, double maxAbsLogit) => logitsType switch
    {
        TensorDataType.Float16 => 5e-3,
        TensorDataType.BFloat16 => 4e-2,
        _ => 1e-4,
    } * Math.Max(1.0, maxAbsLogit);

    /// <summary>Real lengths of a right-padded check batch: row 0 full, each later row shorter (never under 2 tokens).</summary>
    public static int[] PaddedLengths(int batch, int length) =>
        [.. Enumerable.Range(0, batch).Select(r => Math.Max(2, length - r * Math.Max(1, length / 3)))];

    /// <summary>
    /// Runs the export (contrib ops, KV cache of length 0) and the lowered float32 decoder on the same random tokens,
    /// right-padded as the trainer pads them, and returns the largest absolute logit difference at real positions.
    /// </summary>
    public static LoweringCheckResult CheckLowering(ModelFolder folder, OnnxModel loweredDecoder, int batch = 2, int length = 16, int seed = 1)
    {
        if (TrainingGraphBuilder.IsPacked(loweredDecoder)) return CheckPackedLowering(folder, loweredDecoder, length, seed);
        var source = OnnxModelIO.Load(folder.ModelPath);
        var lengths = PaddedLengths(batch, length);
        var ids = RandomTokens(batch * length, folder.Config.Model.VocabSize, seed);
        var mask = new long[ids.Length];
        for (int r = 0; r < batch; r++)
            for (int t = 0; t < length; t++)
            {
                mask[r * length + t] = t < lengths[r] ? 1 : 0;
                if (t >= lengths[r]) ids[r * length + t] = folder.Config.Model.PadTokenId;
            }
        var (original, logitsType, oracle) = RunExport(folder, source, batch, length, ids, mask);
        var lowered = RunLogits(OnnxModelIO.ToBytes(loweredDecoder), new Dictionary<string, Tensor>
        {
            [TrainingGraphBuilder.InputIds] = Tensor.FromInt64s("ids", [batch, length], ids),
            [TrainingGraphBuilder.AttentionMask] = Tensor.FromInt64s("mask", [batch, length], mask),
        }, TrainingGraphBuilder.Logits);
        if (original.Length != lowered.Length)
            throw new InvalidDataException($"The lowered decoder gives {lowered.Length} logits, the export {original.Length}.");
        int vocab = original.Length / (batch * length);
        // Padded vocabulary rows are masked in the lowered decoder (Session.VocabularyMask), maybe not in the export.
        int realTokens = Session.VocabularyMask.RealTokenCount(folder) ?? vocab;
        double worst = 0, largest = 0;
        for (int i = 0; i < original.Length; i++)
        {
            if (mask[i / vocab] == 0 || i % vocab >= realTokens) continue; // padded positions and non-token rows are not trained
            worst = Math.Max(worst, Math.Abs(original[i] - lowered[i]));
            largest = Math.Max(largest, Math.Abs(original[i]));
        }
        return new LoweringCheckResult(worst, largest, batch, length, logitsType, oracle);
    }

    /// <summary>Lengths of the packed check's sequences: several per row of <paramref name="length"/> tokens, and one alone.</summary>
    public static int[] PackedLengths(int length) =>
        [length, Math.Max(2, length / 2), Math.Max(2, length - length / 2 - 1), Math.Max(2, length / 3), 2];

    /// <summary>
    /// A decoder lowered for packed sequences against the export run on each sequence alone: random sequences of
    /// <see cref="PackedLengths"/> are packed into rows (<see cref="PackedBatch.PackSequences"/>), and every real
    /// position's logits must match the export's logits for that sequence by itself, so neither attention across
    /// sequences nor a wrong rotary position can pass.
    /// </summary>
    public static LoweringCheckResult CheckPackedLowering(ModelFolder folder, OnnxModel packedDecoder, int length = 16, int seed = 1)
    {
        var source = OnnxModelIO.Load(folder.ModelPath);
        var lengths = PackedLengths(length);
        var tokens = RandomTokens(lengths.Sum(), folder.Config.Model.VocabSize, seed);
        var samples = new List<TrainingSample>();
        for (int i = 0, start = 0; i < lengths.Length; start += lengths[i++])
            samples.Add(new TrainingSample(i, [.. tokens[start..(start + lengths[i])].Select(t => (int)t)], [], [], 0, false));
        var packed = PackedBatch.PackSequences(samples, folder.Config.Model.PadTokenId);
        var batch = packed.Tokens;
        var lowered = RunLogits(OnnxModelIO.ToBytes(packedDecoder), new Dictionary<string, Tensor>
        {
            [TrainingGraphBuilder.InputIds] = Tensor.FromInt64s("ids", batch.Shape, batch.InputIds),
            [TrainingGraphBuilder.SegmentIds] = Tensor.FromInt64s("segments", batch.Shape, batch.SegmentIds!),
            [TrainingGraphBuilder.PositionIds] = Tensor.FromInt64s("positions", batch.Shape, batch.PositionIds!),
        }, TrainingGraphBuilder.Logits);
        int vocab = lowered.Length / (batch.BatchSize * batch.Length);
        int realTokens = Session.VocabularyMask.RealTokenCount(folder) ?? vocab;
        double worst = 0, largest = 0;
        var logitsType = TensorDataType.Float;
        var oracle = "export";
        for (int s = 0; s < samples.Count; s++)
        {
            var ids = tokens.Skip(lengths[..s].Sum()).Take(lengths[s]).ToArray();
            (var alone, logitsType, oracle) = RunExport(folder, source, 1, ids.Length, ids, [.. Enumerable.Repeat(1L, ids.Length)]);
            if (alone.Length != ids.Length * vocab)
                throw new InvalidDataException($"The packed decoder gives {vocab} logits per token, the export {alone.Length / ids.Length}.");
            var (row, offset) = packed.Placements[s];
            for (int t = 0; t < ids.Length; t++)
                for (int v = 0; v < realTokens; v++)
                {
                    float expected = alone[t * vocab + v], actual = lowered[((long)row * batch.Length + offset + t) * vocab + v];
                    worst = Math.Max(worst, Math.Abs(expected - actual));
                    largest = Math.Max(largest, Math.Abs(expected));
                }
        }
        if (lowered.Any(v => !float.IsFinite(v)))
            throw new InvalidDataException("The packed decoder gives non-finite logits (padding included), which would poison its gradients.");
        return new LoweringCheckResult(worst, largest, batch.BatchSize, batch.Length, logitsType, oracle);
    }

    /// <summary>The export's own logits (contrib kernels, empty KV cache) for right-padded tokens; bf16 exports run upcast.</summary>
    private static (float[] Logits, TensorDataType LogitsType, string Oracle) RunExport(ModelFolder folder, OnnxModel source, int batch, int length,
        long[] ids, long[] mask)
    {
        var inputs = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        var decoder = folder.Decoder;
        foreach (var input in source.Graph.Inputs)
        {
            inputs[input.Name] = input.Name switch
            {
                _ when input.Name == decoder.Inputs.InputIds => IntTensor(input, [batch, length], ids),
                _ when input.Name == decoder.Inputs.AttentionMask => IntTensor(input, [batch, length], mask),
                _ when input.Name == decoder.Inputs.PositionIds => IntTensor(input, [batch, length],
                    Enumerable.Range(0, batch * length).Select(i => (long)(i % length)).ToArray()),
                _ => EmptyPast(input, batch, decoder),
            };
        }
        var logitsType = source.Graph.FindOutput(decoder.Outputs.Logits)?.ElementType ?? TensorDataType.Float;
        try
        {
            return (RunLogits(OnnxModelIO.ToBytes(source), inputs, decoder.Outputs.Logits), logitsType, "export");
        }
        catch (OnnxRuntimeException) when (logitsType == TensorDataType.BFloat16 || source.Graph.Initializers.Any(t => t.DataType == TensorDataType.BFloat16))
        {
            // ORT's CPU provider has no bf16 kernels for most ops; its contrib kernels still run the graph in float32.
            var upcast = Lowering.PrecisionConversion.ConvertToFloat32(source);
            foreach (var (name, value) in inputs.ToList())
                if (value.DataType == TensorDataType.BFloat16) inputs[name] = new Tensor(name, TensorDataType.Float, value.Dims, []);
            return (RunLogits(OnnxModelIO.ToBytes(upcast), inputs, decoder.Outputs.Logits), logitsType, "export upcast to float32");
        }
    }

    /// <summary>
    /// Builds the float64 variant of the training graph and compares, along <paramref name="directions"/> random unit
    /// directions in parameter space, the graph's directional derivative with the central difference
    /// (L(θ + εd) − L(θ − εd)) / 2ε. Per-token inputs are random but realistic: old log-probabilities near the current
    /// ones so that some ratios are clipped and some are not.
    /// </summary>
    /// <remarks>
    /// The batch is right-padded (<see cref="PaddedLengths"/>), so the masks' paths are differentiated too. With
    /// <paramref name="perTensor"/>, one more direction per parameter tensor is restricted to that tensor, so that a
    /// wrong gradient of one small tensor cannot hide inside a direction dominated by the large ones.
    /// </remarks>
    public static IReadOnlyList<DirectionCheck> CheckGradients(OnnxModel decoder, IReadOnlyDictionary<string, Tensor> parameters,
        TrainingGraphOptions options, int vocabSize, int directions = 3, int batch = 2, int length = 8, double epsilon = 1e-5, int seed = 7,
        bool perTensor = false)
    {
        var specs = TrainingGraphBuilder.TrainableParameters(decoder, t => parameters.ContainsKey(t.Name));
        var training = Float64Conversion.ToFloat64(TrainingGraphBuilder.BuildTraining(decoder, specs, options with { AccumulateGradients = false }));
        var eval = Float64Conversion.ToFloat64(TrainingGraphBuilder.BuildEval(decoder, specs, options.HeadChunks));
        using var trainingSession = new InferenceSession(OnnxModelIO.ToBytes(training));
        using var evalSession = new InferenceSession(OnnxModelIO.ToBytes(eval));

        var rng = new Random(seed);
        var theta = specs.ToDictionary(s => s.Name, s => OrtTensors.ToDoubles(parameters[s.Name]), StringComparer.Ordinal);
        var (segments, positions) = TrainingGraphBuilder.IsPacked(decoder) ? PackedGradientLayout(batch, length) : PaddedGradientLayout(batch, length);
        var inputs = new Dictionary<string, Tensor>(StringComparer.Ordinal)
        {
            [TrainingGraphBuilder.InputIds] = Tensor.FromInt64s("ids", [batch, length], RandomTokens(batch * length, vocabSize, seed)),
            [EvalHead.Temperature] = Scalar(EvalHead.Temperature, 1.2),
        };
        if (TrainingGraphBuilder.IsPacked(decoder))
        {
            inputs[TrainingGraphBuilder.SegmentIds] = Tensor.FromInt64s("segments", [batch, length], segments);
            inputs[TrainingGraphBuilder.PositionIds] = Tensor.FromInt64s("positions", [batch, length], positions);
        }
        else inputs[TrainingGraphBuilder.AttentionMask] = Tensor.FromInt64s("mask", [batch, length], segments);
        SetParameters(inputs, specs, theta);
        var logp = OrtTensors.ToDoubles(OrtTensors.Run(evalSession, inputs, [EvalHead.Logprobs])[EvalHead.Logprobs]);
        // Target t (predicting token t+1) is real when token t+1 belongs to token t's sequence.
        var targetIsReal = Enumerable.Range(0, batch * (length - 1)).Select(i =>
        {
            int row = i / (length - 1), t = i % (length - 1);
            return segments[row * length + t] != 0 && segments[row * length + t + 1] == segments[row * length + t];
        }).ToArray();
        foreach (var (name, value) in PerTokenInputs(options.Head, logp, rng, targetIsReal))
            inputs[name] = OrtTensors.FromDoubles(name, TensorDataType.Double, [batch, length - 1], value);
        foreach (var (name, value) in ScalarInputs(options))
            inputs[name] = Scalar(name, value);

        var gradNames = specs.Select(s => AdamWGraph.GradName(s.Name)).ToList();
        var result = OrtTensors.Run(trainingSession, inputs, gradNames);
        var gradient = specs.ToDictionary(s => s.Name, s => OrtTensors.ToDoubles(result[AdamWGraph.GradName(s.Name)]), StringComparer.Ordinal);

        double Loss(IReadOnlyDictionary<string, double[]> at)
        {
            SetParameters(inputs, specs, at);
            return OrtTensors.ToDoubles(OrtTensors.Run(trainingSession, inputs, [PolicyLossHead.Loss])[PolicyLossHead.Loss])[0];
        }

        var names = specs.Select(s => s.Name).ToList();
        List<string?> restrictions = [.. Enumerable.Repeat<string?>(null, directions), .. perTensor ? names : []];
        var directional = GradientCheck.AlongDirections(names, theta, gradient, Loss, restrictions, epsilon, rng);
        var checks = new List<DirectionCheck>();
        double largestLoss = 0;
        foreach (var c in directional)
        {
            double relative = Math.Abs(c.Numeric - c.Analytic) / Math.Max(Math.Max(Math.Abs(c.Numeric), Math.Abs(c.Analytic)), 1e-8);
            // Each loss value carries a few ulps of rounding; allow 16 ulps of the largest so far in each of the two, over 2ε.
            largestLoss = Math.Max(largestLoss, Math.Max(Math.Abs(c.LossPlus), Math.Abs(c.LossMinus)));
            double roundoff = 16 * Float64UnitRoundoff * largestLoss / epsilon;
            checks.Add(new DirectionCheck(c.Direction, c.Analytic, c.Numeric, relative, c.Tensor, roundoff));
        }
        return checks;
    }

    /// <summary>Right padding (<see cref="PaddedLengths"/>): the attention mask as segments, positions 0..T−1.</summary>
    private static (long[] Segments, long[] Positions) PaddedGradientLayout(int batch, int length)
    {
        var lengths = PaddedLengths(batch, length);
        return ([.. Enumerable.Range(0, batch * length).Select(i => i % length < lengths[i / length] ? 1L : 0L)],
                [.. Enumerable.Range(0, batch * length).Select(i => (long)(i % length))]);
    }

    /// <summary>Two sequences per row (the first shorter in each later row), then padding: segment ids and restarting positions.</summary>
    private static (long[] Segments, long[] Positions) PackedGradientLayout(int batch, int length)
    {
        var segments = new long[batch * length];
        var positions = new long[batch * length];
        for (int r = 0; r < batch; r++)
        {
            int first = Math.Max(1, length / 2 - r), second = Math.Max(1, length - first - r);
            for (int t = 0; t < length; t++)
            {
                (segments[r * length + t], positions[r * length + t]) =
                    t < first ? (1L, t) : t < first + second ? (2L, t - first) : (0L, t - first - second);
            }
        }
        return (segments, positions);
    }

    private static IEnumerable<(string, double[])> PerTokenInputs(LossHeadKind head, double[] logp, Random rng, bool[] targetIsReal)
    {
        double U(double lo, double hi) => lo + (hi - lo) * rng.NextDouble();
        var mask = logp.Select((_, i) => i % 3 == 0 || !targetIsReal[i] ? 0.0 : 1.0).ToArray();
        if (head == LossHeadKind.CrossEntropy)
        {
            yield return (CrossEntropyHead.TargetMask, mask);
            yield break;
        }
        yield return (PolicyLossHead.ResponseMask, mask);
        yield return (PolicyLossHead.OldLogprobs, logp.Select(x => x + U(-0.5, 0.5)).ToArray());
        yield return (PolicyLossHead.RefLogprobs, logp.Select(x => x + U(-0.5, 0.5)).ToArray());
        yield return (PolicyLossHead.Advantages, logp.Select(_ => U(-1, 1)).ToArray());
    }

    private static IEnumerable<(string, double)> ScalarInputs(TrainingGraphOptions options)
    {
        if (options.Head == LossHeadKind.CrossEntropy)
        {
            yield return (CrossEntropyHead.LossScale, 1);
            yield break;
        }
        var values = new Dictionary<string, double>
        {
            [PolicyLossHead.ClipLow] = 0.2, [PolicyLossHead.ClipHigh] = 0.4, [PolicyLossHead.DualClipBound] = 3,
            [PolicyLossHead.KlCoef] = 0.1, [PolicyLossHead.EntropyCoef] = 0.01, [PolicyLossHead.LossScale] = 1,
        };
        foreach (var name in PolicyLossHead.ScalarInputs(options.PolicyLoss)) yield return (name, values[name]);
    }

    private static void SetParameters(Dictionary<string, Tensor> inputs, IReadOnlyList<ParameterSpec> specs, IReadOnlyDictionary<string, double[]> values)
    {
        foreach (var s in specs) inputs[s.Name] = OrtTensors.FromDoubles(s.Name, TensorDataType.Double, s.Shape, values[s.Name]);
    }

    private static Tensor Scalar(string name, double value) => OrtTensors.FromDoubles(name, TensorDataType.Double, [], [value]);

    private static long[] RandomTokens(int count, int vocabSize, int seed)
    {
        if (vocabSize < 1) throw new ArgumentOutOfRangeException(nameof(vocabSize), vocabSize, "The vocabulary size must be at least 1.");
        var rng = new Random(seed);
        return Enumerable.Range(0, count).Select(_ => (long)rng.Next(vocabSize)).ToArray();
    }

    private static Tensor IntTensor(ValueInfo input, long[] dims, long[] values) => input.ElementType switch
    {
        TensorDataType.Int64 => Tensor.FromInt64s(input.Name, dims, values),
        TensorDataType.Int32 => Tensor.FromInt32s(input.Name, dims, Array.ConvertAll(values, v => (int)v)),
        _ => throw new InvalidDataException($"Input '{input.Name}' is {input.ElementType}; expected int64 or int32."),
    };

    /// <summary>A past key/value of length 0: [B, kv_heads, 0, head_size] in the input's element type.</summary>
    private static Tensor EmptyPast(ValueInfo input, int batch, GenAiDecoderSection decoder)
    {
        if (input.Shape is not { Length: 4 } shape)
            throw new InvalidDataException($"Input '{input.Name}' is not a past key/value [B, kv_heads, past, head_size]; the check does not know how to feed it.");
        long[] dims = [batch, shape[1].Value ?? decoder.NumKeyValueHeads, 0, shape[3].Value ?? decoder.HeadSize];
        return new Tensor(input.Name, input.ElementType, dims, []);
    }

    private static float[] RunLogits(byte[] model, IReadOnlyDictionary<string, Tensor> inputs, string logits)
    {
        using var session = new InferenceSession(model);
        return OrtTensors.Run(session, inputs, [logits])[logits].ToFloats();
    }
}
