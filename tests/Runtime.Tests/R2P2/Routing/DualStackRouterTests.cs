using System;
using System.Linq;
using System.Net;
using System.Threading.Tasks;
using TailGuard.R2P2;
using TailGuard.R2P2.Routing;
using TailGuard.R2P2.Simulation;
using TailGuard.Tests.R2P2.Infrastructure;
using static TailGuard.Tests.R2P2.Infrastructure.Condition;

namespace TailGuard.Tests.R2P2.Routing;

/// <summary>
/// A router on a dual-stack [::] port (docs/router.md, "Dual-stack") on loopback: IPv4 clients (IPv4-mapped on the
/// socket) go to the IPv4 servers and IPv6 clients to the IPv6 servers, each family with its own pool, credits and
/// FEEDBACK; a family without a server, or FIXED to a named server of the other family, is answered DROP and counted.
/// </summary>
[RequiresNetwork(NetworkCapability.IPv6Loopback)]
[RequiresNetwork(NetworkCapability.RawSockets)]
public sealed class DualStackRouterTests
{
    private const int Calls = 20;
    private static readonly byte[] Hello = "hello, both families"u8.ToArray();

    [NetworkFact]
    public async Task Each_client_is_served_by_a_server_of_its_family_whose_FEEDBACK_returns_the_credit()
    {
        // JBSQ(1), one server per family, calls one after another: every call after the first needs the credit its
        // predecessor's FEEDBACK returned. With both timeouts out of reach, a FEEDBACK of either family that did not
        // return its credit would leave the next call in the queue until the client gives up.
        using var rig = DualStackRig.Start(1, 1, servers => new R2P2RouterOptions { Servers = servers, Policy = RouterPolicy.BoundedShortestQueue(1), FeedbackTimeout = TimeSpan.FromHours(1), QueueTimeout = TimeSpan.FromHours(1) });
        var (ipv4Server, ipv6Server) = (rig.IPv4Servers[0], rig.IPv6Servers[0]);
        var ipv4Client = rig.Client(ipv6: false, ResponseSources.Servers(ipv4Server.LocalAddress)); // an answer from the other server is refused
        var ipv6Client = rig.Client(ipv6: true, ResponseSources.Servers(ipv6Server.LocalAddress));
        Assert.True(rig.Router.IsDualStack);

        for (var i = 0; i < Calls; i++)
        {
            foreach (var client in new[] { ipv4Client, ipv6Client })
            {
                var payload = Payloads.Make(32, i);
                using var response = await client.CallAsync(payload).AsTask().WaitAsync(Payloads.Generous);
                Assert.Equal(payload, Payloads.ToArray(response.Payload));
            }
        }

        Assert.Equal(Calls, ipv4Server.Statistics.Responses);
        Assert.Equal(Calls, ipv6Server.Statistics.Responses);
        await Eventually(() => rig.Router.Statistics.Feedbacks == 2 * Calls && rig.Router.OutstandingCount == 0, "every credit back");
        Assert.All(rig.Router.Servers, server => Assert.True(server.Forwarded == Calls && server.Feedbacks == Calls && server.Outstanding == 0, server.ToString()));
        var statistics = rig.Router.Statistics;
        Assert.Equal(((long)(2 * Calls), 0L, 0L, 0L, 0L), (statistics.Forwarded, statistics.Drops, statistics.UnknownFeedbacks, statistics.UnmatchedFeedbacks, statistics.MalformedDatagrams));
        Assert.Equal(0, rig.Router.Forwarder.SendErrors);
    }

    [NetworkFact]
    public async Task A_request_of_a_family_without_a_server_is_answered_DROP_and_counted_until_one_joins()
    {
        using var rig = DualStackRig.Start(1, 0, servers => new R2P2RouterOptions { Servers = servers });
        var ipv4Client = rig.Client(ipv6: false, ResponseSources.AnyServer);
        var ipv6Client = rig.Client(ipv6: true, ResponseSources.AnyServer);

        await Assert.ThrowsAsync<R2P2DroppedException>(() => ipv6Client.CallAsync(Hello).AsTask().WaitAsync(Payloads.Generous));
        Assert.Equal(1, rig.Router.Statistics.NoServerDrops);
        using (var response = await ipv4Client.CallAsync(Hello).AsTask().WaitAsync(Payloads.Generous))
        {
            Assert.Equal(Hello, Payloads.ToArray(response.Payload)); // the IPv4 pool serves on
        }

        // An IPv6 server joining at run time takes the IPv6 clients from then on.
        var joined = rig.NewServer(ipv6: true);
        Assert.True(rig.Router.AddServer(joined.LocalAddress));
        using (var response = await ipv6Client.CallAsync(Hello).AsTask().WaitAsync(Payloads.Generous))
        {
            Assert.Equal(Hello, Payloads.ToArray(response.Payload));
        }

        Assert.Equal(1, joined.Statistics.Responses);
        Assert.Equal(1, rig.IPv4Servers[0].Statistics.Responses);
        Assert.Equal(1, rig.Router.Statistics.NoServerDrops);
    }

    [NetworkFact]
    public async Task Fixed_requests_of_the_other_family_than_the_named_fixed_server_are_answered_DROP()
    {
        using var rig = DualStackRig.Start(1, 1, servers => new R2P2RouterOptions { Servers = servers, Policy = RouterPolicy.Fixed, FixedServer = servers[0] });
        var ipv4Client = rig.Client(ipv6: false, ResponseSources.AnyServer);
        var ipv6Client = rig.Client(ipv6: true, ResponseSources.AnyServer);

        using (var response = await ipv4Client.CallAsync(Hello).AsTask().WaitAsync(Payloads.Generous))
        {
            Assert.Equal(Hello, Payloads.ToArray(response.Payload));
        }

        await Assert.ThrowsAsync<R2P2DroppedException>(() => ipv6Client.CallAsync(Hello).AsTask().WaitAsync(Payloads.Generous));
        Assert.Equal(1, rig.Router.Statistics.NoServerDrops);
        Assert.Equal(0, rig.IPv6Servers[0].Statistics.Responses);
        Assert.Equal(rig.IPv4Servers[0].LocalAddress, rig.Router.FixedServer);
        Assert.Equal(new[] { true, false }, rig.Router.Servers.Select(s => s.IsFixedServer));
    }

    [NetworkFact]
    public async Task Unnamed_each_family_s_fixed_server_is_its_first_server()
    {
        using var rig = DualStackRig.Start(2, 2, servers => new R2P2RouterOptions { Servers = servers, Policy = RouterPolicy.Fixed });
        var ipv4Client = rig.Client(ipv6: false, ResponseSources.AnyServer);
        var ipv6Client = rig.Client(ipv6: true, ResponseSources.AnyServer);

        for (var i = 0; i < 4; i++)
        {
            using var first = await ipv4Client.CallAsync(Hello).AsTask().WaitAsync(Payloads.Generous);
            using var second = await ipv6Client.CallAsync(Hello).AsTask().WaitAsync(Payloads.Generous);
        }

        Assert.Equal(new long[] { 4, 0 }, rig.IPv4Servers.Select(s => s.Statistics.Responses));
        Assert.Equal(new long[] { 4, 0 }, rig.IPv6Servers.Select(s => s.Statistics.Responses));
        Assert.Equal(2, rig.Router.Servers.Count(s => s.IsFixedServer));
    }
}

/// <summary>A router's request and FEEDBACK ports are both dual-stack or neither; a single-family router keeps to its family.</summary>
[RequiresNetwork(NetworkCapability.IPv6Loopback)]
public sealed class DualStackRouterPortTests
{
    [NetworkFact]
    public void The_request_and_feedback_ports_are_both_dual_stack_or_neither()
    {
        var network = new InMemoryNetwork();
        using var forwarder = new InMemoryForwarder(network);
        using var dualStack = UdpTransport.Bind(new IPEndPoint(IPAddress.IPv6Any, 0));
        using var otherDualStack = UdpTransport.Bind(new IPEndPoint(IPAddress.IPv6Any, 0));
        using var ipv6 = UdpTransport.Bind(new IPEndPoint(IPAddress.IPv6Loopback, 0));
        var options = new R2P2RouterOptions { OwnsTransports = false };

        var error = Assert.Throws<ArgumentException>(() => new R2P2Router(dualStack, ipv6, forwarder, options));
        Assert.Contains("must both be dual-stack ([::]) or neither", error.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => new R2P2Router(ipv6, dualStack, forwarder, options));

        using (var router = new R2P2Router(dualStack, otherDualStack, forwarder, options))
        {
            Assert.True(router.IsDualStack);
            Assert.False(router.IsIPv4);
        }

        using var single = new R2P2Router(ipv6, forwarder, options);
        Assert.False(single.IsDualStack);
        var refused = Assert.Throws<ArgumentException>(() => single.AddServer(PacketAddress.Parse("127.0.0.1:9100")));
        Assert.Contains("a router on [::] serves both", refused.Message, StringComparison.Ordinal);
    }
}
