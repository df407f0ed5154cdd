using System;
using System.Collections.Generic;
using System.CommandLine;
using System.Net;
using TailGuard.R2P2;
using TailGuard.Replication;
using TailGuard.Tool.Cli;

namespace TailGuard.Tool.Commands.Cluster;

/// <summary>The node options <c>cluster node</c> takes and <c>cluster start</c> passes on to each node it starts.</summary>
internal sealed class NodeSettings
{
    private static readonly Dictionary<string, ReplicationMode> Modes = new(StringComparer.Ordinal)
    {
        ["hovercraft"] = ReplicationMode.HovercRaft,
        ["leader"] = ReplicationMode.LeaderPayload,
        ["unreplicated"] = ReplicationMode.Unreplicated,
    };

    private static readonly Dictionary<string, ReplyPolicy> Replies = new(StringComparer.Ordinal)
    {
        ["spread"] = Replication.ReplyPolicy.Spread,
        ["leader"] = Replication.ReplyPolicy.Leader,
    };

    private NodeSettings()
    {
    }

    public Valued<ReplicationMode> Mode { get; } = ToolOptions.Choice("--mode", "hovercraft: HovercRaft; leader: plain leader-based Raft (payloads in the log, the leader answers); unreplicated: one node, no Raft.", ReplicationMode.HovercRaft, Modes);

    public Valued<ReplyPolicy> Replier { get; } = ToolOptions.Choice("--replies", "Who answers (HovercRaft): spread over replicas, or always the leader.", Replication.ReplyPolicy.Spread, Replies);

    public Valued<TimeSpan> ElectionTimeout { get; } = ToolOptions.Duration("--election-timeout", "The lower bound of Raft's election timeout (the upper is twice it).", TimeSpan.FromMilliseconds(150));

    public Valued<int> MaxApplyLag { get; } = ToolOptions.Count("--max-apply-lag", "Flow control: answer DROP once the log is this many entries ahead of what a replica applied.", 1024, 1, int.MaxValue);

    public Valued<int> SnapshotInterval { get; } = ToolOptions.Count("--snapshot-interval", "Take a snapshot every N applied entries.", 8192, 2, int.MaxValue);

    public Valued<TimeSpan> ApplyDelay { get; } = ToolOptions.Duration("--apply-delay", "Slow this replica's apply by this long per entry (to see flow control).", TimeSpan.Zero);

    public Valued<TimeSpan> ParkedTimeout { get; } = ToolOptions.Duration("--parked-timeout", "Drop a parked payload after this long, unless an unapplied log entry names it.", TimeSpan.FromSeconds(5));

    public Option<bool> FastReplies { get; } = new("--fast-replies") { Description = "Answer writes once the replier applied them, without waiting for a majority (faster, less durable)." };

    public Option<IPEndPoint?> Multicast { get; } = MulticastOption("Join this IPv4 multicast group (GROUP:PORT, 224.0.0.0/4), so clients can send each request once to it (docs/replication.md, \"Fan-out\").");

    public static NodeSettings Create() => new();

    /// <summary>--multicast GROUP:PORT, for the nodes (join) and the bench client (send): an IPv4 multicast address and a port.</summary>
    public static Option<IPEndPoint?> MulticastOption(string description)
        => ToolOptions.Reference<IPEndPoint>("--multicast", description, "GROUP:PORT", text =>
        {
            var (value, error) = Quantities.EndPoint(text, allowPortZero: false);
            return error is not null ? (null, error)
                : UdpMulticastMemberTransport.IsIPv4Multicast(value!.Address) ? (value, null)
                : (null, $"'{text}' is not an IPv4 multicast group (224.0.0.0 to 239.255.255.255)");
        });

    public void AddTo(Command command)
    {
        command.Options.Add(Mode.Option);
        command.Options.Add(Replier.Option);
        command.Options.Add(ElectionTimeout.Option);
        command.Options.Add(MaxApplyLag.Option);
        command.Options.Add(SnapshotInterval.Option);
        command.Options.Add(ApplyDelay.Option);
        command.Options.Add(ParkedTimeout.Option);
        command.Options.Add(FastReplies);
        command.Options.Add(Multicast);
    }

    /// <summary>The options given on this command line, spelled for a node's command line.</summary>
    public IEnumerable<string> Arguments(ParseResult parse)
    {
        if (Mode.IsGiven(parse))
        {
            yield return "--mode";
            yield return Key(Modes, Mode.Get(parse));
        }

        if (Replier.IsGiven(parse))
        {
            yield return "--replies";
            yield return Key(Replies, Replier.Get(parse));
        }

        if (ElectionTimeout.IsGiven(parse))
        {
            yield return "--election-timeout";
            yield return ToolOptions.Format(ElectionTimeout.Get(parse));
        }

        if (MaxApplyLag.IsGiven(parse))
        {
            yield return "--max-apply-lag";
            yield return MaxApplyLag.Get(parse).ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        if (SnapshotInterval.IsGiven(parse))
        {
            yield return "--snapshot-interval";
            yield return SnapshotInterval.Get(parse).ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        if (ApplyDelay.IsGiven(parse))
        {
            yield return "--apply-delay";
            yield return ToolOptions.Format(ApplyDelay.Get(parse));
        }

        if (ParkedTimeout.IsGiven(parse))
        {
            yield return "--parked-timeout";
            yield return ToolOptions.Format(ParkedTimeout.Get(parse));
        }

        if (parse.GetValue(FastReplies))
        {
            yield return "--fast-replies";
        }

        if (parse.GetValue(Multicast) is { } group)
        {
            yield return "--multicast";
            yield return group.ToString();
        }
    }

    private static string Key<T>(Dictionary<string, T> choices, T value)
        where T : struct
    {
        foreach (var (key, choice) in choices)
        {
            if (choice.Equals(value))
            {
                return key;
            }
        }

        throw new ArgumentOutOfRangeException(nameof(value));
    }
}
