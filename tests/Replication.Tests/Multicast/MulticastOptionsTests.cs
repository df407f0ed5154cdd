using System;
using System.Net;
using TailGuard.R2P2;
using TailGuard.R2P2.Simulation;

namespace TailGuard.Replication.Tests.Multicast;

/// <summary>The multicast fan-out options of clients and replicas are checked before anything is bound (docs/replication.md, "Fan-out").</summary>
public sealed class MulticastOptionsTests
{
    private static readonly IPEndPoint Group = IPEndPoint.Parse("239.1.2.3:7200");

    [Theory]
    [InlineData("224.0.0.1:7200")]
    [InlineData("239.255.255.255:1")]
    [InlineData("239.1.2.3:65535")]
    public void AClientAcceptsAnIPv4MulticastGroupWithAPort(string group)
        => new ReplicatedClientOptions { MulticastGroup = IPEndPoint.Parse(group) }.Validate();

    [Theory]
    [InlineData("10.0.0.1:7200", "IPv4 multicast address")] // unicast
    [InlineData("223.255.255.255:7200", "IPv4 multicast address")] // just below 224.0.0.0/4
    [InlineData("240.0.0.1:7200", "IPv4 multicast address")] // just above
    [InlineData("[ff02::1]:7200", "IPv4 multicast address")] // IPv6 multicast is not supported
    [InlineData("239.1.2.3:0", "port from 1 to 65535")]
    public void AClientRefusesAGroupThatIsNotAnIPv4MulticastAddressWithAPort(string group, string says)
    {
        var error = Assert.Throws<ArgumentException>(() => new ReplicatedClientOptions { MulticastGroup = IPEndPoint.Parse(group) }.Validate());
        Assert.Equal(nameof(ReplicatedClientOptions.MulticastGroup), error.ParamName);
        Assert.Contains(says, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AClientRefusesMulticastWithoutFanOut()
    {
        var error = Assert.Throws<ArgumentException>(() => new ReplicatedClientOptions { MulticastGroup = Group, FanOut = false }.Validate());
        Assert.Contains("FanOut", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(256)]
    public void AClientRefusesATimeToLiveOutsideOneByte(int ttl)
        => Assert.Throws<ArgumentOutOfRangeException>(() => new ReplicatedClientOptions { MulticastGroup = Group, MulticastTimeToLive = ttl }.Validate());

    [Fact]
    public void AClientOnAnIPv6SocketRefusesAnIPv4Group()
    {
        var network = new InMemoryNetwork();
        var transport = network.Bind("[fd00::9]:5000");
        var error = Assert.Throws<ArgumentException>(() => new ReplicatedClient(transport, [PacketAddress.Parse("[fd00::1]:7000")], new ReplicatedClientOptions { MulticastGroup = Group }));
        Assert.Contains("IPv4", error.Message, StringComparison.Ordinal);
        transport.Dispose();
    }

    [Theory]
    [InlineData("10.0.0.1:7200", "IPv4 multicast address")]
    [InlineData("239.1.2.3:0", "port from 1 to 65535")]
    public void AReplicaRefusesAGroupThatIsNotAnIPv4MulticastAddressWithAPort(string group, string says)
    {
        var error = Assert.Throws<ArgumentException>(() => Node(IPEndPoint.Parse(group)).Validate());
        Assert.Equal(nameof(ReplicatedNodeOptions.MulticastGroup), error.ParamName);
        Assert.Contains(says, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AReplicaAcceptsAGroupAndRefusesItWithAnIPv6EndpointOrTheLeaderMode()
    {
        Node(Group).Validate();
        Assert.Throws<ArgumentException>(() => Node(Group, member: "[::1]:7000").Validate());
        var leader = Assert.Throws<ArgumentException>(() => Node(Group, mode: ReplicationMode.LeaderPayload).Validate());
        Assert.Contains("LeaderPayload", leader.Message, StringComparison.Ordinal);
    }

    private static ReplicatedNodeOptions Node(IPEndPoint group, string member = "127.0.0.1:7000", ReplicationMode mode = ReplicationMode.HovercRaft) => new()
    {
        Members = [IPEndPoint.Parse(member), IPEndPoint.Parse("127.0.0.1:7001"), IPEndPoint.Parse("127.0.0.1:7002")],
        Self = 0,
        DataDirectory = "unused",
        Mode = mode,
        MulticastGroup = group,
    };
}
