using System;
using System.IO;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using TailGuard.Tool.Cli;

namespace TailGuard.Tool.Tests.Infrastructure;

/// <summary>The outcome of one tailguard command: exit code and what it wrote.</summary>
internal sealed record ToolResult(int ExitCode, string Output, string Error)
{
    public string[] ErrorLines => Error.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    /// <summary>No line looks like a .NET stack frame ("   at Namespace.Type.Method(...)") or an unhandled exception.</summary>
    public bool HasNoStackTrace
        => !(Output + Error).Split('\n').Any(l => l.TrimStart().StartsWith("at ", StringComparison.Ordinal) && l.Contains('(', StringComparison.Ordinal))
           && !(Output + Error).Contains("Unhandled exception", StringComparison.Ordinal);

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
