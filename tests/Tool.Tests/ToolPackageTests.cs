using System;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Threading.Tasks;
using Xunit.Abstractions;

namespace TailGuard.Tool.Tests;

/// <summary>
/// The tool as users get it: packed, installed with `dotnet tool install` from a local feed into a temporary tool
/// path, and run as `tailguard`.
/// </summary>
public sealed class ToolPackageTests(ITestOutputHelper output) : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("tailguard-tool-").FullName;

    [Fact]
    public async Task The_packed_tool_installs_from_a_local_feed_and_runs_as_tailguard()
    {
        var feed = Path.Combine(_folder, "feed");
        var tools = Path.Combine(_folder, "tools");

        // Its own configuration, so this build never races the Release builds other package tests run at the same time.
        var pack = await DotNet(RepositoryRoot.Path, "pack", "src/Tool/TailGuard.Tool.csproj", "-c", "ToolPackageTest", "-o", feed, "-warnaserror");
        Assert.True(pack.Succeeded, pack.ToString());
        var package = Directory.GetFiles(feed, "TailGuard.Tool.*.nupkg").Single();
        var version = Path.GetFileNameWithoutExtension(package)["TailGuard.Tool.".Length..];

        var install = await DotNet(_folder, "tool", "install", "TailGuard.Tool", "--version", version, "--tool-path", tools, "--add-source", feed);
        Assert.True(install.Succeeded, install.ToString());

        var tailguard = Path.Combine(tools, OperatingSystem.IsWindows() ? "tailguard.exe" : "tailguard");
        var help = await Run(tailguard, _folder, "--help");
        Assert.True(help.ExitCode == 0, help.Output);
        foreach (var command in new[] { "serve", "ping", "load" })
        {
            Assert.Contains(command, help.Output, StringComparison.Ordinal);
        }

        // The installed tool works, not only its help: a ping with its own echo, and a usage error's exit code.
        var ping = await Run(tailguard, _folder, "ping", "--count", "100");
        Assert.True(ping.ExitCode == 0, ping.Output);
        Assert.Contains("calls 100", ping.Output, StringComparison.Ordinal);
        var bad = await Run(tailguard, _folder, "load", "--rates", "fast");
        Assert.Equal(2, bad.ExitCode);
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(_folder, recursive: true);
        }
        catch (IOException)
        {
            // A build server may hold a file for a moment; a leftover temp folder is harmless.
        }
    }

    // Generous: packing builds the tool and its libraries in a configuration of its own, which took over 10 minutes at
    // load 60-75. Timing is not what this test is about.
    private async Task<DotNetResult> DotNet(string workingDirectory, params string[] args)
    {
        var result = await DotNetCli.RunAsync(workingDirectory, TimeSpan.FromMinutes(25), args);
        output.WriteLine(result.ToString());
        return result;
    }

    /// <summary>Runs the installed tool itself, as a user's shell would.</summary>
    private async Task<(int ExitCode, string Output)> Run(string fileName, string workingDirectory, params string[] args)
    {
        var start = new ProcessStartInfo(fileName) { WorkingDirectory = workingDirectory, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in args)
        {
            start.ArgumentList.Add(argument);
        }

        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        try
        {
            await process.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(10));
        }
        catch (TimeoutException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{fileName} {string.Join(' ', args)} did not finish in 10 minutes; killed it.");
        }

        var text = $"{fileName} {string.Join(' ', args)} exited {process.ExitCode}\n{await stdout}\n{await stderr}";
        output.WriteLine(text);
        return (process.ExitCode, text);
    }
}
