using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Reflection;

namespace TailGuard.Tool.Commands.Cluster;

/// <summary>
/// A <c>tailguard cluster node</c> this tool started as a child process (<c>cluster start</c>): its output goes to the
/// parent's, each line prefixed with the node's index; its exit, whoever caused it, is reported to the parent; disposing
/// kills it by its own process id.
/// </summary>
internal sealed class NodeProcess : IDisposable
{
    private readonly Process _process;
    private int _exitCode;

    private NodeProcess(Process process, int index)
    {
        _process = process;
        Index = index;
    }

    public int Index { get; }

    public int ProcessId => _process.Id;

    public bool HasExited => _process.HasExited;

    /// <summary>The exit code, once the exit was reported.</summary>
    public int ExitCode => _exitCode;

    /// <summary>
    /// Starts this tool again as <c>cluster node</c> with <paramref name="arguments"/>; <paramref name="exited"/> is
    /// called on a thread-pool thread when the process exits.
    /// </summary>
    public static NodeProcess Start(int index, IEnumerable<string> arguments, TextWriter output, Action<NodeProcess> exited)
    {
        var start = ThisTool();
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        var process = new Process { StartInfo = start, EnableRaisingEvents = true };
        var node = new NodeProcess(process, index);
        process.OutputDataReceived += (_, e) => Write(output, index, e.Data);
        process.ErrorDataReceived += (_, e) => Write(output, index, e.Data);
        process.Exited += (_, _) =>
        {
            try
            {
                process.WaitForExit(); // the last lines of its output first: they say why it exited
                node._exitCode = process.ExitCode;
            }
            catch (InvalidOperationException)
            {
                return; // disposed meanwhile: the parent's own stop
            }

            exited(node);
        };
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return node;
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
            // Already gone.
        }

        _process.Dispose();
    }

    // The same tool: its apphost, or `dotnet TailGuard.Tool.dll` when it runs that way.
    private static ProcessStartInfo ThisTool()
    {
        var path = Environment.ProcessPath ?? "dotnet";
        var start = new ProcessStartInfo(path) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        if (string.Equals(Path.GetFileNameWithoutExtension(path), "dotnet", StringComparison.OrdinalIgnoreCase))
        {
            start.ArgumentList.Add(Assembly.GetEntryAssembly()!.Location);
        }

        start.ArgumentList.Add("cluster");
        start.ArgumentList.Add("node");
        return start;
    }

    private static void Write(TextWriter output, int index, string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (output)
        {
            output.WriteLine($"[node {index}] {line}");
            output.Flush();
        }
    }
}
