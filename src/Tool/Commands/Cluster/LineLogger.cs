using System;
using System.IO;
using Microsoft.Extensions.Logging;

namespace TailGuard.Tool.Commands.Cluster;

/// <summary>A node's log as plain lines on the tool's output (what <c>cluster start</c> and the tests read).</summary>
internal sealed class LineLogger(TextWriter output, LogLevel minimum) : ILogger
{
    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => logLevel >= minimum;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        if (!IsEnabled(logLevel))
        {
            return;
        }

        var line = formatter(state, exception) + (exception is null ? string.Empty : $" ({exception.GetType().Name}: {exception.Message})");
        lock (output)
        {
            output.WriteLine(line);
            output.Flush();
        }
    }
}
