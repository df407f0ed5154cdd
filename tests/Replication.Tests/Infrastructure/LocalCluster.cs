using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Net;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using TailGuard.MultiProcess.Tests.Infrastructure;
using TailGuard.R2P2;
using TailGuard.Tool.Cli;
using TailGuard.Tool.Commands.Cluster;

namespace TailGuard.Replication.Tests.Infrastructure;

/// <summary>
/// A cluster of real replicas: each one the built tool's <c>cluster node</c> in its own process (optionally inside a
/// network namespace), with its own data directory, on ports picked free on this machine. Nodes can be killed
/// (SIGKILL), paused (SIGSTOP: a stalled machine that comes back believing what it believed) and restarted on their
/// data. Disposing kills every process by its id and removes the data.
/// </summary>
internal sealed class LocalCluster : IDisposable
{
    private readonly TemporaryDirectory _data = new("tg-cluster");
    private readonly NodeHandle?[] _nodes;
    private readonly string[] _extraArguments;
    private readonly Func<int, string?> _namespaceOf;
    private readonly Func<int, string[]> _nodeArguments;
    private readonly string?[] _statusFailures;
    private Func<IPEndPoint, R2P2Client>? _statusClient;

    private LocalCluster(IReadOnlyList<IPEndPoint> members, string[] extraArguments, Func<int, string?> namespaceOf, Func<int, string[]>? nodeArguments = null)
    {
        Members = members;
        _nodes = new NodeHandle?[members.Count];
        _statusFailures = new string?[members.Count];
        _namespaceOf = namespaceOf;
        _nodeArguments = nodeArguments ?? (_ => []);
        (ElectionTimeout, _extraArguments) = WithElectionTimeout(extraArguments);
    }

    /// <summary>
    /// The election timeout (lower bound; the upper is twice it) of a cluster whose test does not time failover. The
    /// library's default (150-300 ms) churns terms when the nodes run at nice 10 beside two spinners and builds (load
    /// 80): a node starved for 300 ms starts an election against a live leader, and a test then finds no leader it
    /// can agree on. Tests that time failover ask for <see cref="LibraryElectionTimeout"/> instead.
    /// </summary>
    public static readonly TimeSpan SteadyElectionTimeout = TimeSpan.FromSeconds(1);

    /// <summary>The library's default election timeout (ReplicatedNodeOptions.LowerElectionTimeout), for tests that time failover.</summary>
    public static readonly TimeSpan LibraryElectionTimeout = TimeSpan.FromMilliseconds(150);

    /// <summary>How long one status query waits for its answer.</summary>
    public static readonly TimeSpan StatusTimeout = TimeSpan.FromMilliseconds(300);

    public IReadOnlyList<IPEndPoint> Members { get; }

    public string MembersText => string.Join(',', Members.Select(m => m.ToString()));

    /// <summary>The nodes' election timeout (lower bound): an explicit <c>--election-timeout</c>, else <see cref="SteadyElectionTimeout"/>.</summary>
    public TimeSpan ElectionTimeout { get; }

    /// <summary>
    /// How long a test waits for an agreed leader: 20 of the longest elections (twice <see cref="ElectionTimeout"/>),
    /// at least 30 s. Proportional, so a cluster given longer timeouts is given longer to elect.
    /// </summary>
    public TimeSpan LeaderWait => TimeSpan.FromTicks(Math.Max(TimeSpan.FromSeconds(30).Ticks, ElectionTimeout.Ticks * 2 * 20));

    /// <summary>Arguments for the library's default election timeout (a test timing failover must say that it does).</summary>
    public static string[] LibraryElections() => ["--election-timeout", Format(LibraryElectionTimeout)];

    /// <summary>Starts <paramref name="count"/> loopback nodes with extra node arguments (mode, timeouts...).</summary>
    public static LocalCluster Start(int count, params string[] extraArguments)
    {
        var cluster = new LocalCluster(FreePorts.Pick(IPAddress.Loopback, count), extraArguments, _ => null);
        cluster.StartAll();
        return cluster;
    }

    /// <summary>Starts <paramref name="count"/> loopback nodes, node i with its own extra arguments <paramref name="nodeArguments"/>(i).</summary>
    public static LocalCluster Start(int count, Func<int, string[]> nodeArguments)
    {
        var cluster = new LocalCluster(FreePorts.Pick(IPAddress.Loopback, count), [], _ => null, nodeArguments);
        cluster.StartAll();
        return cluster;
    }

    /// <summary>
    /// A cluster of <paramref name="count"/> loopback members of which only <paramref name="node"/> runs: less than a
    /// majority, so it never elects a leader, a state no load can change.
    /// </summary>
    public static LocalCluster StartOnly(int count, int node, params string[] extraArguments)
    {
        var cluster = new LocalCluster(FreePorts.Pick(IPAddress.Loopback, count), extraArguments, _ => null);
        cluster.Start(node);
        return cluster;
    }

    /// <summary>Starts nodes at given addresses, node i inside network namespace <paramref name="namespaceOf"/>(i).</summary>
    public static LocalCluster Start(IReadOnlyList<IPEndPoint> members, Func<int, string?> namespaceOf, params string[] extraArguments)
    {
        var cluster = new LocalCluster(members, extraArguments, namespaceOf);
        cluster.StartAll();
        return cluster;
    }

    /// <summary>
    /// <paramref name="count"/> nodes on the loopback of network namespace <paramref name="network"/>, whose status is
    /// asked from inside it (its loopback is not the test's). Ports are picked free here: in a fresh namespace every
    /// port is free.
    /// </summary>
    public static LocalCluster Start(NetworkNamespace network, int count, params string[] extraArguments)
    {
        var cluster = new LocalCluster(FreePorts.Pick(IPAddress.Loopback, count), extraArguments, _ => network.Name)
        {
            _statusClient = member => network.Make(() => R2P2Client.CreateUdp(member, new R2P2ClientOptions { Timeout = StatusTimeout })),
        };
        cluster.StartAll();
        return cluster;
    }

    /// <summary>
    /// A client of the cluster; by default with a generous call timeout (30 s): on a loaded two-core machine an election
    /// and the retry through the new leader can take longer than the library's 5 s default.
    /// </summary>
    public ReplicatedClient Client(ReplicatedClientOptions? options = null) =>
        ReplicatedClient.CreateUdp(Members, options ?? new ReplicatedClientOptions { Timeout = TimeSpan.FromSeconds(30) });

    public string Output(int node) => _nodes[node]?.Output ?? string.Empty;

    public string AllOutput() => string.Join("\n", Enumerable.Range(0, _nodes.Length).Select(i => $"--- node {i} ---\n{Output(i)}"));

    public bool IsRunning(int node) => _nodes[node] is { HasExited: false };

    public void Start(int node) => StartWith(node);

    /// <summary>Starts node <paramref name="node"/> with arguments added to the cluster's (a later option wins).</summary>
    public void StartWith(int node, params string[] extraArguments)
    {
        if (IsRunning(node))
        {
            throw new InvalidOperationException($"node {node} is running");
        }

        _nodes[node]?.Dispose();
        var arguments = new List<string>
        {
            "cluster", "node", "--members", MembersText, "--id", node.ToString(CultureInfo.InvariantCulture), "--data", _data.Combine($"node{node}"),
        };
        arguments.AddRange(_extraArguments);
        arguments.AddRange(_nodeArguments(node));
        arguments.AddRange(extraArguments);
        _nodes[node] = NodeHandle.Start(_namespaceOf(node), arguments);
    }

    /// <summary>SIGKILL: the process ends at once, mid-write if it was writing.</summary>
    public void Kill(int node)
    {
        _nodes[node]?.Kill();
    }

    public void Pause(int node) => _nodes[node]?.Signal("STOP");

    public void Resume(int node) => _nodes[node]?.Signal("CONT");

    /// <summary>Waits until node <paramref name="node"/> prints that it serves.</summary>
    public async Task WaitServingAsync(int node, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!Output(node).Contains("listening on", StringComparison.Ordinal))
        {
            if (!IsRunning(node))
            {
                throw new InvalidOperationException($"node {node} exited before serving:\n{Output(node)}");
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"node {node} did not start in time:\n{Output(node)}");
            }

            await Task.Delay(50);
        }
    }

    /// <summary>The status line of one node (its answer to a FIXED request, as <c>tailguard cluster status</c> asks), or null; why not is kept for <see cref="DiagnoseAsync"/>.</summary>
    public async Task<string?> StatusAsync(int node)
    {
        await using var client = _statusClient is null
            ? R2P2Client.CreateUdp(Members[node], new R2P2ClientOptions { Timeout = StatusTimeout })
            : _statusClient(Members[node]);
        return await ClusterStatusCommand.QueryAsync(client, error =>
            _statusFailures[node] = string.Create(CultureInfo.InvariantCulture, $"{DateTime.UtcNow:HH:mm:ss.fff} {error.GetType().Name}: {error.Message}"));
    }

    /// <summary>A numeric field of a node's status line.</summary>
    public async Task<long?> StatusFieldAsync(int node, string field)
    {
        var status = await StatusAsync(node);
        return status is null ? null : Field(status, field);
    }

    /// <summary>
    /// A numeric field of a node that must answer (an assertion's input): up to 30 status queries of 300 ms each (about
    /// 10 s on a quiet machine), as one query can go unanswered on a loaded machine and a missing answer must not read
    /// as zero. Bounded by queries, not by a deadline, so a starved test process is not failed by the clock alone.
    /// </summary>
    public async Task<long> RequiredStatusFieldAsync(int node, string field)
    {
        const int Queries = 30;
        for (var query = 0; query < Queries; query++)
        {
            if (await StatusFieldAsync(node, field) is { } value)
            {
                return value;
            }

            await Task.Delay(50);
        }

        throw new InvalidOperationException($"node {node} did not report '{field}' in {Queries} status queries\n{await DiagnoseAsync()}");
    }

    public static long? Field(string status, string field)
    {
        foreach (var pair in status.Split(' '))
        {
            var equals = pair.IndexOf('=', StringComparison.Ordinal);
            if (equals > 0 && pair.AsSpan(0, equals).SequenceEqual(field) && long.TryParse(pair.AsSpan(equals + 1), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var value))
            {
                return value;
            }
        }

        return null;
    }

    /// <summary>Waits up to <see cref="LeaderWait"/> for a leader a majority agrees on (see the overload).</summary>
    public Task<int> WaitForLeaderAsync(int except = -1) => WaitForLeaderAsync(LeaderWait, except);

    /// <summary>
    /// Waits for a leader that a majority of the running nodes agree on (excluding <paramref name="except"/>), and
    /// returns its index.
    /// </summary>
    public async Task<int> WaitForLeaderAsync(TimeSpan timeout, int except = -1)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            var votes = new Dictionary<long, int>();
            for (var i = 0; i < Members.Count; i++)
            {
                if (i == except || !IsRunning(i))
                {
                    continue;
                }

                if (await StatusFieldAsync(i, "leader") is { } leader && leader >= 0 && leader != except)
                {
                    votes[leader] = votes.GetValueOrDefault(leader) + 1;
                }
            }

            foreach (var (leader, count) in votes)
            {
                if (count > Members.Count / 2 && IsRunning((int)leader) && await StatusFieldAsync((int)leader, "leader") == leader)
                {
                    return (int)leader;
                }
            }

            await Task.Delay(50);
        }

        throw new TimeoutException($"no leader agreed on in {timeout.TotalSeconds} s:\n{AllOutput()}");
    }

    /// <summary>Every node's status line and output, for a failure message.</summary>
    public async Task<string> DiagnoseAsync()
    {
        var text = new StringBuilder();
        for (var i = 0; i < Members.Count; i++)
        {
            var status = await StatusAsync(i);
            text.AppendLine(CultureInfo.InvariantCulture, $"node {i} ({(IsRunning(i) ? "running" : "not running")}): {status ?? "no status"}");
            if (status is null && _nodes[i] is { HasExited: false } running)
            {
                // Why a running node did not answer: the last query's error, its socket's queue and drops, its threads.
                text.AppendLine(CultureInfo.InvariantCulture, $"  last status failure: {_statusFailures[i]}");
                text.Append(NodeProbe.Describe(running.Id, Members[i].Port));
            }
        }

        return text.Append(AllOutput()).ToString();
    }

    public void Dispose()
    {
        foreach (var node in _nodes)
        {
            node?.Dispose();
        }

        _data.Dispose();
    }

    /// <summary>The arguments with an election timeout: the one given, else <see cref="SteadyElectionTimeout"/> added.</summary>
    private static (TimeSpan ElectionTimeout, string[] Arguments) WithElectionTimeout(string[] arguments)
    {
        var given = Array.LastIndexOf(arguments, "--election-timeout");
        if (given < 0)
        {
            return (SteadyElectionTimeout, [.. arguments, "--election-timeout", Format(SteadyElectionTimeout)]);
        }

        var (value, error) = Quantities.Duration(arguments[given + 1]);
        return (value ?? throw new ArgumentException(error, nameof(arguments)), arguments);
    }

    private static string Format(TimeSpan duration) => ((long)duration.TotalMilliseconds).ToString(CultureInfo.InvariantCulture) + "ms";

    private void StartAll()
    {
        for (var i = 0; i < Members.Count; i++)
        {
            Start(i);
        }
    }

    /// <summary>One node process.</summary>
    private sealed class NodeHandle : IDisposable
    {
        private readonly Process _process;
        private readonly StringBuilder _output = new();

        private NodeHandle(Process process) => _process = process;

        public bool HasExited => _process.HasExited;

        public int Id => _process.Id;

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

        public static NodeHandle Start(string? networkNamespace, IEnumerable<string> arguments)
        {
            var start = new ProcessStartInfo(networkNamespace is null ? "dotnet" : "ip") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            if (networkNamespace is not null)
            {
                foreach (var prefix in new[] { "netns", "exec", networkNamespace, "dotnet" })
                {
                    start.ArgumentList.Add(prefix);
                }
            }

            start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "TailGuard.Tool.dll"));
            foreach (var argument in arguments)
            {
                start.ArgumentList.Add(argument);
            }

            start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
            var process = new Process { StartInfo = start };
            var handle = new NodeHandle(process);
            process.OutputDataReceived += (_, e) => handle.Append(e.Data);
            process.ErrorDataReceived += (_, e) => handle.Append(e.Data);
            process.Start();
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            return handle;
        }

        public void Kill()
        {
            try
            {
                if (!_process.HasExited)
                {
                    Signal("CONT"); // a paused process dies the same, but say so plainly
                    _process.Kill(entireProcessTree: true);
                    _process.WaitForExit(10_000);
                }
            }
            catch (InvalidOperationException)
            {
            }
        }

        public void Signal(string signal)
        {
            if (_process.HasExited)
            {
                return;
            }

            using var kill = Process.Start(new ProcessStartInfo("kill") { ArgumentList = { "-" + signal, _process.Id.ToString(CultureInfo.InvariantCulture) }, UseShellExecute = false })!;
            kill.WaitForExit(5_000);
        }

        public void Dispose()
        {
            Kill();
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
}
