using Microsoft.ML.OnnxRuntimeGenAI;

namespace ProRL.Rollout.Engine;

/// <summary>Maps the configured execution provider name onto a GenAI <see cref="Config"/>.</summary>
public static class ExecutionProviders
{
    public const string Cpu = "cpu";
    public const string Cuda = "cuda";
    public static IReadOnlyList<string> Known { get; } = [Cpu, Cuda];

    /// <summary>True when this build carries the CUDA flavour of ONNX Runtime (-p:ProRLAccelerator=cuda).</summary>
    public static bool CudaCompiledIn =>
#if PRORL_CUDA
        true;
#else
        false;
#endif

    /// <summary>Throws a message naming the provider when it is unknown or not compiled into this build.</summary>
    public static string Validate(string? provider)
    {
        var name = (provider ?? "").Trim().ToLowerInvariant();
        if (name == Cpu) return name;
        if (name == Cuda)
        {
            if (!CudaCompiledIn)
                throw new NotSupportedException(
                    "Execution provider 'cuda' needs the CUDA build flavour: rebuild with -p:ProRLAccelerator=cuda (this build is CPU-only).");
            return name;
        }
        throw new ArgumentException($"Unknown execution provider '{provider}' (allowed: {string.Join(", ", Known)}).");
    }

    public static void Apply(Config config, string provider)
    {
        var name = Validate(provider);
        config.ClearProviders();
        if (name == Cuda) config.AppendProvider(Cuda);
    }
}
