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
        Assert.True(pack.ExitCode == 0, pack.Output);
        var package = Directory.GetFiles(feed, "TailGuard.Tool.*.nupkg").Single();
        var version = Path.GetFileNameWithoutExtension(package)["TailGuard.Tool.".Length..];

        var install = await DotNet(_folder, "tool", "install", "TailGuard.Tool", "--version", version, "--tool-path", tools, "--add-source", feed);
        Assert.True(install.ExitCode == 0, install.Output);

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

    private Task<(int ExitCode, string Output)> DotNet(string workingDirectory, params string[] args) => Run("dotnet", workingDirectory, args);

    private async Task<(int ExitCode, string Output)> Run(string fileName, string workingDirectory, params string[] args)
    {
        var start = new ProcessStartInfo(fileName) { WorkingDirectory = workingDirectory, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in args)
        {
            start.ArgumentList.Add(argument);
        }

        // The child builds on its own: not as part of this test run's build, and with no build server outliving it.
        foreach (var key in start.Environment.Keys.Where(k => k.StartsWith("MSBUILD", StringComparison.OrdinalIgnoreCase) || k.StartsWith("VSTEST", StringComparison.OrdinalIgnoreCase) || k == "DOTNET_HOST_PATH").ToList())
        {
            start.Environment.Remove(key);
        }

        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        start.Environment["DOTNET_NOLOGO"] = "1";
        start.Environment["MSBUILDDISABLENODEREUSE"] = "1";
        start.Environment["DOTNET_CLI_USE_MSBUILD_SERVER"] = "0";
        start.Environment["UseSharedCompilation"] = "false";
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(10));
        var text = $"{fileName} {string.Join(' ', args)} exited {process.ExitCode}\n{await stdout}\n{await stderr}";
        output.WriteLine(text);
        return (process.ExitCode, text);
    }
}
