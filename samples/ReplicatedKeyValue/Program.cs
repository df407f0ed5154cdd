using System;
using System.Globalization;
using System.Linq;
using System.Net;
using System.Threading;
using System.Threading.Tasks;
using TailGuard.Replication;
using TailGuard.Samples;
using TailGuard.Samples.ReplicatedKeyValue;

// A replicated key-value store (docs/replication.md). With no arguments: starts a 3-node cluster of this program's own
// processes on loopback, writes through it, kills the leader's process, shows the new leader, reads every acknowledged
// write back, prints what it measured, stops every process it started and removes their data.
const string Usage = """
    usage:
      ReplicatedKeyValue [run] [--nodes 3|5] [--writes N]
          starts a local cluster (processes of this program on 127.0.0.1, data in a temporary directory), writes N
          keys (default 200), kills the leader's process, writes once more through the new leader (the failover
          time), reads every acknowledged write back, prints the numbers, cleans up. Exit 0 when no acknowledged
          write was lost.
      ReplicatedKeyValue node --members HOST:PORT,HOST:PORT,... --id I --data DIR [--multicast GROUP:PORT]
          one replica (UDP and TCP on its member's port) until Ctrl+C or SIGTERM; start one per machine, each with
          the same --members, to run the store across machines. --multicast joins an IPv4 multicast group, so
          clients with ReplicatedClientOptions.MulticastGroup send each call once (docs/replication.md, "Fan-out").
      ReplicatedKeyValue --help
    exit codes: 0 done, 1 a failure (a lost write, a node that did not start), 2 bad arguments.
    """;

return await SampleMain.RunAsync("ReplicatedKeyValue", () =>
{
    string command = args.Length > 0 && !args[0].StartsWith('-') ? args[0] : "run";
    ReadOnlySpan<string> options = args.Length > 0 && !args[0].StartsWith('-') ? args.AsSpan(1) : args;
    return command switch
    {
        "run" => RunAsync(CommandLine.Parse("run", options, ["--nodes", "--writes"])),
        "node" => NodeAsync(NodeArguments.Parse(options)),
        "help" => Task.FromResult(SampleMain.Help(Usage)),
        _ => throw new UsageException($"unknown command '{command}' (commands: run, node, help)."),
    };
});

async Task<int> RunAsync(CommandLine line)
{
    if (line.Help)
    {
        return SampleMain.Help(Usage);
    }

    var nodes = line.Int("--nodes", 3, 3, 5);
    if (nodes is not (3 or 5))
    {
        throw new UsageException("run: --nodes is 3 or 5.");
    }

    var writes = line.Int("--writes", 200, 1, 100_000);
    using var cluster = LocalCluster.Start(nodes);
    using var stop = new CancellationTokenSource();
    ConsoleCancelEventHandler cancel = (_, e) => { e.Cancel = true; stop.Cancel(); };
    Console.CancelKeyPress += cancel;
    try
    {
        return await Demonstration.RunAsync(cluster, writes, stop.Token);
    }
    finally
    {
        Console.CancelKeyPress -= cancel;
    }
}

async Task<int> NodeAsync(NodeArguments arguments)
{
    if (arguments.Help)
    {
        return SampleMain.Help(Usage);
    }

    var options = new ReplicatedNodeOptions
    {
        Members = arguments.Members,
        Self = arguments.Id,
        DataDirectory = arguments.Data,
        MulticastGroup = arguments.Multicast,
    };
    using var stop = new CancellationTokenSource();
    Console.CancelKeyPress += (_, e) => { e.Cancel = true; stop.Cancel(); };
    AppDomain.CurrentDomain.ProcessExit += (_, _) => stop.Cancel();

    // A node whose Raft engine failed is started afresh from its data directory, with a fresh store
    // (docs/replication.md, "A failed Raft engine").
    var group = arguments.Multicast is { } joined ? $", multicast group {joined}" : string.Empty;
    await ReplicatedNode.RunAsync(
        options,
        () =>
        {
            var store = new ReplicatedKeyValueStore();
            return (new ReplicatedKeyValueDispatcher(store), store);
        },
        (_, failure) =>
        {
            if (failure is not null)
            {
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"replica {arguments.Id}: its Raft engine failed ({failure.Message}); restarted it"));
            }

            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"replica {arguments.Id} listening on {arguments.Members[arguments.Id]}{group}"));
        },
        stop.Token);

    return 0;
}

/// <summary>The arguments of <c>node</c>.</summary>
internal sealed record NodeArguments(IPEndPoint[] Members, int Id, string Data, IPEndPoint? Multicast, bool Help)
{
    public static NodeArguments Parse(ReadOnlySpan<string> args)
    {
        string? members = null, id = null, data = null, multicast = null;
        for (var i = 0; i < args.Length; i++)
        {
            if (args[i] is "--help" or "-h")
            {
                return new NodeArguments([], 0, string.Empty, null, true);
            }

            if (args[i] is not ("--members" or "--id" or "--data" or "--multicast"))
            {
                throw new UsageException($"node: unknown option '{args[i]}'.");
            }

            if (i + 1 >= args.Length)
            {
                throw new UsageException($"node: {args[i]} needs a value.");
            }

            switch (args[i++])
            {
                case "--members": members = args[i]; break;
                case "--id": id = args[i]; break;
                case "--multicast": multicast = args[i]; break;
                default: data = args[i]; break;
            }
        }

        if (members is null || id is null || data is null)
        {
            throw new UsageException("node: --members, --id and --data are required.");
        }

        var endPoints = members.Split(',').Select(m => IPEndPoint.TryParse(m, out var e) && e.Port != 0 ? e : throw new UsageException($"node: '{m}' is not HOST:PORT.")).ToArray();
        if (!int.TryParse(id, NumberStyles.None, CultureInfo.InvariantCulture, out var index) || index >= endPoints.Length)
        {
            throw new UsageException($"node: --id '{id}' is not an index into the {endPoints.Length} members.");
        }

        IPEndPoint? group = null;
        if (multicast is not null && (!IPEndPoint.TryParse(multicast, out group) || group.Port == 0 || !TailGuard.R2P2.UdpMulticastMemberTransport.IsIPv4Multicast(group.Address)))
        {
            throw new UsageException($"node: --multicast '{multicast}' is not an IPv4 multicast GROUP:PORT (224.0.0.0 to 239.255.255.255, a port from 1).");
        }

        return new NodeArguments(endPoints, index, data, group, false);
    }
}
