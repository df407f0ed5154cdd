using System;
using System.Diagnostics;
using System.IO;
using System.Text;
using System.Text.RegularExpressions;
using System.Threading;
using System.Threading.Tasks;

namespace TailGuard.Tool.Tests.Infrastructure;

/// <summary>
/// The built tool in its own process (a server, an agent), optionally inside a network namespace; killed by its id on
/// dispose. <see cref="WaitForAddressAsync"/> reads the address it printed when it bound port 0.
/// </summary>
internal sealed partial class ToolProcess : IDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();

    private ToolProcess(Process process) => _process = process;

    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    /// <summary>The tool's entry assembly, built beside this test assembly.</summary>
    public static string ToolPath => Path.Combine(AppContext.BaseDirectory, "TailGuard.Tool.dll");

    public static ToolProcess Start(string? networkNamespace, params string[] args)
    {
        var start = new ProcessStartInfo(networkNamespace is null ? "dotnet" : "ip")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        if (networkNamespace is not null)
        {
            foreach (var prefix in new[] { "netns", "exec", networkNamespace, "dotnet" })
            {
                start.ArgumentList.Add(prefix);
            }
        }

        start.ArgumentList.Add(ToolPath);
        foreach (var argument in args)
        {
            start.ArgumentList.Add(argument);
        }

        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        var process = new Process { StartInfo = start };
        var tool = new ToolProcess(process);
        process.OutputDataReceived += (_, e) => tool.Append(e.Data);
        process.ErrorDataReceived += (_, e) => tool.Append(e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return tool;
    }

    /// <summary>The first HOST:PORT the process prints after <paramref name="marker"/> ("echo on", "listening on").</summary>
    public Task<string> WaitForAddressAsync(string marker, TimeSpan? timeout = null)
        => WaitForAsync(marker, output => Regex.Match(output, Regex.Escape(marker) + @" (\S+:\d+)") is { Success: true } match ? match.Groups[1].Value : null, timeout);

    /// <summary>
    /// Waits until the process has printed <paramref name="text"/>. Output arrives line by line while the test reads it:
    /// a line printed after the one a test waited for (the tool's own line after a library's log line) is not there yet
    /// when that wait returns.
    /// </summary>
    public Task WaitForOutputAsync(string text, TimeSpan? timeout = null)
        => WaitForAsync(text, output => output.Contains(text, StringComparison.Ordinal) ? text : null, timeout);

    /// <summary>Polls the output until <paramref name="find"/> finds something in it; fails when the process exits first or time runs out.</summary>
    private async Task<string> WaitForAsync(string marker, Func<string, string?> find, TimeSpan? timeout)
    {
        var limit = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(60));
        while (true)
        {
            if (find(Output) is { } found)
            {
                return found;
            }

            if (_process.HasExited)
            {
                _process.WaitForExit(); // the rest of its output
                return find(Output) ?? throw new InvalidOperationException($"the tool exited ({_process.ExitCode}) before printing '{marker}':\n{Output}");
            }

            if (DateTime.UtcNow > limit)
            {
                throw new TimeoutException($"the tool did not print '{marker}' in time:\n{Output}");
            }

            await Task.Delay(50);
        }
    }

    /// <summary>Stops the tool as Ctrl+C would (SIGTERM, so it prints its final counts) and waits for it to exit.</summary>
    public async Task<int> StopAsync(TimeSpan timeout)
    {
        await SignalAsync("TERM");
        return await WaitForExitAsync(timeout);
    }

    /// <summary>Sends the tool a signal by name ("TERM", "USR1") while it runs.</summary>
    public async Task SignalAsync(string signal)
    {
        if (!_process.HasExited)
        {
            // "ip netns exec" execs the tool in place: this id is the tool's.
            using var kill = Process.Start("kill", ["-" + signal, _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
            await kill.WaitForExitAsync();
        }
    }

    /// <summary>Whether the tool has exited.</summary>
    public bool HasExited => _process.HasExited;

    /// <summary>Kills the tool at once (SIGKILL): a machine that dies, with no chance to say goodbye.</summary>
    public void Kill()
    {
        _process.Kill();
        _process.WaitForExit(10_000);
    }

    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        using var cancel = new CancellationTokenSource(timeout);
        await _process.WaitForExitAsync(cancel.Token);
        return _process.ExitCode;
    }

    public void Dispose()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                _process.WaitForExit(10_000);
            }
        }
        catch (InvalidOperationException)
        {
            // Never started or already gone.
        }

        _process.Dispose();
    }

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_output)
        {
            _output.AppendLine(line);
        }
    }
}
