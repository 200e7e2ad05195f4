using Microsoft.Extensions.Logging;

namespace ProRL.Worker.Tests.Startup;

/// <summary>A logger that keeps what it is given, at or above <see cref="MinimumLevel"/>.</summary>
public sealed class CapturingLogger<T>(LogLevel minimumLevel = LogLevel.Information) : ILogger<T>
{
    public sealed record Entry(LogLevel Level, string Message, Exception? Exception);

    private readonly List<Entry> _entries = [];

    public LogLevel MinimumLevel { get; } = minimumLevel;

    public IReadOnlyList<Entry> Entries
    {
        get { lock (_entries) return _entries.ToList(); }
    }

    public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => logLevel >= MinimumLevel;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        if (!IsEnabled(logLevel)) return;
        lock (_entries) _entries.Add(new Entry(logLevel, formatter(state, exception), exception));
    }
}
