using ProRL.Benchmarks;

// Benchmarks that need a peer outside the product (libtorch) or a large fixture.
// Usage: tools/ProRL.Benchmarks/run-train-bench.sh [--preset small|qwen2.5-0.5b] [--batch 4] [--seq 256] [--repeats 7] [--threads 2]
//        tools/ProRL.Benchmarks/run-train-bench.sh --mode verify-math [--repeats 15]
var opts = Args.Parse(args);
return opts.Get("mode", "train") switch
{
    "train" => TrainStepComparison.Run(opts, args),
    "side" => TrainStepSide.Run(opts),
    "blas-probe" => BlasProbe.Run(),
    "verify-math" => RunMath(opts.GetInt("repeats", 7)),
    var mode => throw new ArgumentException($"Unknown --mode '{mode}' (allowed: train, verify-math)."),
};

static int RunMath(int repeats)
{
    MathVerificationBenchmark.Run(repeats);
    return 0;
}
