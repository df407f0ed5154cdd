using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Threading.Tasks;
using TailGuard.R2P2;

namespace TailGuard.Samples.ReplicatedKeyValue;

/// <summary>
/// Replicas as processes of this program (<c>node</c>) on 127.0.0.1, each with a data directory under one temporary
/// directory. Dispose kills every process still running and removes the directory.
/// </summary>
internal sealed class LocalCluster : IDisposable
{
    private readonly Process?[] _processes;
    private readonly StringBuilder[] _output;
    private readonly HashSet<int> _killed = [];
    private readonly string _data = Path.Combine(Path.GetTempPath(), "tg-replicated-kv-" + Environment.ProcessId.ToString(CultureInfo.InvariantCulture));

    private LocalCluster(IPEndPoint[] members)
    {
        Members = members;
        _processes = new Process?[members.Length];
        _output = members.Select(_ => new StringBuilder()).ToArray();
    }

    public IPEndPoint[] Members { get; }

    public static LocalCluster Start(int count)
    {
        var cluster = new LocalCluster(PickPorts(count));
        try
        {
            for (var i = 0; i < count; i++)
            {
                cluster.StartNode(i);
            }
        }
        catch
        {
            cluster.Dispose();
            throw;
        }

        return cluster;
    }

    public bool IsRunning(int node) => _processes[node] is { HasExited: false };

    public void StartNode(int node)
    {
        var self = Environment.ProcessPath ?? throw new InvalidOperationException("cannot find this program to start its nodes");
        var start = new ProcessStartInfo(self) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        if (Path.GetFileNameWithoutExtension(self) == "dotnet")
        {
            start.ArgumentList.Add(typeof(LocalCluster).Assembly.Location); // run as `dotnet ReplicatedKeyValue.dll`
        }

        foreach (var argument in new[] { "node", "--members", string.Join(',', Members.Select(m => m.ToString())), "--id", node.ToString(CultureInfo.InvariantCulture), "--data", Path.Combine(_data, "node" + node.ToString(CultureInfo.InvariantCulture)) })
        {
            start.ArgumentList.Add(argument);
        }

        var process = new Process { StartInfo = start };
        var output = _output[node];
        process.OutputDataReceived += (_, e) => Append(output, e.Data);
        process.ErrorDataReceived += (_, e) => Append(output, e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        _processes[node] = process;
    }

    /// <summary>SIGKILL: the replica ends at once, as a crashed machine would.</summary>
    public void Kill(int node)
    {
        _killed.Add(node);
        if (_processes[node] is { HasExited: false } process)
        {
            process.Kill(entireProcessTree: true);
            process.WaitForExit();
        }
    }

    public string Output(int node)
    {
        lock (_output[node])
        {
            return _output[node].ToString();
        }
    }

    /// <summary>A member's status line (its answer to a FIXED-policy request), or null.</summary>
    public async Task<string?> StatusAsync(int node)
    {
        await using var client = R2P2Client.CreateUdp(Members[node], new R2P2ClientOptions { Timeout = TimeSpan.FromMilliseconds(300) });
        try
        {
            using var response = await client.CallAsync(ReadOnlyMemory<byte>.Empty, RoutingPolicy.Fixed);
            return Encoding.UTF8.GetString(response.Payload);
        }
        catch (R2P2Exception)
        {
            return null;
        }
    }

    /// <summary>One field of a member's status line, or null.</summary>
    public async Task<long?> StatusFieldAsync(int node, string field)
    {
        var status = await StatusAsync(node);
        foreach (var pair in (status ?? string.Empty).Split(' '))
        {
            if (pair.StartsWith(field + "=", StringComparison.Ordinal) && long.TryParse(pair.AsSpan(field.Length + 1), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var value))
            {
                return value;
            }
        }

        return null;
    }

    /// <summary>The leader a majority of the running members agree on, once they do.</summary>
    public async Task<int> WaitForLeaderAsync(TimeSpan timeout)
    {
        var deadline = Stopwatch.GetTimestamp() + (long)(timeout.TotalSeconds * Stopwatch.Frequency);
        while (Stopwatch.GetTimestamp() < deadline)
        {
            var votes = new Dictionary<long, int>();
            for (var i = 0; i < Members.Length; i++)
            {
                if (!IsRunning(i))
                {
                    if (_processes[i] is { HasExited: true } && Output(i).Length > 0 && !_killed.Contains(i))
                    {
                        throw new InvalidOperationException($"node {i} exited:\n{Output(i)}");
                    }

                    continue;
                }

                if (await StatusFieldAsync(i, "leader") is { } leader && leader >= 0)
                {
                    votes[leader] = votes.GetValueOrDefault(leader) + 1;
                }
            }

            foreach (var (leader, count) in votes)
            {
                if (count > Members.Length / 2 && IsRunning((int)leader))
                {
                    return (int)leader;
                }
            }

            await Task.Delay(50);
        }

        throw new TimeoutException($"no leader within {timeout.TotalSeconds} s");
    }

    public void Dispose()
    {
        for (var i = 0; i < _processes.Length; i++)
        {
            Kill(i);
            _processes[i]?.Dispose();
        }

        try
        {
            if (Directory.Exists(_data))
            {
                Directory.Delete(_data, recursive: true);
            }
        }
        catch (IOException)
        {
            // Best effort: a temporary directory.
        }
    }

    private static void Append(StringBuilder output, string? line)
    {
        if (line is not null)
        {
            lock (output)
            {
                output.AppendLine(line);
            }
        }
    }

    /// <summary>Ports free for both UDP (clients, replicas) and TCP (Raft) on 127.0.0.1, picked by the kernel.</summary>
    private static IPEndPoint[] PickPorts(int count)
    {
        var picked = new List<IPEndPoint>();
        var held = new List<Socket>();
        try
        {
            while (picked.Count < count)
            {
                var udp = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
                held.Add(udp);
                udp.Bind(new IPEndPoint(IPAddress.Loopback, 0));
                var endPoint = (IPEndPoint)udp.LocalEndPoint!;
                var tcp = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                held.Add(tcp);
                try
                {
                    tcp.Bind(endPoint);
                    picked.Add(endPoint);
                }
                catch (SocketException)
                {
                    // Taken for TCP: try another.
                }
            }

            return [.. picked];
        }
        finally
        {
            foreach (var socket in held)
            {
                socket.Dispose();
            }
        }
    }
}
