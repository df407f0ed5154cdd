using System;
using System.Buffers;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using TailGuard.R2P2;
using TailGuard.R2P2.Protocol;
using TailGuard.R2P2.Routing;
using TailGuard.Tests.R2P2.Infrastructure;
using static TailGuard.Tests.R2P2.Infrastructure.Condition;

namespace TailGuard.Tests.R2P2.Routing;

/// <summary>
/// The router between real clients and servers: conformance cases 7 and 15 through it, JBSQ end to end, DROP on the
/// servers' behalf, membership at run time, a server that dies, hostile and unknown FEEDBACK. Runs on the in-memory
/// network and on UDP loopback with a raw socket (the derived classes).
/// </summary>
public abstract class RouterTests(TestNetwork network)
{
    private static readonly byte[] Hello = "hello, router"u8.ToArray();

    /// <summary>How many stranger FEEDBACK the flood keeps waiting at the router: far below what its socket (or in-memory inbox, 4096) holds.</summary>
    private const long FloodBacklog = 256;

    protected TestNetwork Network { get; } = network;

    [NetworkFact]
    public void Case15_the_router_rewrites_only_the_destination_and_fixed_requests_go_to_the_fixed_server()
    {
        using var rig = RouterRig.StartWithPeers(Network, 3, servers => new R2P2RouterOptions { Servers = servers, FixedServer = servers[2] });
        var client = rig.Peer();

        // A load-balanced request reaches a server byte for byte, from the client's own address.
        var request = Wire.Packet(Wire.Request, Wire.OnePacket, 0x1234, 1, Hello);
        client.Send(rig.Router.LocalAddress, request);
        var arrived = ReceiveOnAnyPeer(rig);
        Assert.Equal(request, arrived.Datagram.Bytes);
        Assert.Equal(client.Address, arrived.Datagram.Source);

        // FIXED requests all go to the fixed server, and keep the client as source too.
        for (ushort rid = 1; rid <= 5; rid++)
        {
            var fixedRequest = Wire.Packet(Wire.RequestFixed, Wire.OnePacket, rid, 1, Hello);
            client.Send(rig.Router.LocalAddress, fixedRequest);
            var at = rig.Peers[2].Receive();
            Assert.Equal(fixedRequest, at.Bytes);
            Assert.Equal(client.Address, at.Source);
        }

        Assert.All(rig.Peers, peer => Assert.False(peer.TryReceive(TimeSpan.FromMilliseconds(100), out _), "a datagram too many"));
        Assert.Equal(6, rig.Router.Statistics.Forwarded);
    }

    [NetworkFact]
    public async Task Case07_a_multi_packet_request_sends_only_its_first_packet_through_the_router()
    {
        using var rig = RouterRig.Start(Network, 2, servers => new R2P2RouterOptions { Servers = servers, QueueTimeout = RouterRig.Unhurried, FeedbackTimeout = RouterRig.Unhurried });
        var client = rig.Client();
        var payload = Payloads.Make(5000, 3);

        using var response = await client.CallAsync(payload).AsTask().WaitAsync(Payloads.Generous);

        Assert.Equal(payload, Payloads.ToArray(response.Payload));
        Assert.Equal(1, rig.Router.Statistics.Requests); // packets 1..N-1 went to the server that ACKed
        Assert.Equal(0, rig.Router.Statistics.MalformedDatagrams);
        Assert.Equal(1, rig.Servers.Sum(s => s.Statistics.Acks));
        await Eventually(() => rig.Router.Statistics.Feedbacks == 1, "the FEEDBACK");
    }

    [NetworkFact]
    public async Task Calls_through_a_jbsq_router_are_answered_by_every_server_and_every_credit_comes_back()
    {
        using var rig = RouterRig.Start(Network, 3, servers => new R2P2RouterOptions { Servers = servers, Policy = RouterPolicy.BoundedShortestQueue(2), QueueTimeout = RouterRig.Unhurried, FeedbackTimeout = RouterRig.Unhurried });
        var clients = Enumerable.Range(0, 4).Select(_ => rig.Client()).ToArray();

        var calls = new List<Task>();
        for (var i = 0; i < 400; i++)
        {
            var client = clients[i % clients.Length];
            var payload = Payloads.Make(1 + (i % 300), i);
            calls.Add(Call(client, payload));
        }

        await Task.WhenAll(calls).WaitAsync(TimeSpan.FromSeconds(60));

        Assert.All(rig.Servers, server => Assert.True(server.Statistics.Responses > 0, "a server got no request"));
        Assert.Equal(400, rig.Servers.Sum(s => s.Statistics.Responses));
        await Eventually(() => rig.Router.OutstandingCount == 0 && rig.Router.Statistics.Feedbacks == 400, "every credit back");
        Assert.Equal(400, rig.Router.Statistics.Forwarded);
        Assert.Equal(0, rig.Router.Statistics.Drops);
        Assert.All(rig.Router.Servers, server => Assert.Equal(0, server.Outstanding));

        static async Task Call(R2P2Client client, byte[] payload)
        {
            using var response = await client.CallAsync(payload);
            Assert.Equal(payload, Payloads.ToArray(response.Payload));
        }
    }

    [NetworkFact]
    public async Task A_request_the_router_cannot_queue_fails_as_dropped_and_never_reaches_a_server()
    {
        using var gate = new ManualResetEventSlim();
        var handler = new GatedEcho(gate);
        // The router's timers far beyond the test: it checks a full queue, not its timeouts (at load 25, the queued
        // request outwaited the 1 s QueueTimeout default and was dropped).
        using var rig = RouterRig.Start(Network, 1, servers => new R2P2RouterOptions { Servers = servers, Policy = RouterPolicy.BoundedShortestQueue(1), QueueCapacity = 1, QueueTimeout = Payloads.Generous, FeedbackTimeout = Payloads.Generous }, _ => handler);
        var client = rig.ServerBoundClient(TimeSpan.FromMinutes(5)); // the DROP comes from the router, not a listed server
        try
        {
            var busy = client.CallAsync(Hello).AsTask();       // takes the only credit (the handler waits)
            await Eventually(() => handler.Started == 1, "the first request at the server");
            var queued = client.CallAsync(Hello).AsTask();     // waits at the router
            await Eventually(() => rig.Router.QueueLength == 1, "the second request queued");

            var refused = client.CallAsync(Hello).AsTask();    // the queue is full
            await Assert.ThrowsAsync<R2P2DroppedException>(() => refused.WaitAsync(Payloads.Generous));
            Assert.Equal(1, rig.Router.Statistics.QueueFullDrops);

            gate.Set();
            (await busy).Dispose();
            (await queued.WaitAsync(Payloads.Generous)).Dispose();
            Assert.Equal(2, handler.Started);
        }
        finally
        {
            gate.Set();
        }
    }

    [NetworkFact]
    public async Task Feedback_from_an_unknown_address_is_ignored_and_counted_and_routing_goes_on()
    {
        using var rig = RouterRig.Start(Network, 1, servers => new R2P2RouterOptions { Servers = servers, Policy = RouterPolicy.BoundedShortestQueue(1), QueueTimeout = RouterRig.Unhurried, FeedbackTimeout = RouterRig.Unhurried });
        var stranger = rig.Peer();
        var client = rig.Client();

        stranger.Send(rig.Router.FeedbackAddress, RouterWire.Feedback(1, client.LocalAddress));
        await Eventually(() => rig.Router.Statistics.UnknownFeedbacks == 1, "the unknown FEEDBACK counted");

        Assert.Equal(stranger.Address, rig.Router.LastUnknownFeedbackSource);
        Assert.Equal(0, rig.Router.Statistics.Feedbacks);
        for (var i = 0; i < 5; i++)
        {
            (await client.CallAsync(Hello).AsTask().WaitAsync(Payloads.Generous)).Dispose();
        }

        await Eventually(() => rig.Router.Statistics.Feedbacks == 5, "the servers' FEEDBACK");
        Assert.Equal(1, rig.Router.Statistics.UnknownFeedbacks);
    }

    [NetworkFact]
    public async Task A_feedback_flood_from_strangers_neither_stops_routing_nor_grows_the_router()
    {
        // The timers only catch hangs: a server's FEEDBACK waits behind the flood, a loaded machine's stalls come on top,
        // and past the default second its credit would be reclaimed and its server evicted as if dead.
        using var rig = RouterRig.Start(Network, 2, servers => new R2P2RouterOptions { Servers = servers, Policy = RouterPolicy.BoundedShortestQueue(1), QueueTimeout = RouterRig.Unhurried, FeedbackTimeout = RouterRig.Unhurried });
        var statistics = rig.Router.Statistics;
        var client = rig.Client();
        var flooders = Enumerable.Range(0, 4).Select(_ => rig.Peer()).ToArray();
        using var stop = new CancellationTokenSource();
        var sent = 0L;
        var flood = Task.Run(() =>
        {
            var random = new Random(3);
            while (!stop.IsCancellationRequested)
            {
                // As fast as the router reads, never faster: the FEEDBACK port always holds a backlog of strangers, but
                // never overflows. A flood that overruns it loses the servers' FEEDBACK with its own, and a server whose
                // FEEDBACK is lost is evicted like a dead one (docs/router.md, "What FEEDBACK does"): that is loss, which
                // the scheduler tests cover, and on the busy machine it evicted both servers here and stopped routing.
                if (Interlocked.Read(ref sent) - statistics.UnknownFeedbacks >= FloodBacklog)
                {
                    Thread.Sleep(1);
                    continue;
                }

                var feedback = RouterWire.Feedback((ushort)random.Next(65536), client.LocalAddress);
                flooders[random.Next(flooders.Length)].Send(rig.Router.FeedbackAddress, feedback);
                Interlocked.Increment(ref sent);
            }
        });

        var calls = 0;
        try
        {
            // At least 200 calls, and on until the flood is real: at load 116 its thread sent only 704 datagrams in 200.
            for (; calls < 200 || (Interlocked.Read(ref sent) <= 1000 && calls < 20_000); calls++)
            {
                var payload = Payloads.Make(64, calls);
                using var response = await client.CallAsync(payload).AsTask().WaitAsync(Payloads.Generous);
                Assert.Equal(payload, Payloads.ToArray(response.Payload));
            }
        }
        finally
        {
            await stop.CancelAsync();
            await flood;
        }

        // Every stranger's FEEDBACK read, ignored and counted; every server's own returned its request's credit, and
        // nothing else did.
        await Eventually(() => statistics.UnknownFeedbacks == Interlocked.Read(ref sent) && rig.Router.OutstandingCount == 0, "every FEEDBACK read");
        Assert.True(Interlocked.Read(ref sent) > 1000, $"the flood sent only {sent} datagrams");
        Assert.Equal(calls, statistics.Feedbacks);
        Assert.Equal(0, statistics.UnmatchedFeedbacks);
        Assert.Equal(0, statistics.ReclaimedCredits);
        Assert.Equal(0, statistics.Evictions);
        Assert.Equal(2, rig.Router.Servers.Count);
        Assert.Equal(0, rig.Router.QueueLength);
    }

    [NetworkFact]
    public async Task Datagrams_a_router_does_not_route_are_dropped_counted_and_never_forwarded()
    {
        using var rig = RouterRig.Start(Network, 1, servers => new R2P2RouterOptions { Servers = servers, QueueTimeout = RouterRig.Unhurried, FeedbackTimeout = RouterRig.Unhurried });
        var attacker = rig.Peer();
        var junk = new List<(PacketAddress To, byte[] Datagram)>
        {
            (rig.Router.LocalAddress, []),
            (rig.Router.LocalAddress, [0xCC, 0x08, 0x00]),
            (rig.Router.LocalAddress, Enumerable.Repeat((byte)0xAB, 40).ToArray()),
            (rig.Router.LocalAddress, Wire.Packet(Wire.Response, Wire.OnePacket, 1, 1, Hello)),
            (rig.Router.LocalAddress, Wire.Packet(Wire.Request, Wire.Last, 1, 2, Hello)),          // a continuation packet
            (rig.Router.LocalAddress, Wire.Packet(0x02, Wire.OnePacket, 1, 1, Hello)),              // REPLICATED
            (rig.Router.LocalAddress, Wire.Packet(0x31, Wire.OnePacket, 1, 1, "ACK"u8)),
            (rig.Router.LocalAddress, RouterWire.Feedback(1, attacker.Address)),                   // FEEDBACK on the request port
            (rig.Router.FeedbackAddress, Wire.Packet(Wire.Request, Wire.OnePacket, 1, 1, Hello)),  // a request on the FEEDBACK port
            (rig.Router.FeedbackAddress, RouterWire.Feedback(1, attacker.Address)[..15]),          // a short FEEDBACK
            (rig.Router.FeedbackAddress, [.. RouterWire.Feedback(1, attacker.Address), 0]),         // a long one
        };
        foreach (var (to, datagram) in junk)
        {
            attacker.Send(to, datagram);
        }

        await Eventually(() => rig.Router.Statistics.MalformedDatagrams == junk.Count, $"{junk.Count} malformed datagrams counted");
        Assert.Equal(0, rig.Router.Statistics.Requests);
        Assert.Equal(0, rig.Servers[0].Statistics.MalformedDatagrams + rig.Servers[0].Statistics.Requests);

        var client = rig.Client();
        (await client.CallAsync(Hello).AsTask().WaitAsync(Payloads.Generous)).Dispose();
        Assert.Equal(junk.Count, rig.Router.Statistics.MalformedDatagrams);
    }

    [NetworkFact]
    public async Task A_server_added_at_run_time_takes_requests_and_one_removed_takes_no_more()
    {
        using var rig = RouterRig.Start(Network, 1, servers => new R2P2RouterOptions { Servers = servers, Policy = RouterPolicy.BoundedShortestQueue(1), QueueTimeout = RouterRig.Unhurried, FeedbackTimeout = RouterRig.Unhurried });
        var added = rig.NewServer();
        Assert.True(rig.Router.AddServer(added.LocalAddress));
        Assert.False(rig.Router.AddServer(added.LocalAddress));
        Assert.Equal(2, rig.Router.Servers.Count);

        await CallsInParallel(rig, 60);
        Assert.True(added.Statistics.Responses > 0, "the added server got no request");
        Assert.True(rig.Servers[0].Statistics.Responses > 0, "the first server got no request");

        Assert.True(rig.Router.RemoveServer(rig.Servers[0].LocalAddress));
        var before = rig.Servers[0].Statistics.Responses;
        await CallsInParallel(rig, 30);
        Assert.Equal(before, rig.Servers[0].Statistics.Responses);
        Assert.Equal(added.LocalAddress, Assert.Single(rig.Router.Servers).Address);
    }

    [NetworkFact]
    public async Task A_server_that_dies_is_evicted_its_requests_time_out_and_the_rest_are_served()
    {
        using var rig = RouterRig.Start(Network, 3, servers => new R2P2RouterOptions { Servers = servers, Policy = RouterPolicy.BoundedShortestQueue(2), FeedbackTimeout = TimeSpan.FromSeconds(1), QueueTimeout = RouterRig.Unhurried });
        var evicted = new ConcurrentQueue<PacketAddress>();
        rig.Router.ServerEvicted += (_, server) => evicted.Enqueue(server);
        var client = rig.Client(TimeSpan.FromSeconds(3));
        await CallsInParallel(rig, 30, client);

        var dead = rig.Servers[1];
        dead.Dispose(); // its socket closes: what reaches it is lost

        var outcomes = await Task.WhenAll(Enumerable.Range(0, 60).Select(i => Outcome(client, Payloads.Make(32, i))));
        var timedOut = outcomes.Count(o => o is R2P2TimeoutException);
        Assert.All(outcomes, o => Assert.True(o is null or R2P2TimeoutException, $"unexpected {o}"));
        Assert.InRange(timedOut, 0, 2); // at most its JBSQ(2) credits were in flight on it

        await Eventually(() => evicted.Contains(dead.LocalAddress), "the dead server evicted");
        Assert.Equal(1, rig.Router.Statistics.Evictions);
        Assert.DoesNotContain(rig.Router.Servers, s => s.Address == dead.LocalAddress);

        // After the eviction nothing is lost.
        outcomes = await Task.WhenAll(Enumerable.Range(0, 60).Select(i => Outcome(client, Payloads.Make(32, i))));
        Assert.All(outcomes, Assert.Null);

        static async Task<Exception?> Outcome(R2P2Client client, byte[] payload)
        {
            try
            {
                using var response = await client.CallAsync(payload);
                return Payloads.ToArray(response.Payload).AsSpan().SequenceEqual(payload) ? null : new InvalidOperationException("wrong echo");
            }
            catch (R2P2Exception error)
            {
                return error;
            }
        }
    }

    [NetworkFact]
    public async Task A_throwing_eviction_subscriber_neither_stops_the_others_nor_the_next_eviction()
    {
        var log = new RecordingFailureLog();
        using var rig = RouterRig.Start(Network, 3, servers => new R2P2RouterOptions { Servers = servers, Policy = RouterPolicy.BoundedShortestQueue(2), FeedbackTimeout = TimeSpan.FromSeconds(1), QueueTimeout = RouterRig.Unhurried, FailureLog = log });
        var evicted = new ConcurrentQueue<PacketAddress>();
        rig.Router.ServerEvicted += (_, _) => throw new ObjectDisposedException("subscriber");
        rig.Router.ServerEvicted += (_, server) => evicted.Enqueue(server);
        var client = rig.Client(TimeSpan.FromSeconds(3));
        await CallsInParallel(rig, 30, client);

        // Two servers die one after the other: the second eviction needs the router's timer to have outlived the
        // subscriber that threw at the first.
        foreach (var dead in new[] { rig.Servers[1], rig.Servers[2] })
        {
            dead.Dispose();
            await Task.WhenAll(Enumerable.Range(0, 40).Select(async i =>
            {
                try
                {
                    using var response = await client.CallAsync(Payloads.Make(32, i));
                }
                catch (R2P2TimeoutException)
                {
                    // sent to the dead server before its eviction
                }
            }));
            await Eventually(() => evicted.Contains(dead.LocalAddress), $"{dead.LocalAddress} evicted");
        }

        Assert.Equal(2, rig.Router.Statistics.Evictions);
        Assert.Equal(2, rig.Router.Statistics.CallbackFailures);
        Assert.Equal([R2P2Failure.EventSubscriber, R2P2Failure.EventSubscriber], log.Failures);
        await CallsInParallel(rig, 30, client); // the last server still serves everything
    }

    private static async Task CallsInParallel(RouterRig rig, int count, R2P2Client? client = null)
    {
        client ??= rig.Client();
        await Task.WhenAll(Enumerable.Range(0, count).Select(async i =>
        {
            var payload = Payloads.Make(16, i);
            using var response = await client.CallAsync(payload);
            Assert.Equal(payload, Payloads.ToArray(response.Payload));
        })).WaitAsync(TimeSpan.FromSeconds(60));
    }

    private static (int Peer, Datagram Datagram) ReceiveOnAnyPeer(RouterRig rig)
    {
        var deadline = DateTime.UtcNow + Payloads.Generous;
        while (DateTime.UtcNow < deadline)
        {
            for (var i = 0; i < rig.Peers.Count; i++)
            {
                if (rig.Peers[i].TryReceive(TimeSpan.FromMilliseconds(5), out var datagram))
                {
                    return (i, datagram);
                }
            }
        }

        throw new TimeoutException("No server received the request.");
    }

    /// <summary>Echoes, but waits at the gate first (so a request holds its server's credit as long as the test wants).</summary>
    private sealed class GatedEcho(ManualResetEventSlim gate) : IR2P2Handler
    {
        private int _started;

        public int Started => Volatile.Read(ref _started);

        public void Handle(in R2P2Request request, IBufferWriter<byte> response)
        {
            Interlocked.Increment(ref _started);
            gate.Wait(Payloads.Generous);
            foreach (var segment in request.Payload)
            {
                response.Write(segment.Span);
            }
        }
    }
}

public sealed class InMemoryRouterTests() : RouterTests(new InMemoryTestNetwork());

[RequiresNetwork(NetworkCapability.RawSockets)]
public sealed class UdpRouterTests() : RouterTests(new UdpTestNetwork());

/// <summary>Every router test again with clients, router and servers on IPv6 (fd00::N): 28-byte FEEDBACK, IPv6 keys.</summary>
public sealed class InMemoryIPv6RouterTests() : RouterTests(new InMemoryTestNetwork(ipv6: true));

/// <summary>Every router test again on ::1: the raw IPv6 forwarder writes the IPv6 header and the mandatory UDP checksum.</summary>
[RequiresNetwork(NetworkCapability.RawSockets)]
public sealed class UdpIPv6RouterTests() : RouterTests(new UdpTestNetwork(ipv6: true));
