namespace ProRL.Training.Session;

/// <summary>Where the graphs run.</summary>
public enum ExecutionProvider
{
    Cpu,
    /// <summary>Only in the CUDA flavour (built with <c>-p:ProRLAccelerator=cuda</c>).</summary>
    Cuda,
}

/// <summary>How ONNX Runtime allocates the intermediates of the eval and training graphs on the CPU.</summary>
public enum MemoryArena
{
    /// <summary>
    /// One ONNX Runtime arena for the process, shared by every session's eval and training graphs, grown by what is
    /// requested. Memory freed within a run is reused, and the pages stay mapped from one run to the next, so a step
    /// does not fault its intermediates in again (a quarter of the step time on `small` without it). The arena keeps
    /// the largest step's intermediates resident between steps: the peak is unchanged, the memory at rest is higher.
    /// </summary>
    Shared,
    /// <summary>
    /// No arena: each intermediate is malloc'd and freed. Memory at rest is only the state, at the cost of mapping and
    /// zeroing the intermediates' pages again in every run.
    /// </summary>
    Off,
}

/// <summary>How a <see cref="TrainingSession"/> runs its graphs.</summary>
public sealed record TrainingSessionOptions
{
    public ExecutionProvider Provider { get; init; } = ExecutionProvider.Cpu;
    public int DeviceId { get; init; }
    /// <summary>Intra-op threads of ONNX Runtime; 0 lets it choose (one per core).</summary>
    public int IntraOpThreads { get; init; }
    /// <summary>Where a step's intermediates get their memory; see <see cref="MemoryArena"/>.</summary>
    public MemoryArena Arena { get; init; } = MemoryArena.Shared;
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
        if (!Enum.IsDefined(Arena))
            throw new ArgumentException($"Arena {Arena} is unknown; allowed: {string.Join(", ", Enum.GetNames<MemoryArena>())}.");
#if !PRORL_CUDA
        if (Provider == ExecutionProvider.Cuda)
            throw new NotSupportedException("The CUDA execution provider needs the CUDA flavour (build with -p:ProRLAccelerator=cuda); this build is CPU-only.");
#endif
    }
}
