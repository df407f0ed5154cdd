using System;
using System.Globalization;
using System.Linq;
using System.Buffers;
using System.Net;
using System.Text;
using System.Threading.Tasks;
using TailGuard.MultiProcess.Tests.Infrastructure;
using TailGuard.R2P2;
using TailGuard.Replication.Tests.Infrastructure;
using TailGuard.Tool.Commands.Cluster;

namespace TailGuard.Replication.Tests.Multicast;

/// <summary>
/// Multicast fan-out end to end (docs/replication.md, "Fan-out"): three node processes joined to a group on the
/// loopback of a namespace of the test's own (multicast on, a 224.0.0.0/4 route to lo), and a client in the same
/// namespace that sends each replicated request once, to the group.
/// </summary>
[Collection(nameof(ClusterTests))]
public sealed class MulticastClusterTests
{
    private const int Writes = 20;

    [NamespaceFact]
    public async Task WritesSentOnceToTheGroupAreAcknowledgedAndAppliedByEveryReplica()
    {
        using var network = NetworkNamespace.Create("tgmc" + NetworkNamespace.NewSuffix());
        network.Run("ip link set lo multicast on");
        network.Run("ip route add 224.0.0.0/4 dev lo");
        var group = new IPEndPoint(IPAddress.Parse(string.Create(CultureInfo.InvariantCulture, $"239.{Random.Shared.Next(1, 255)}.{Random.Shared.Next(1, 255)}.{Random.Shared.Next(1, 255)}")), FreePorts.Pick(IPAddress.Loopback, 1)[0].Port);
        using var cluster = LocalCluster.Start(network, 3, "--multicast", group.ToString());
        await cluster.WaitForLeaderAsync();
        var replicas = cluster.Members.Select(PacketAddress.FromEndPoint).ToArray();
        var options = new ReplicatedClientOptions { MulticastGroup = group, Timeout = TimeSpan.FromSeconds(30) };

        // The client's socket, counted where datagrams leave for the kernel.
        CountingTransport? counting = null;
        await using (var client = network.Make(() =>
        {
            counting = new CountingTransport(UdpTransport.Bind(new IPEndPoint(IPAddress.Loopback, 0)));
            return new ReplicatedClient(counting, replicas, options);
        }))
        {
            var store = new ClusterKeyValueClient(client);
            for (var i = 0; i < Writes; i++)
            {
                await store.WriteAsync("k" + i.ToString(CultureInfo.InvariantCulture), i);
            }

            // One send per attempt (and per registration of the session), to the group, none to a replica: the network
            // made the copies.
            var sent = Assert.Single(counting!.RequestsTo);
            Assert.Equal(PacketAddress.FromEndPoint(group), sent.Key);
            Assert.True(client.Statistics.Registrations >= 1, "the session was not registered before its first write");
            Assert.Equal(client.Statistics.Attempts + client.Statistics.Registrations, sent.Value);
            Assert.Equal(client.Statistics.Attempts + client.Statistics.Registrations, client.Statistics.RequestDatagrams);
            Assert.Equal(Writes, client.Statistics.Calls);
            Assert.Equal(0, client.Statistics.Failures);
            for (var i = 0; i < Writes; i++)
            {
                Assert.Equal(i, await store.ReadAsync("k" + i.ToString(CultureInfo.InvariantCulture)));
            }
        }

        // Every replica applied the whole log, and each received the requests through the group (a follower that
        // missed a datagram would recover the payload from the leader, but it still counts what the group brought).
        var commit = await cluster.RequiredStatusFieldAsync(await cluster.WaitForLeaderAsync(), "commit");
        for (var node = 0; node < cluster.Members.Count; node++)
        {
            var replica = node;
            await FailureTests.Eventually(async () => await cluster.StatusFieldAsync(replica, "applied") >= commit, $"replica {replica} applies every write", cluster);
            Assert.True(await cluster.RequiredStatusFieldAsync(replica, "multicast") >= Writes, $"replica {replica} did not receive the writes through the group\n{await cluster.DiagnoseAsync()}");
        }

        // The socket ReplicatedClient.CreateUdp opens sends to the group as well (its multicast settings are its own).
        await using var created = network.Make(() => ReplicatedClient.CreateUdp(cluster.Members, options));
        await new ClusterKeyValueClient(created).WriteAsync("created", 7);
        Assert.Equal(created.Statistics.Attempts + created.Statistics.Registrations, created.Statistics.RequestDatagrams);
        Assert.Equal(7, await new ClusterKeyValueClient(created).ReadAsync("created"));

        // What the group brings takes the unicast requests' path and is answered from a member's unicast address (this
        // client takes answers from the members only): a status query is answered with a status line, and a replicated
        // request without a session header is refused MalformedRequest before anything is ordered.
        await using var raw = network.Make(() => new R2P2Client(
            UdpTransport.Bind(new IPEndPoint(IPAddress.Loopback, 0)),
            PacketAddress.FromEndPoint(group),
            new R2P2ClientOptions { Timeout = TimeSpan.FromSeconds(30), ResponseSources = ResponseSources.Servers(replicas) }));
        using (var status = await raw.CallAsync(ReadOnlyMemory<byte>.Empty, RoutingPolicy.Fixed))
        {
            Assert.StartsWith("node=", Encoding.UTF8.GetString(status.Payload), StringComparison.Ordinal);
        }

        using (var refused = await raw.CallAsync(new byte[8], RoutingPolicy.Replicated))
        {
            Assert.Equal([(byte)R2P2ServiceStatus.MalformedRequest], refused.Payload.ToArray());
        }
    }
}
