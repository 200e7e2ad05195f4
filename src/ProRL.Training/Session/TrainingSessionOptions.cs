namespace ProRL.Training.Session;

/// <summary>Where the graphs run.</summary>
public enum ExecutionProvider
{
    Cpu,
    /// <summary>Only in the CUDA flavour (built with <c>-p:ProRLAccelerator=cuda</c>).</summary>
    Cuda,
}

/// <summary>How a <see cref="TrainingSession"/> runs its graphs.</summary>
public sealed record TrainingSessionOptions
{
    public ExecutionProvider Provider { get; init; } = ExecutionProvider.Cpu;
    public int DeviceId { get; init; }
    /// <summary>Intra-op threads of ONNX Runtime; 0 lets it choose (one per core).</summary>
    public int IntraOpThreads { get; init; }
    /// <summary>
    /// ONNX Runtime's CPU memory arena. Off by default: each graph's arena keeps its peak of intermediates after the
    /// run, so the eval and the training graph would each hold their own peak while the other runs (see README,
    /// Performance, for the measurement).
    /// </summary>
    public bool CpuMemoryArena { get; init; }
    /// <summary>
    /// When set, ONNX Runtime profiles every node run of both graphs into JSON trace files (Chrome tracing format)
    /// whose paths start with this prefix, written when the session is disposed.
    /// </summary>
    public string? ProfilePrefix { get; init; }

    public void Validate()
    {
        if (!Enum.IsDefined(Provider))
            throw new ArgumentException($"Provider {Provider} is unknown; allowed: {string.Join(", ", Enum.GetNames<ExecutionProvider>())}.");
        if (IntraOpThreads < 0) throw new ArgumentException($"IntraOpThreads must be ≥ 0 (0 = automatic), not {IntraOpThreads}.");
        if (DeviceId < 0) throw new ArgumentException($"DeviceId must be ≥ 0, not {DeviceId}.");
#if !PRORL_CUDA
        if (Provider == ExecutionProvider.Cuda)
            throw new NotSupportedException("The CUDA execution provider needs the CUDA flavour (build with -p:ProRLAccelerator=cuda); this build is CPU-only.");
#endif
    }
}
