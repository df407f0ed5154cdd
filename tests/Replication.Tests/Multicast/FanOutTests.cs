using System.Linq;
using TailGuard.R2P2;
using TailGuard.R2P2.Protocol;
using TailGuard.R2P2.Simulation;
using TailGuard.Replication.Tests.Infrastructure;

namespace TailGuard.Replication.Tests.Multicast;

/// <summary>
/// The client's fan-out decision (docs/replication.md, "Fan-out"): a replicated request goes once to the group with
/// multicast, once per replica without; every other packet keeps its destination.
/// </summary>
public sealed class FanOutTests
{
    private static readonly PacketAddress Group = PacketAddress.Parse("239.1.2.3:7200");
    private static readonly PacketAddress[] Replicas = new[] { "10.0.0.1:7000", "10.0.0.2:7000", "10.0.0.3:7000" }.Select(PacketAddress.Parse).ToArray();

    [Fact]
    public void WithAGroupAReplicatedRequestIsSentOnceToTheGroup()
    {
        var (network, counting, statistics, fanOut) = Client(Group);
        var group = network.Bind(Group);
        var replicas = Replicas.Select(replica => network.Bind(replica)).ToArray();

        fanOut.Send([Request(fanOut, RoutingPolicy.Replicated), Request(fanOut, RoutingPolicy.ReplicatedReadOnly)]);

        Assert.Equal(2, Assert.Single(counting.RequestsTo, pair => pair.Key == Group).Value);
        Assert.Single(counting.RequestsTo);
        Assert.Equal(2, statistics.RequestDatagrams);
        Assert.Equal(2, group.PendingCount); // the network carried two datagrams to the group
        Assert.All(replicas, replica => Assert.Equal(0, replica.PendingCount)); // and none to a replica directly
    }

    [Fact]
    public void WithoutAGroupAReplicatedRequestIsSentToEveryReplica()
    {
        var (network, counting, statistics, fanOut) = Client(group: null);
        var replicas = Replicas.Select(replica => network.Bind(replica)).ToArray();

        fanOut.Send([Request(fanOut, RoutingPolicy.Replicated)]);

        Assert.Equal(Replicas.Length, counting.RequestsTo.Count);
        Assert.All(Replicas, replica => Assert.Equal(1, counting.RequestsTo[replica]));
        Assert.Equal(Replicas.Length, statistics.RequestDatagrams);
        Assert.All(replicas, replica => Assert.Equal(1, replica.PendingCount));
    }

    [Fact]
    public void WithAGroupOtherPacketsKeepTheirDestination()
    {
        var (network, counting, statistics, fanOut) = Client(Group);
        var group = network.Bind(Group);
        var first = network.Bind(Replicas[0]);

        // A status query (FIXED) and a DROP: not replicated requests, so neither goes to the group.
        var drop = fanOut.Rent(ControlMessages.DropLength);
        drop.Length = ControlMessages.WriteDrop(drop.Storage, 9);
        drop.Address = Replicas[0];
        fanOut.Send([Request(fanOut, RoutingPolicy.Fixed), drop]);

        Assert.Empty(counting.RequestsTo);
        Assert.Equal(0, statistics.RequestDatagrams);
        Assert.Equal(0, group.PendingCount);
        Assert.Equal(2, first.PendingCount);
    }

    private static (InMemoryNetwork Network, CountingTransport Counting, ReplicatedClientStatistics Statistics, FanOutTransport FanOut) Client(PacketAddress? group)
    {
        var network = new InMemoryNetwork();
        var counting = new CountingTransport(network.Bind("10.0.0.9:5000"));
        var statistics = new ReplicatedClientStatistics();
        return (network, counting, statistics, new FanOutTransport(counting, Replicas, fanOut: true, group, statistics));
    }

    /// <summary>A single-packet REQUEST addressed to the first replica, as the R2P2 client builds it.</summary>
    private static PacketBuffer Request(PacketTransport transport, RoutingPolicy policy)
    {
        var packet = transport.Rent(R2P2Header.Size + 16);
        R2P2Header.Write(packet.Storage, MessageType.Request, policy, R2P2Header.FlagsSingle, 7, 1);
        packet.Length = R2P2Header.Size + 16;
        packet.Address = Replicas[0];
        return packet;
    }
}
