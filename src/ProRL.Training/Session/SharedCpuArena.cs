using Microsoft.ML.OnnxRuntime;

namespace ProRL.Training.Session;

/// <summary>
/// The process-wide CPU arena of <see cref="MemoryArena.Shared"/>: registered once with ONNX Runtime's environment, and
/// used by every session created with <c>session.use_env_allocators=1</c>. A session's own arena would keep its peak
/// to itself, so the eval and training graphs would hold two peaks; one shared arena holds the larger of them.
/// </summary>
internal static class SharedCpuArena
{
    /// <summary>kSameAsRequested: the arena grows by what a request needs, not by powers of two.</summary>
    private const int ExtendBySameAsRequested = 1;
    private static readonly object Gate = new();
    private static bool _registered;

    public static void EnsureRegistered()
    {
        lock (Gate)
        {
            if (_registered) return;
            using var cpu = new OrtMemoryInfo(OrtMemoryInfo.allocatorCPU, OrtAllocatorType.ArenaAllocator, 0, OrtMemType.Default);
            // maxMemory 0 = no limit; -1 = ONNX Runtime's defaults for the first chunk and the dead bytes a chunk may keep.
            using var config = new OrtArenaCfg(0, ExtendBySameAsRequested, -1, -1);
            OrtEnv.Instance().CreateAndRegisterAllocator(cpu, config);
            _registered = true;
        }
    }
}
