namespace ProRL.Onnx.IO;

/// <summary>A model, external-data or safetensors file that cannot be read; the message names the file (and tensor).</summary>
public sealed class OnnxFormatException : Exception
{
    public OnnxFormatException(string message, Exception? inner = null) : base(message, inner) { }
}
