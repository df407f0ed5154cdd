using System;
using System.Buffers;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;
using TailGuard.R2P2;
using TailGuard.R2P2.Security;
using TailGuard.R2P2.Simulation;
using TailGuard.Tests.R2P2.Infrastructure;

namespace TailGuard.Tests.R2P2.Security;

/// <summary>
/// docs/security.md read as an outsider would, through the public API only: every row of "Hard ceilings" exactly at
/// its ceiling and one over; a per-call timeout held to the same ceiling as the option; the per-source shares'
/// defaults (a quarter) with an IPv6 /64 as one source; <c>MaxInFlightPerSource</c> over a /64; and a DROP after the
/// first packet of a one-packet call's response (source binding: "before any response packet").
/// </summary>
public sealed class SecurityContractTests : IDisposable
{
    private const int MiB = 1024 * 1024;
    private readonly InMemoryNetwork _network = new(seed: 22, inboxCapacity: 65_536);
    private readonly List<IDisposable> _owned = [];
    private int _nextPort = 9000;

    public static TheoryData<string> ServerBounds => new()
    {
        "MaxRequestBytes", "MaxPendingReassemblies", "MaxReassemblyBytes", "MaxDeferredResponses", "MaxInFlightPerSource",
        "ReceiveBatchSize", "ReassemblyTimeout", "ResponseTimeout",
    };

    public static TheoryData<string> ClientBounds => new() { "MaxResponseBytes", "ReceiveBatchSize", "Timeout", "RequestIdQuarantine" };

    [Theory]
    [MemberData(nameof(ServerBounds))]
    public void A_server_bound_is_taken_at_its_documented_ceiling_and_refused_one_over(string bound)
    {
        using (Server(ServerAt(bound, over: false)))
        {
        }

        var error = Assert.ThrowsAny<ArgumentException>(() => Server(ServerAt(bound, over: true)).Dispose());
        Assert.Contains(bound, error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(ClientBounds))]
    public void A_client_bound_is_taken_at_its_documented_ceiling_and_refused_one_over(string bound)
    {
        using (Client(PacketAddress.Parse("10.0.0.1:9000"), ClientAt(bound, over: false)))
        {
        }

        var error = Assert.ThrowsAny<ArgumentException>(() => Client(PacketAddress.Parse("10.0.0.1:9000"), ClientAt(bound, over: true)).Dispose());
        Assert.Contains(bound, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_per_call_timeout_is_held_to_the_call_timeout_ceiling()
    {
        var server = Own(new R2P2Server(Bind("10.0.0.1"), new EchoHandler()));
        var client = Own(Client(server.LocalAddress, new R2P2ClientOptions()));

        // Exactly one hour is a timeout like any other: the echo answers.
        using (var response = await client.CallAsync("x"u8.ToArray(), RoutingPolicy.LoadBalanced, TimeSpan.FromHours(1)).AsTask().WaitAsync(Payloads.Generous))
        {
            Assert.Equal("x"u8.ToArray(), Payloads.ToArray(response.Payload));
        }

        // Above it (up to "no timeout at all"), the call is refused before anything is sent, as the option would be.
        var before = client.Statistics.Requests;
        foreach (var timeout in new[] { TimeSpan.FromHours(1) + TimeSpan.FromTicks(1), TimeSpan.FromDays(365 * 300), TimeSpan.MaxValue })
        {
            Assert.Throws<ArgumentOutOfRangeException>(() => { _ = client.CallAsync("x"u8.ToArray(), RoutingPolicy.LoadBalanced, timeout).AsTask(); }); // refused synchronously, as a bad timeout is
            Assert.Throws<ArgumentOutOfRangeException>(() => client.TryCallAsync("x"u8.ToArray(), out _, timeout: timeout));
        }

        Assert.Equal(before, client.Statistics.Requests);
    }

    [Fact]
    public async Task The_per_source_reassembly_share_defaults_to_a_quarter_and_an_IPv6_64_is_one_source()
    {
        // MaxPendingReassemblies 8: a quarter is 2 per source.
        var server = Own(new R2P2Server(Bind("fd00::1"), new EchoHandler(), new R2P2ServerOptions { MaxPendingReassemblies = 8 }));

        // Three hosts of one /64, each on its own port: one source, so its third request evicts its own first.
        var sameNet = new[] { Peer("fd00:0:0:6::a"), Peer("fd00:0:0:6::b"), Peer("fd00:0:0:6:ffff:ffff:ffff:ffff") };
        SendFirstOnlyAndAwaitAcks(server.LocalAddress, sameNet);
        await Condition.Eventually(() => server.Statistics.ReassemblyEvictions == 1 && server.PendingReassemblies == 2, "one eviction, two pending");

        // Three hosts of three other /64s: three sources, each within its share; nothing more is evicted.
        var otherNets = new[] { Peer("fd00:0:0:7::a"), Peer("fd00:0:0:8::a"), Peer("fd00:1::a") };
        SendFirstOnlyAndAwaitAcks(server.LocalAddress, otherNets);
        await Condition.Eventually(() => server.PendingReassemblies == 5, "five pending");
        Assert.Equal(1, server.Statistics.ReassemblyEvictions);

        // An honest client of yet another /64 still gets a multi-packet request through.
        var honest = Own(Client(server.LocalAddress, new R2P2ClientOptions { Timeout = Payloads.Generous }, Bind("fd00:0:0:9::1")));
        var body = Payloads.Make(3000);
        using var echoed = await honest.CallAsync(body).AsTask().WaitAsync(Payloads.Generous);
        Assert.Equal(body, Payloads.ToArray(echoed.Payload));
        Assert.Equal(1, server.Statistics.ReassemblyEvictions);
    }

    [Fact]
    public async Task MaxInFlightPerSource_counts_an_IPv6_64_as_one_source_whatever_the_host_and_port()
    {
        var handler = new DeferringHandler();
        var server = Own(new R2P2Server(Bind("fd00::1"), handler, new R2P2ServerOptions { MaxInFlightPerSource = 1 }));
        var first = Own(Client(server.LocalAddress, new R2P2ClientOptions { Timeout = Payloads.Generous }, Bind("fd00:0:0:5::1")));
        var sameNet = Own(Client(server.LocalAddress, new R2P2ClientOptions { Timeout = Payloads.Generous }, Bind("fd00:0:0:5::2")));
        var otherNet = Own(Client(server.LocalAddress, new R2P2ClientOptions { Timeout = Payloads.Generous }, Bind("fd00:0:0:4::1")));

        var held = first.CallAsync("1"u8.ToArray()).AsTask();
        await Condition.Eventually(() => handler.Pending == 1, "the first request was deferred");

        await Assert.ThrowsAsync<R2P2DroppedException>(() => sameNet.CallAsync("2"u8.ToArray()).AsTask().WaitAsync(Payloads.Generous));
        var admitted = otherNet.CallAsync("3"u8.ToArray()).AsTask();
        await Condition.Eventually(() => handler.Pending == 2, "the other /64 was admitted");

        handler.AnswerAll();
        using (await held.WaitAsync(Payloads.Generous))
        using (await admitted.WaitAsync(Payloads.Generous))
        {
        }

        Assert.Equal(1, server.Statistics.Drops);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_DROP_after_the_first_packet_of_the_response_to_a_one_packet_call_is_ignored(bool udp)
    {
        TestNetwork network = udp ? new UdpTestNetwork() : new InMemoryTestNetwork(seed: 5);
        var server = Own(new RawPeer(network.Bind()));
        var client = Own(new R2P2Client(network.Bind(), server.Address, new R2P2ClientOptions { Timeout = Payloads.Generous }));

        var call = client.CallAsync("one packet"u8.ToArray()).AsTask();
        var request = server.Receive();
        Assert.Equal(Wire.OnePacket, request.Flags);

        // The server has started answering, so its handler ran: a DROP now must not say "never ran, safe to retry".
        server.Send(request.Source, Wire.Packet(Wire.Response, Wire.First, request.RequestId, 2, "first "u8));
        server.Send(request.Source, Wire.Packet(0x41, Wire.OnePacket, request.RequestId, 1, "DROP"u8));
        server.Send(request.Source, Wire.Packet(Wire.Response, Wire.Last, request.RequestId, 1, "half"u8));

        using var response = await call.WaitAsync(Payloads.Generous);
        Assert.Equal("first half"u8.ToArray(), Payloads.ToArray(response.Payload));
        Assert.Equal(0, client.Statistics.Drops);
    }

    [Fact]
    public void A_key_in_use_is_refused_to_a_second_client_even_as_another_copy_of_the_same_secret()
    {
        // "A second client in the same process given a key in use is refused": nonces are unique only within one
        // client, and AES-GCM's nonce does not include the key id, so a copy of the secret is the same key.
        using var key = R2P2Key.Generate(id: 42);
        var secret = new byte[key.Length];
        key.ExportSecret(secret);
        using var copy = new R2P2Key(42, secret);
        using var renamed = new R2P2Key(43, secret);
        var server = PacketAddress.Parse("10.0.0.1:9000");

        var first = Client(server, new R2P2ClientOptions { AuthenticationKey = key });
        Assert.Contains("already authenticates another client", Assert.Throws<ArgumentException>(() => Client(server, new R2P2ClientOptions { AuthenticationKey = copy })).Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => Client(server, new R2P2ClientOptions { AuthenticationKey = renamed }));
        Assert.Throws<ArgumentException>(() => Client(server, new R2P2ClientOptions { AuthenticationKey = key }));

        // Disposed (twice), the first client lets the key go: one copy may serve again, and only one.
        first.Dispose();
        first.Dispose();
        using var second = Client(server, new R2P2ClientOptions { AuthenticationKey = copy });
        Assert.Throws<ArgumentException>(() => Client(server, new R2P2ClientOptions { AuthenticationKey = key }));
    }

    public void Dispose()
    {
        for (var i = _owned.Count - 1; i >= 0; i--)
        {
            _owned[i].Dispose();
        }
    }

    /// <summary>The documented ceiling of a server bound (docs/security.md, "Hard ceilings"), or one over it.</summary>
    private static R2P2ServerOptions ServerAt(string bound, bool over)
    {
        var extra = over ? 1 : 0;
        var tick = over ? TimeSpan.FromTicks(1) : TimeSpan.Zero;
        return bound switch
        {
            "MaxRequestBytes" => new R2P2ServerOptions { MaxRequestBytes = (64 * MiB) + extra },
            "MaxPendingReassemblies" => new R2P2ServerOptions { MaxPendingReassemblies = 65_536 + extra },
            "MaxReassemblyBytes" => new R2P2ServerOptions { MaxReassemblyBytes = (1L << 30) + extra },
            "MaxDeferredResponses" => new R2P2ServerOptions { MaxDeferredResponses = 1_048_576 + extra },
            "MaxInFlightPerSource" => new R2P2ServerOptions { MaxInFlightPerSource = 1_048_576 + extra },
            "ReceiveBatchSize" => new R2P2ServerOptions { ReceiveBatchSize = 1024 + extra },
            "ReassemblyTimeout" => new R2P2ServerOptions { ReassemblyTimeout = TimeSpan.FromSeconds(60) + tick },
            "ResponseTimeout" => new R2P2ServerOptions { ResponseTimeout = TimeSpan.FromHours(1) + tick },
            _ => throw new ArgumentOutOfRangeException(nameof(bound), bound, "not a bound of the table"),
        };
    }

    /// <summary>The documented ceiling of a client bound, or one over it.</summary>
    private static R2P2ClientOptions ClientAt(string bound, bool over)
    {
        var extra = over ? 1 : 0;
        var tick = over ? TimeSpan.FromTicks(1) : TimeSpan.Zero;
        return bound switch
        {
            "MaxResponseBytes" => new R2P2ClientOptions { MaxResponseBytes = (64 * MiB) + extra },
            "ReceiveBatchSize" => new R2P2ClientOptions { ReceiveBatchSize = 1024 + extra },
            "Timeout" => new R2P2ClientOptions { Timeout = TimeSpan.FromHours(1) + tick },
            "RequestIdQuarantine" => new R2P2ClientOptions { RequestIdQuarantine = TimeSpan.FromHours(1) + tick },
            _ => throw new ArgumentOutOfRangeException(nameof(bound), bound, "not a bound of the table"),
        };
    }

    private R2P2Server Server(R2P2ServerOptions options) => new(Bind("10.0.0.1"), new EchoHandler(), options);

    private R2P2Client Client(PacketAddress destination, R2P2ClientOptions options, PacketTransport? transport = null)
        => new(transport ?? Bind("10.0.0.2"), destination, options);

    /// <summary>A fresh endpoint on <paramref name="host"/> (IPv4 or IPv6), on a port of its own.</summary>
    private InMemoryTransport Bind(string host)
    {
        var port = Interlocked.Increment(ref _nextPort);
        return _network.Bind(host.Contains(':', StringComparison.Ordinal) ? $"[{host}]:{port}" : $"{host}:{port}");
    }

    private RawPeer Peer(string host) => Own(new RawPeer(Bind(host)));

    /// <summary>Each peer sends the FIRST packet of a 3-packet request and nothing more; returns once each has its ACK (the server has read them all).</summary>
    private static void SendFirstOnlyAndAwaitAcks(PacketAddress server, RawPeer[] peers)
    {
        ushort rid = 100;
        foreach (var peer in peers)
        {
            peer.Send(server, Wire.Packet(Wire.Request, Wire.First, rid++, 3, new byte[14]));
        }

        foreach (var peer in peers)
        {
            var ack = peer.Receive();
            Assert.Equal(0x30, ack.TypePolicy & 0xF0);
        }
    }

    private T Own<T>(T disposable)
        where T : IDisposable
    {
        _owned.Add(disposable);
        return disposable;
    }
}
