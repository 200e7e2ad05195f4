using System.Diagnostics;
using System.Globalization;
using ProRL.Onnx.IO;
using ProRL.Rollout.ModelGeneration;
using ProRL.Training.Artifacts;
using ProRL.Training.Session;
using TorchSharp;
using TrainingSession = ProRL.Training.Session.TrainingSession;

namespace ProRL.Benchmarks;

/// <summary>
/// One side of the training-step comparison, run in its own process so that its peak RSS is its own. The parent
/// drives both sides over stdin/stdout, one step at a time, alternating which side goes first (see
/// <see cref="TrainStepComparison"/>). Protocol lines start with "@@ "; anything else a library prints is ignored.
/// </summary>
internal static class TrainStepSide
{
    public const string Prefix = "@@ ";
    public const float Temperature = 1.2f;

    public static int Run(Args opts)
    {
        string side = opts.Get("side", ""), work = opts.Get("work", "");
        var spec = DecoderSpec.Preset(opts.Get("preset", "small"));
        int batch = opts.GetInt("batch", 4), seq = opts.GetInt("seq", 256);
        int threads = opts.GetInt("threads", Environment.ProcessorCount);
        ITrainStep step = side switch
        {
            "ort" => new OrtTrainStep(spec, work, batch, seq, threads, opts.Get("recompute", "none")),
            "torch" => new TorchTrainStep(spec, work, batch, seq, threads),
            _ => throw new ArgumentException($"--side must be 'ort' or 'torch', got '{side}'."),
        };
        using (step)
        {
            step.Step(); step.Reset(); // warm-up: allocations, kernel selection
            long setupPeak = PeakRss.Bytes();
            PeakRss.Reset(); // from here on the high-water mark covers the timed steps only
            Reply($"ready {setupPeak} {step.Describe()}");
            for (string? line; (line = Console.ReadLine()) is not null;)
            {
                switch (line.Trim())
                {
                    case "step":
                        var sw = Stopwatch.StartNew();
                        step.Step();
                        double seconds = sw.Elapsed.TotalSeconds;
                        step.Reset();
                        Reply($"time {seconds.ToString("R", CultureInfo.InvariantCulture)}");
                        break;
                    case "peak":
                        Reply($"peak {PeakRss.Bytes()}");
                        break;
                    case "quit":
                        return 0;
                    default:
                        throw new InvalidOperationException($"Unknown command '{line}'.");
                }
            }
        }
        return 0;
    }

    private static void Reply(string message)
    {
        Console.Out.WriteLine(Prefix + message);
        Console.Out.Flush();
    }

    /// <summary>The batch both sides train on: token ids and advantages from one seed.</summary>
    public static (long[] Ids, float[] Advantages) Inputs(DecoderSpec spec, int batch, int seq, int tokenRange)
    {
        var rng = new Random(1);
        var ids = Enumerable.Range(0, batch * seq).Select(_ => (long)rng.Next(tokenRange)).ToArray();
        var advantages = Enumerable.Range(0, batch * (seq - 1)).Select(_ => (float)(rng.NextDouble() * 2 - 1)).ToArray();
        return (ids, advantages);
    }

    /// <summary>
    /// Ids below the tokenizer's size: rows of a padded vocabulary get −1e4 added to their logits in our graphs (they are
    /// never sampled), which the peer does not model.
    /// </summary>
    public static int TokenRange(DecoderSpec spec, string work) =>
        ProRL.Training.Session.VocabularyMask.RealTokenCount(ProRL.Onnx.Models.ModelFolder.Open(Path.Combine(work, "model"))) is int n && n < spec.VocabSize ? n : spec.VocabSize;

    public static string OldLogprobsPath(string work) => Path.Combine(work, "old_logprobs.f32");
}

internal interface ITrainStep : IDisposable
{
    void Step();
    void Reset();
    string Describe();
}

/// <summary>Our side: training_model.onnx (lowering + autodiff + ProRL loss head) on ONNX Runtime with IOBinding.</summary>
internal sealed class OrtTrainStep : ITrainStep
{
    private readonly TrainingSession _session;
    private readonly TokenBatch _tokens;
    private readonly PolicyLossInputs _inputs;
    private readonly PolicyLossSettings _settings = new() { Temperature = TrainStepSide.Temperature };

    public OrtTrainStep(DecoderSpec spec, string work, int batch, int seq, int threads, string recompute)
    {
        string model = Path.Combine(work, "model"), artifacts = Path.Combine(work, "artifacts");
        ModelGenerator.Write(spec, model);
        var mode = recompute.ToLowerInvariant() switch
        {
            "none" => ProRL.Training.Autodiff.RecomputeMode.None,
            "layers" => ProRL.Training.Autodiff.RecomputeMode.Layers,
            _ => throw new ArgumentException($"--recompute must be 'none' or 'layers', got '{recompute}'."),
        };
        ArtifactsBuilder.Build(model, new ArtifactsOptions { Training = new TrainingGraphOptions { Recompute = mode } }).Write(artifacts);
        TrainingSession.ReleaseManagedMemory();
        _session = TrainingSession.Open(artifacts, new TrainingSessionOptions { IntraOpThreads = threads });
        _session.SetReferenceToPolicy();
        var (ids, advantages) = TrainStepSide.Inputs(spec, batch, seq, TrainStepSide.TokenRange(spec, work));
        _tokens = TokenBatch.Unpadded(batch, seq, ids);
        var old = _session.EvalStep(_tokens, TrainStepSide.Temperature).Logprobs;
        // The peer checks it computes the same function against these.
        File.WriteAllBytes(TrainStepSide.OldLogprobsPath(work), System.Runtime.InteropServices.MemoryMarshal.AsBytes(old.AsSpan()).ToArray());
        var mask = Enumerable.Repeat(1f, _tokens.TargetCount).ToArray();
        _inputs = new PolicyLossInputs(mask, old, old, advantages);
    }

    public void Step() => _session.TrainStep(_tokens, _inputs, _settings);
    public void Reset() => _session.ResetGrad();
    public string Describe() => $"ONNX Runtime {typeof(Microsoft.ML.OnnxRuntime.InferenceSession).Assembly.GetName().Version}";
    public void Dispose() => _session.Dispose();
}

/// <summary>The peer: the same decoder and loss in libtorch autograd (TorchSharp-cpu), weights read from model.onnx.</summary>
internal sealed class TorchTrainStep : ITrainStep
{
    private readonly TorchDecoder _decoder;
    private readonly torch.Tensor _ids, _mask, _old, _advantages;
    private readonly float _maxLogprobDiff;

    public TorchTrainStep(DecoderSpec spec, string work, int batch, int seq, int threads)
    {
        torch.set_num_threads(threads);
        int tokens = TrainStepSide.TokenRange(spec, work);
        _decoder = LoadDecoder(spec, work, tokens);
        TrainingSession.ReleaseManagedMemory(); // the OnnxModel copy of the weights is garbage now
        var (ids, advantages) = TrainStepSide.Inputs(spec, batch, seq, tokens);
        var old = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(File.ReadAllBytes(TrainStepSide.OldLogprobsPath(work))).ToArray();
        _ids = torch.tensor(ids, [batch, seq]);
        _mask = torch.ones(batch, seq - 1);
        _old = torch.tensor(old, [batch, seq - 1]);
        _advantages = torch.tensor(advantages, [batch, seq - 1]);
        using (torch.no_grad())
        using (var lp = _decoder.Logprobs(_ids, TrainStepSide.Temperature))
            _maxLogprobDiff = lp.data<float>().ToArray().Zip(old, (a, b) => Math.Abs(a - b)).Max();
        // Timing two different functions would compare nothing: refuse (the peer models the generator's Qwen2 layout only).
        if (!(_maxLogprobDiff <= 1e-3f))
            throw new InvalidOperationException($"libtorch's log-probabilities differ from ONNX Runtime's by up to {_maxLogprobDiff:G3}: the peer does not compute this model's function, so no timing is reported.");
    }

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    private static TorchDecoder LoadDecoder(DecoderSpec spec, string work, int tokens) =>
        new(spec, OnnxModelIO.Load(Path.Combine(work, "model", "model.onnx")), tokens); // its own frame: the model is garbage on return

    public void Step()
    {
        using var scope = torch.NewDisposeScope();
        _decoder.PolicyLoss(_ids, _mask, _old, _old, _advantages, TrainStepSide.Temperature, 0.2f, 0.4f, 1e-4f).backward();
    }

    public void Reset() => _decoder.ZeroGrad();
    public string Describe() => $"libtorch (TorchSharp {typeof(torch).Assembly.GetName().Version}); max |logprob diff| vs ONNX Runtime {_maxLogprobDiff.ToString("E2", CultureInfo.InvariantCulture)}";

    public void Dispose()
    {
        _decoder.Dispose();
        _ids.Dispose(); _mask.Dispose(); _old.Dispose(); _advantages.Dispose();
    }
}

/// <summary>The process's resident-set high-water mark (VmHWM), resettable through /proc/self/clear_refs.</summary>
internal static class PeakRss
{
    public static long Bytes()
    {
        foreach (var line in File.ReadLines("/proc/self/status"))
            if (line.StartsWith("VmHWM:", StringComparison.Ordinal))
                return long.Parse(line.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) * 1024;
        throw new InvalidOperationException("/proc/self/status has no VmHWM line.");
    }

    /// <summary>Resets VmHWM to the current RSS (Linux 4.0+: writing 5 to clear_refs).</summary>
    public static void Reset() => File.WriteAllText("/proc/self/clear_refs", "5");
}
