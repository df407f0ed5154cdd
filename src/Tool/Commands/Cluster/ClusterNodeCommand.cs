using System;
using System.CommandLine;
using System.IO;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.Extensions.Logging;
using TailGuard.Replication;
using TailGuard.Tool.Cli;

namespace TailGuard.Tool.Commands.Cluster;

/// <summary>
/// <c>tailguard cluster node --members A,B,C --id I --data DIR</c>: one replica of the built-in store, until Ctrl+C or
/// SIGTERM. Every member gets the same <c>--members</c> list (same order); on separate machines, give each machine's
/// reachable address. Prints "replica I listening on HOST:PORT" once serving and "replica I: leader is J (term T)" on
/// each change; the last line on a clean stop is the node's status. A node whose Raft engine fails is restarted in the
/// same process from its data directory (docs/replication.md, "A failed Raft engine"), and says so.
/// </summary>
internal static class ClusterNodeCommand
{
    public static Command Create()
    {
        var members = ToolOptions.EndPoints("--members", "Every member's HOST:PORT (UDP for clients and replicas, TCP for Raft), the same list in the same order on every member.");
        members.Required = true;
        var id = ToolOptions.Count("--id", "This node's index in --members, from 0.", 0, 0, 254);
        var data = new Option<string?>("--data") { Description = "Where this node keeps its log, snapshots and payload journal (reused on restart). Required.", HelpName = "DIR", Required = true };
        var quiet = new Option<bool>("--quiet") { Description = "Print only the listening line, leader changes and failures." };
        var settings = NodeSettings.Create();

        var command = new Command("node", "Run one replica of the built-in replicated key-value store.");
        command.Options.Add(members);
        command.Options.Add(id.Option);
        command.Options.Add(data);
        command.Options.Add(quiet);
        settings.AddTo(command);
        command.SetAction(async (parse, cancellationToken) =>
        {
            var output = parse.InvocationConfiguration.Output;
            var list = parse.GetValue(members)!;
            var self = id.Get(parse);
            if (self >= list.Count)
            {
                throw ToolException.Usage($"--id {self} is not an index into the {list.Count} members.");
            }

            var election = settings.ElectionTimeout.Get(parse);
            var parkedTimeout = settings.ParkedTimeout.Get(parse);
            if (parkedTimeout <= TimeSpan.Zero)
            {
                throw ToolException.Usage("--parked-timeout must be longer than 0.");
            }

            var options = new ReplicatedNodeOptions
            {
                Members = list,
                Self = self,
                DataDirectory = DataDirectory.Prepare(parse.GetValue(data)!),
                Mode = settings.Mode.Get(parse),
                Replies = settings.Replier.Get(parse),
                LowerElectionTimeout = election,
                UpperElectionTimeout = election * 2,
                MaxApplyLag = settings.MaxApplyLag.Get(parse),
                SnapshotInterval = settings.SnapshotInterval.Get(parse),
                ApplyDelay = settings.ApplyDelay.Get(parse),
                ParkedPayloadTimeout = parkedTimeout,
                DurableReplies = !parse.GetValue(settings.FastReplies),
                MulticastGroup = parse.GetValue(settings.Multicast),
                Logger = new LineLogger(output, parse.GetValue(quiet) ? LogLevel.Warning : LogLevel.Information),
            };
            // A node whose Raft engine failed can never catch up again (docs/replication.md, "A failed Raft engine"):
            // RunAsync starts it afresh from its data directory, with a fresh store, as a process restart would.
            ReplicatedNode? current = null;
            await ReplicatedNode.RunAsync(
                options,
                () =>
                {
                    var store = new ClusterKeyValueStore();
                    return (new ClusterKeyValueDispatcher(store), store);
                },
                (node, failure) =>
                {
                    current = node;
                    lock (output)
                    {
                        if (failure is not null)
                        {
                            output.WriteLine($"replica {self}: its Raft engine failed ({failure.Message}); restarted it from {options.DataDirectory}");
                        }

                        var group = options.MulticastGroup is { } joined ? $", multicast group {joined}" : string.Empty;
                        output.WriteLine($"replica {self} listening on {list[self]} ({options.Mode}, {list.Count} members{group}, data {options.DataDirectory}); Ctrl+C or SIGTERM stops");
                        output.Flush();
                    }
                },
                cancellationToken).ConfigureAwait(false);

            // Ctrl+C or SIGTERM: a normal stop. The stopped node still tells where it was.
            lock (output)
            {
                output.WriteLine($"replica {self} stopped: {current?.DescribeStatus()}");
                output.Flush();
            }

            return ExitCodes.Ok;
        });
        return command;
    }
}
