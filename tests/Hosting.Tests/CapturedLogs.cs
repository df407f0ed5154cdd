using System;
using System.Collections.Concurrent;
using System.Linq;
using Microsoft.Extensions.Logging;

namespace TailGuard.Hosting.Tests;

/// <summary>A logger provider that keeps every entry (event id, level, message, exception), for asserting what operators see.</summary>
public sealed class CapturedLogs : ILoggerProvider
{
    public ConcurrentQueue<(EventId Id, LogLevel Level, string Message, Exception? Exception)> Entries { get; } = new();

    public ILogger CreateLogger(string categoryName) => new Logger(this);

    public bool Has(int eventId) => Entries.Any(entry => entry.Id.Id == eventId);

    public string Describe() => string.Join("\n", Entries.Select(entry => $"{entry.Id.Id} {entry.Level}: {entry.Message}"));

    public void Dispose()
    {
    }

    private sealed class Logger(CapturedLogs owner) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
            => owner.Entries.Enqueue((eventId, logLevel, formatter(state, exception), exception));
    }
}
