using System;
using System.IO;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using TailGuard.Tool.Cli;
using Xunit;

namespace TailGuard.Tool.Tests.Infrastructure;

/// <summary>The outcome of one tailguard command: exit code and what it wrote.</summary>
internal sealed record ToolResult(int ExitCode, string Output, string Error)
{
    public string[] ErrorLines => Error.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    /// <summary>No line looks like a .NET stack frame ("   at Namespace.Type.Method(...)") or an unhandled exception.</summary>
    public bool HasNoStackTrace
        => !(Output + Error).Split('\n').Any(l => l.TrimStart().StartsWith("at ", StringComparison.Ordinal) && l.Contains('(', StringComparison.Ordinal))
           && !(Output + Error).Contains("Unhandled exception", StringComparison.Ordinal);

    /// <summary>
    /// Asserts the command failed as a user-facing command must: with <paramref name="exitCode"/>, exactly one line on
    /// standard error that holds <paramref name="message"/>, and no stack trace.
    /// </summary>
    public void AssertFailedInOneLine(int exitCode, string message)
    {
        Assert.True(ExitCode == exitCode, ToString());
        Assert.Contains(message, Assert.Single(ErrorLines), StringComparison.Ordinal);
        Assert.True(HasNoStackTrace, ToString());
    }

    public override string ToString() => $"exit {ExitCode}\n--- stdout\n{Output}\n--- stderr\n{Error}";
}

/// <summary>Runs the tool's command line in this process, capturing its output.</summary>
internal static class ToolRun
{
    public static async Task<ToolResult> InProcessAsync(params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        var code = await ToolCommandLine.RunAsync(args, output, error, timeout.Token);
        return new ToolResult(code, output.ToString(), error.ToString());
    }
}
