namespace ProRL.TestSupport;

/// <summary>
/// The real GenAI builder exports kept beside the checkout in ../shared/fixtures (CI lays ../shared next to its clone).
/// PRORL_FIXTURES overrides the folder. A missing folder fails the test with a message saying what to provide:
/// these exports are the only real-model oracle the suite has, so they are never skipped silently.
/// </summary>
internal static class SharedFixtures
{
    public const string LlamaFp32Opset14 = "llama-fp32-opset14";
    public const string LlamaFp16Mha = "llama-fp16-mha";

    public static string Path(string name)
    {
        var root = Environment.GetEnvironmentVariable("PRORL_FIXTURES") is { Length: > 0 } overridden
            ? overridden
            : System.IO.Path.Combine(RepositoryRoot(), "..", "shared", "fixtures");
        var folder = System.IO.Path.GetFullPath(System.IO.Path.Combine(root, name));
        if (!File.Exists(System.IO.Path.Combine(folder, "genai_config.json")))
            throw new DirectoryNotFoundException(
                $"Real-export fixture '{folder}' is missing. The tests read the GenAI builder exports from ../shared/fixtures beside " +
                "the checkout; set PRORL_FIXTURES to the folder that holds them.");
        return folder;
    }

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(System.IO.Path.Combine(dir.FullName, "ProRL.Onnx.sln"))) return dir.FullName;
        throw new InvalidOperationException("ProRL.Onnx.sln not found above the test assembly.");
    }
}
