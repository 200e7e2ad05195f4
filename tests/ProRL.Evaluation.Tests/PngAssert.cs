namespace ProRL.Evaluation.Tests;

internal static class PngAssert
{
    private static readonly byte[] Signature = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A];

    /// <summary>A PNG (by its 8-byte signature) of the given pixel size, big enough to hold more than a blank canvas.</summary>
    public static void IsPlot(byte[] png, int width, int height)
    {
        Assert.True(png.Length > 10_000, $"PNG of {png.Length} bytes is too small to hold a plot");
        Assert.Equal(Signature, png[..8]);
        // IHDR follows the signature: length (4), "IHDR" (4), width and height big-endian.
        Assert.Equal("IHDR", System.Text.Encoding.ASCII.GetString(png, 12, 4));
        Assert.Equal(width, System.Buffers.Binary.BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(16, 4)));
        Assert.Equal(height, System.Buffers.Binary.BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(20, 4)));
    }
}
