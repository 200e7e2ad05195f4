using System.Diagnostics;
using System.Globalization;
using Microsoft.ML.OnnxRuntime;
using ProRL.Benchmarks;
using ProRL.Onnx.Graph;
using ProRL.Onnx.IO;
using ProRL.Rollout.ModelGeneration;
using ProRL.Training.Artifacts;
using ProRL.Training.Session;
using TorchSharp;
using TrainingSession = ProRL.Training.Session.TrainingSession;

// Training throughput: forward + backward of our training_model.onnx (ONNX Runtime) against the same decoder and
// loss in libtorch (TorchSharp-cpu autograd), same weights and batch, in one run; plus a large-MatMul roofline.
// Usage: tools/ProRL.Benchmarks/run-train-bench.sh [--preset small] [--batch 4] [--seq 256] [--repeats 7] [--threads 2]
//        tools/ProRL.Benchmarks/run-train-bench.sh --mode verify-math
var opts = Args.Parse(args);
if (opts.Get("mode", "train") == "verify-math")
{
    MathVerificationBenchmark.Run(opts.GetInt("repeats", 7));
    return 0;
}
var spec = DecoderSpec.Preset(opts.Get("preset", "small"));
int batch = opts.GetInt("batch", 4), seq = opts.GetInt("seq", 256), repeats = opts.GetInt("repeats", 7);
int threads = opts.GetInt("threads", Environment.ProcessorCount);
var work = Path.Combine(Path.GetTempPath(), "prorl-bench-" + Guid.NewGuid().ToString("N")[..8]);
Console.WriteLine($"preset {opts.Get("preset", "small")}: {spec.ParameterCount():N0} parameters, batch {batch} x {seq} tokens, {threads} threads, {repeats} repeats");

ModelGenerator.Write(spec, Path.Combine(work, "model"));
ArtifactsBuilder.Build(Path.Combine(work, "model")).Write(Path.Combine(work, "artifacts"));
using var session = TrainingSession.Open(Path.Combine(work, "artifacts"), new TrainingSessionOptions { IntraOpThreads = threads });
session.SetReferenceToPolicy();

var rng = new Random(1);
var ids = Enumerable.Range(0, batch * seq).Select(_ => (long)rng.Next(spec.VocabSize)).ToArray();
var tokens = TokenBatch.Unpadded(batch, seq, ids);
const float temperature = 1.2f;
var old = session.EvalStep(tokens, temperature).Logprobs;
var mask = Enumerable.Repeat(1f, tokens.TargetCount).ToArray();
var advantages = Enumerable.Range(0, tokens.TargetCount).Select(_ => (float)(rng.NextDouble() * 2 - 1)).ToArray();
var inputs = new PolicyLossInputs(mask, old, old, advantages);
var settings = new PolicyLossSettings { Temperature = temperature };

double[] ortTimes = Measure(repeats, () => session.TrainStep(tokens, inputs, settings), () => session.ResetGrad());

// The peer, on the same weights: check it computes the same logprobs before timing it.
torch.set_num_threads(threads);
var model = OnnxModelIO.Load(Path.Combine(work, "model", "model.onnx"));
using var peer = new TorchDecoder(spec, model);
using var tIds = torch.tensor(ids, [batch, seq]);
using var tMask = torch.tensor(mask, [batch, seq - 1]);
using var tOld = torch.tensor(old, [batch, seq - 1]);
using var tAdv = torch.tensor(advantages, [batch, seq - 1]);
float maxDiff;
using (torch.no_grad())
{
    var lp = peer.Logprobs(tIds, temperature).data<float>().ToArray();
    maxDiff = lp.Zip(old, (a, b) => Math.Abs(a - b)).Max();
}
Console.WriteLine($"libtorch vs ONNX Runtime logprobs: max abs diff {maxDiff:E2}");
double[] torchTimes = Measure(repeats, () =>
{
    using var scope = torch.NewDisposeScope();
    peer.PolicyLoss(tIds, tMask, tOld, tOld, tAdv, temperature, 0.2f, 0.4f, 1e-4f).backward();
}, peer.ZeroGrad);

double roofline = MatMulRoofline(2048, repeats, threads);
double flops = TrainingFlops(spec, batch, seq);
double ortMedian = Median(ortTimes), torchMedian = Median(torchTimes);
double tokensPerStep = batch * seq;
Console.WriteLine();
Console.WriteLine($"| implementation | median step (ms) | tokens/s | GFLOP/s | % of roofline |");
Console.WriteLine($"|---|---|---|---|---|");
Console.WriteLine(Row("ONNX Runtime (training_model.onnx)", ortMedian));
Console.WriteLine(Row("libtorch autograd (TorchSharp-cpu)", torchMedian));
Console.WriteLine($"| ORT MatMul 2048^3 (roofline) | | | {roofline:F0} | 100% |");
Console.WriteLine();
Console.WriteLine($"ratio ONNX Runtime / libtorch tokens/s: {torchMedian / ortMedian:F2}x");
Directory.Delete(work, recursive: true);
return 0;

string Row(string name, double seconds) =>
    $"| {name} | {seconds * 1000:F1} | {tokensPerStep / seconds:F0} | {flops / seconds / 1e9:F0} | {flops / seconds / 1e9 / roofline * 100:F0}% |";

static double[] Measure(int repeats, Action step, Action reset)
{
    step(); reset(); // warm-up: allocations, kernel selection
    var times = new double[repeats];
    for (int i = 0; i < repeats; i++)
    {
        var sw = Stopwatch.StartNew();
        step();
        times[i] = sw.Elapsed.TotalSeconds;
        reset();
    }
    return times;
}

static double Median(double[] xs)
{
    var s = xs.OrderBy(x => x).ToArray();
    return s.Length % 2 == 1 ? s[s.Length / 2] : (s[s.Length / 2 - 1] + s[s.Length / 2]) / 2;
}

// Forward MatMul FLOPs (projections, MLP, LM head, QKᵀ and PV over the full T×T square, as both sides compute it),
// times 3 for forward + backward (the backward pass does two MatMuls per forward MatMul).
static double TrainingFlops(DecoderSpec s, int b, int t)
{
    double tokens = (double)b * t;
    double kv = s.KvHeads * s.HeadSize;
    double perTokenWeights = s.Layers * (s.Hidden * (s.Hidden + 2 * kv) + s.Hidden * s.Hidden + 3.0 * s.Hidden * s.Intermediate)
        + (double)s.Hidden * s.VocabSize;
    double forward = 2 * tokens * perTokenWeights + s.Layers * b * 2.0 * 2.0 * t * t * s.Hidden;
    return 3 * forward;
}

static double MatMulRoofline(int n, int repeats, int threads)
{
    var g = new OnnxGraph();
    g.Inputs.Add(new ValueInfo("a", ProRL.Onnx.Tensors.TensorDataType.Float, [n, n]));
    g.Inputs.Add(new ValueInfo("b", ProRL.Onnx.Tensors.TensorDataType.Float, [n, n]));
    g.AddNode("MatMul", ["a", "b"], ["c"]);
    g.Outputs.Add(new ValueInfo("c", ProRL.Onnx.Tensors.TensorDataType.Float, [n, n]));
    using var so = new SessionOptions { IntraOpNumThreads = threads };
    using var s = new InferenceSession(OnnxModelIO.ToBytes(new OnnxModel(g)), so);
    var data = Enumerable.Range(0, n * n).Select(i => (float)((i % 17) * 0.01)).ToArray();
    using var a = OrtValue.CreateTensorValueFromMemory(data, [n, n]);
    using var bv = OrtValue.CreateTensorValueFromMemory(data, [n, n]);
    var outBuf = new float[n * n];
    using var c = OrtValue.CreateTensorValueFromMemory(outBuf, [n, n]);
    using var run = new RunOptions();
    var times = Measure(repeats, () => s.Run(run, ["a", "b"], [a, bv], ["c"], [c]), () => { });
    return 2.0 * n * n * n / Median(times) / 1e9;
}

internal sealed class Args(Dictionary<string, string> values)
{
    public static Args Parse(string[] args)
    {
        var d = new Dictionary<string, string>(StringComparer.Ordinal);
        for (int i = 0; i < args.Length; i++)
        {
            if (!args[i].StartsWith("--", StringComparison.Ordinal) || i + 1 >= args.Length)
                throw new ArgumentException($"Expected '--name value' pairs, got '{args[i]}'.");
            d[args[i][2..]] = args[++i];
        }
        return new Args(d);
    }

    public string Get(string name, string fallback) => values.GetValueOrDefault(name, fallback);
    public int GetInt(string name, int fallback) => values.TryGetValue(name, out var v) ? int.Parse(v, CultureInfo.InvariantCulture) : fallback;
}
