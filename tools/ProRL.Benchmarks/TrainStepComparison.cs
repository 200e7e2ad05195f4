using System.Diagnostics;
using System.Globalization;
using ProRL.Rollout.ModelGeneration;

namespace ProRL.Benchmarks;

/// <summary>
/// Training step (forward + backward of the ProRL loss), ONNX Runtime against libtorch autograd, on the same weights
/// and batch. Each side lives in its own process (its peak RSS is its own); the parent asks them for one step at a time
/// and alternates which goes first, so that a noisy neighbour on a shared machine slows both sides alike.
/// </summary>
internal static class TrainStepComparison
{
    public static int Run(Args opts, string[] rawArgs)
    {
        string presetName = opts.Get("preset", "small");
        var spec = DecoderSpec.Preset(presetName);
        int batch = opts.GetInt("batch", 4), seq = opts.GetInt("seq", 256), repeats = opts.GetInt("repeats", 7);
        int threads = opts.GetInt("threads", Environment.ProcessorCount);
        string recompute = opts.Get("recompute", "none");
        if (recompute is not ("none" or "layers")) throw new ArgumentException($"--recompute must be 'none' or 'layers', got '{recompute}'.");
        var work = Path.Combine(Path.GetTempPath(), "prorl-bench-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(work);
        Console.WriteLine($"command: tools/ProRL.Benchmarks/run-train-bench.sh {string.Join(' ', rawArgs)}");
        Console.WriteLine($"preset {presetName}: {spec.ParameterCount():N0} parameters, batch {batch} x {seq} tokens, {threads} threads per side, {repeats} interleaved repeats");
        Console.WriteLine($"libtorch BLAS: {BlasProbe.Describe()}");
        try
        {
            string sideArgs = $"--preset {presetName} --batch {batch} --seq {seq} --threads {threads} --work {work} --recompute {recompute}";
            // ORT first: it writes the model and the reference log-probabilities the peer compares itself with.
            using var ort = SideProcess.Start("ort", sideArgs);
            using var peer = SideProcess.Start("torch", sideArgs);
            Console.WriteLine($"ort:   {ort.Description} (set-up peak RSS {Gib(ort.SetupPeak)})");
            Console.WriteLine($"torch: {peer.Description} (set-up peak RSS {Gib(peer.SetupPeak)})");
            var ortTimes = new double[repeats];
            var torchTimes = new double[repeats];
            for (int r = 0; r < repeats; r++)
            {
                if (r % 2 == 0) { ortTimes[r] = ort.Step(); torchTimes[r] = peer.Step(); }
                else { torchTimes[r] = peer.Step(); ortTimes[r] = ort.Step(); }
                Console.WriteLine($"  repeat {r + 1}/{repeats}: ort {ortTimes[r] * 1000:F1} ms, torch {torchTimes[r] * 1000:F1} ms");
            }
            long ortPeak = ort.Peak(), torchPeak = peer.Peak();
            ort.Quit(); peer.Quit();

            double roofline = Roofline.MatMulGflops(2048, 5, threads);
            double flops = Roofline.TrainingFlops(spec, batch, seq), tokens = (double)batch * seq;
            Console.WriteLine();
            Console.WriteLine("| implementation | step ms, median (min–max) | tokens/s (median) | GFLOP/s | peak RSS during steps |");
            Console.WriteLine("|---|---|---|---|---|");
            Console.WriteLine(Row("ONNX Runtime (training_model.onnx)", ortTimes, ortPeak));
            Console.WriteLine(Row("libtorch autograd (TorchSharp-cpu)", torchTimes, torchPeak));
            Console.WriteLine($"| ONNX Runtime MatMul 2048³ (roofline, same run) | | | {roofline:F0} | |");
            var ratios = ortTimes.Zip(torchTimes, (o, t) => t / o).ToArray();
            Console.WriteLine();
            Console.WriteLine($"tokens/s ratio ONNX Runtime / libtorch: {Stats.Median(torchTimes) / Stats.Median(ortTimes):F2}x of medians; "
                + $"paired per repeat {Stats.Median(ratios):F2}x (min {ratios.Min():F2}, max {ratios.Max():F2})");
            return 0;

            string Row(string name, double[] t, long peak) =>
                $"| {name} | {Stats.Median(t) * 1000:F1} ({t.Min() * 1000:F1}–{t.Max() * 1000:F1}) | {tokens / Stats.Median(t):F0} | {flops / Stats.Median(t) / 1e9:F0} | {Gib(peak)} |";
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
    }

    private static string Gib(long bytes) => $"{bytes / (1024.0 * 1024 * 1024):F2} GiB";
}

/// <summary>A side's child process and the parent's end of the line protocol.</summary>
internal sealed class SideProcess : IDisposable
{
    private readonly Process _process;
    public string Description { get; }
    public long SetupPeak { get; }

    private SideProcess(Process process, string ready)
    {
        _process = process;
        var parts = ready.Split(' ', 3);
        SetupPeak = long.Parse(parts[1], CultureInfo.InvariantCulture);
        Description = parts.Length > 2 ? parts[2] : "";
    }

    public static SideProcess Start(string side, string args)
    {
        var start = new ProcessStartInfo(Environment.ProcessPath!)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            UseShellExecute = false,
        };
        foreach (var a in SelfArguments()) start.ArgumentList.Add(a);
        foreach (var a in $"--mode side --side {side} {args}".Split(' ')) start.ArgumentList.Add(a);
        var process = Process.Start(start) ?? throw new InvalidOperationException($"Could not start the {side} side.");
        return new SideProcess(process, Expect(process, side, "ready"));
    }

    /// <summary>How to start this program again: `dotnet X.dll` or the apphost.</summary>
    public static IEnumerable<string> SelfArguments()
    {
        var dll = typeof(SideProcess).Assembly.Location;
        return Path.GetFileNameWithoutExtension(Environment.ProcessPath!) == "dotnet" ? [dll] : [];
    }

    public double Step() => double.Parse(Ask("step", "time").Split(' ')[1], CultureInfo.InvariantCulture);
    public long Peak() => long.Parse(Ask("peak", "peak").Split(' ')[1], CultureInfo.InvariantCulture);
    public void Quit()
    {
        _process.StandardInput.WriteLine("quit");
        _process.WaitForExit();
    }

    private string Ask(string command, string reply)
    {
        _process.StandardInput.WriteLine(command);
        _process.StandardInput.Flush();
        return Expect(_process, command, reply);
    }

    private static string Expect(Process p, string what, string reply)
    {
        for (string? line; (line = p.StandardOutput.ReadLine()) is not null;)
            if (line.StartsWith(TrainStepSide.Prefix + reply, StringComparison.Ordinal)) return line[TrainStepSide.Prefix.Length..];
        p.WaitForExit();
        throw new InvalidOperationException($"The benchmark side exited (code {p.ExitCode}) before answering '{what}'; see its error output above.");
    }

    public void Dispose()
    {
        if (!_process.HasExited) _process.Kill(entireProcessTree: true);
        _process.Dispose();
    }
}

/// <summary>
/// Which BLAS kernel libtorch runs: a child process multiplies two matrices with MKL_VERBOSE=1, and MKL reports its
/// version, the instruction set it dispatched to, and the call.
/// </summary>
internal static class BlasProbe
{
    public static string Describe()
    {
        var start = new ProcessStartInfo(Environment.ProcessPath!) { RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var a in SideProcess.SelfArguments()) start.ArgumentList.Add(a);
        start.ArgumentList.Add("--mode"); start.ArgumentList.Add("blas-probe");
        start.Environment["MKL_VERBOSE"] = "1";
        using var p = Process.Start(start)!;
        var lines = p.StandardOutput.ReadToEnd().Split('\n').Where(l => l.StartsWith("MKL_VERBOSE", StringComparison.Ordinal)).ToList();
        p.WaitForExit();
        return lines.Count == 0 ? "no MKL_VERBOSE output: libtorch's sgemm is not MKL's" : string.Join(" | ", lines.Take(2).Select(l => l.Trim()));
    }

    public static int Run()
    {
        using var a = TorchSharp.torch.ones(256, 256);
        using var c = a.matmul(a);
        return 0;
    }
}

internal static class Stats
{
    public static double Median(double[] xs)
    {
        var s = xs.OrderBy(x => x).ToArray();
        return s.Length % 2 == 1 ? s[s.Length / 2] : (s[s.Length / 2 - 1] + s[s.Length / 2]) / 2;
    }
}
