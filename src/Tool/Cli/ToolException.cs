using System;

namespace TailGuard.Tool.Cli;

/// <summary>
/// An error the user can act on: the tool prints "tailguard COMMAND: MESSAGE" on one line and exits with
/// <see cref="ExitCode"/>; never a stack trace.
/// </summary>
internal sealed class ToolException : Exception
{
    public ToolException(string message, int exitCode = ExitCodes.Failed)
        : base(message) => ExitCode = exitCode;

    public ToolException(string message, Exception innerException, int exitCode = ExitCodes.Failed)
        : base(message, innerException) => ExitCode = exitCode;

    public ToolException()
        : this("failed")
    {
    }

    public ToolException(string message, Exception innerException)
        : this(message, innerException, ExitCodes.Failed)
    {
    }

    public ToolException(string message)
        : this(message, ExitCodes.Failed)
    {
    }

    public int ExitCode { get; }

    /// <summary>A command line that parsed but does not make sense (options that contradict each other).</summary>
    public static ToolException Usage(string message) => new(message, ExitCodes.Usage);
}
