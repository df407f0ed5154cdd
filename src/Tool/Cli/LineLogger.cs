using System;
using System.IO;
using Microsoft.Extensions.Logging;

namespace TailGuard.Tool.Cli;

/// <summary>
/// Log lines from the libraries the tool drives (which transport a factory chose, and why), one per entry, on a writer
/// the command owns: "warning: ..." on standard error for warnings and worse, plain text for information.
/// </summary>
internal sealed class LineLogger(TextWriter output, TextWriter error) : ILogger
{
    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Information;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        ArgumentNullException.ThrowIfNull(formatter);
        if (!IsEnabled(logLevel))
        {
            return;
        }

        var message = formatter(state, exception).ReplaceLineEndings(" ");
        if (logLevel >= LogLevel.Warning)
        {
            error.WriteLine($"{(logLevel >= LogLevel.Error ? "error" : "warning")}: {message}");
        }
        else
        {
            output.WriteLine(message);
        }
    }
}
