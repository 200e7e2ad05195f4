namespace ProRL.Worker.Reporting;

/// <summary>Where the per-step progress lines go (the console; under systemd, the journal).</summary>
public sealed class ProgressConsole(TextWriter writer)
{
    private readonly Lock _gate = new();

    public void WriteLine(string line)
    {
        lock (_gate)
        {
            writer.WriteLine(line);
            writer.Flush();
        }
    }
}
