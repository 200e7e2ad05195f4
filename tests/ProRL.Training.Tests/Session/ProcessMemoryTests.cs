using System.Runtime.InteropServices;
using ProRL.Training.Session;

namespace ProRL.Training.Tests.Session;

public class ProcessMemoryTests
{
    /// <summary>
    /// 256 MB in 64 KB blocks from the C heap, touched, then freed while one later block pins the heap's top: glibc keeps
    /// the freed pages resident until <see cref="ProcessMemory.TrimNativeHeap"/> returns them.
    /// </summary>
    [Fact]
    public void Trimming_returns_freed_C_heap_pages_to_the_system()
    {
        if (!OperatingSystem.IsLinux()) return;
        const int block = 64 * 1024, count = 4096;
        var blocks = new IntPtr[count];
        for (int i = 0; i < count; i++)
        {
            blocks[i] = Marshal.AllocHGlobal(block);
            for (int offset = 0; offset < block; offset += 4096) Marshal.WriteByte(blocks[i], offset, 1);
        }
        var pin = Marshal.AllocHGlobal(block);
        try
        {
            foreach (var b in blocks) Marshal.FreeHGlobal(b);
            long before = ProcessMemory.Read().RssBytes;
            ProcessMemory.TrimNativeHeap();
            long after = ProcessMemory.Read().RssBytes;
            // Other threads allocate meanwhile, so ask for most of the 256 MB, not all of it.
            Assert.True(before - after > 128L * 1024 * 1024, $"RSS {before / 1048576} MB before trimming, {after / 1048576} MB after");
        }
        finally
        {
            Marshal.FreeHGlobal(pin);
        }
    }

    [Fact]
    public void The_peak_is_at_least_the_current_resident_size()
    {
        var reading = ProcessMemory.Read();
        Assert.True(reading.RssBytes > 0);
        Assert.True(reading.PeakBytes >= reading.RssBytes);
    }
}
