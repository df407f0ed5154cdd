using System;
using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace TailGuard.Transport.Xdp.Tests.Infrastructure;

/// <summary>Keeps every log entry (level and formatted message) for a test to read.</summary>
internal sealed class RecordingLogger : ILogger
{
    public ConcurrentQueue<(LogLevel Level, string Message)> Entries { get; } = new();

    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        => Entries.Enqueue((logLevel, formatter(state, exception)));
}
