using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Text;
using System.Threading.Tasks;

namespace TailGuard.Testing;

/// <summary>The outcome of one <c>dotnet</c> command: its exit code, and what it wrote (both streams interleaved, and each alone).</summary>
internal sealed record DotNetResult(string Arguments, int ExitCode, string Output, string StandardOutput, string StandardError)
{
    public bool Succeeded => ExitCode == 0;

    /// <summary>The non-empty lines of standard error.</summary>
    public string[] ErrorLines => StandardError.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    /// <summary>
    /// Asserts a program failed the way a user-facing program must: with <paramref name="exitCode"/> and exactly one line
    /// on standard error that holds <paramref name="message"/>, and no stack trace.
    /// </summary>
    public void AssertFailedInOneLine(int exitCode, string message)
    {
        Assert.True(ExitCode == exitCode, $"expected exit code {exitCode}: {this}");
        string line = Assert.Single(ErrorLines);
        Assert.Contains(message, line, StringComparison.Ordinal);
        Assert.DoesNotContain("Unhandled exception", Output, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", Output, StringComparison.Ordinal);
    }

    public override string ToString() => $"dotnet {Arguments} exited {ExitCode}\n{Output}";
}

/// <summary>
/// Runs the <c>dotnet</c> CLI as a user would, in a clean environment: the MSBuild variables that <c>dotnet test</c>
/// sets for its own build must not leak into the child builds.
/// </summary>
internal static class DotNetCli
{
    private static readonly TimeSpan s_timeout = TimeSpan.FromMinutes(10);

    public static Task<DotNetResult> RunAsync(string workingDirectory, params string[] arguments)
        => RunAsync(workingDirectory, s_timeout, arguments);

    /// <summary>Runs <c>dotnet</c> with <paramref name="arguments"/>; a run longer than <paramref name="timeout"/> is killed and fails the test.</summary>
    public static async Task<DotNetResult> RunAsync(string workingDirectory, TimeSpan timeout, params string[] arguments)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        var inherited = new List<string>();
        foreach (string key in start.Environment.Keys)
        {
            if (key.StartsWith("MSBUILD", StringComparison.OrdinalIgnoreCase) ||
                key.StartsWith("VSTEST", StringComparison.OrdinalIgnoreCase) ||
                key.Equals("DOTNET_HOST_PATH", StringComparison.OrdinalIgnoreCase))
            {
                inherited.Add(key);
            }
        }

        foreach (var key in inherited)
        {
            start.Environment.Remove(key);
        }

        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        start.Environment["DOTNET_NOLOGO"] = "1";
        start.Environment["DOTNET_SKIP_FIRST_TIME_EXPERIENCE"] = "1";
        // Each child build runs on its own: a shared build server would outlive the test and hold its files.
        start.Environment["MSBUILDDISABLENODEREUSE"] = "1";
        start.Environment["DOTNET_CLI_USE_MSBUILD_SERVER"] = "0";
        start.Environment["UseSharedCompilation"] = "false";

        using var process = new Process { StartInfo = start };
        var output = new StringBuilder();
        var standardOutput = new StringBuilder();
        var standardError = new StringBuilder();
        process.OutputDataReceived += (_, e) => Append(output, standardOutput, e.Data);
        process.ErrorDataReceived += (_, e) => Append(output, standardError, e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        var exited = process.WaitForExitAsync();
        if (await Task.WhenAny(exited, Task.Delay(timeout)).ConfigureAwait(false) != exited)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync().ConfigureAwait(false);
            throw new TimeoutException($"dotnet {string.Join(' ', arguments)} did not finish within {timeout}.\n{output}");
        }

        await exited.ConfigureAwait(false);
        lock (output)
        {
            return new DotNetResult(string.Join(' ', arguments), process.ExitCode, output.ToString(), standardOutput.ToString(), standardError.ToString());
        }
    }

    private static void Append(StringBuilder output, StringBuilder stream, string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (output)
        {
            output.AppendLine(line);
            stream.AppendLine(line);
        }
    }
}
