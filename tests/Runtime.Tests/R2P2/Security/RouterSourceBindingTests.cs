using System;
using System.Linq;
using System.Threading.Tasks;
using TailGuard.R2P2;
using TailGuard.Tests.R2P2.Infrastructure;

namespace TailGuard.Tests.R2P2.Security;

/// <summary>
/// Behind a router the destination is not the server, so the client cannot bind responses to it: with a configured
/// server set only those servers may answer, and in every mode the server that ACKed (or started the response) is the
/// only one that may finish the call (docs/security.md, "Source binding").
/// </summary>
public sealed class RouterSourceBindingTests : IDisposable
{
    private static readonly TimeSpan Quiet = TimeSpan.FromMilliseconds(200);
    private readonly InMemoryTestNetwork _network = new(seed: 5);
    private readonly System.Collections.Generic.List<IDisposable> _owned = [];

    [Fact]
    public async Task With_a_server_set_only_a_listed_server_may_answer_a_call_sent_to_the_router()
    {
        var router = Peer();
        var server = Peer();
        var attacker = Peer();
        var client = Client(router.Address, ResponseSources.Servers(server.Address));

        var call = client.CallAsync("x"u8.ToArray()).AsTask();
        var request = router.Receive();
        attacker.Send(client.LocalAddress, Wire.Packet(Wire.Response, Wire.OnePacket, request.RequestId, 1, "forged"u8));
        attacker.Send(client.LocalAddress, Wire.Packet(0x41, Wire.OnePacket, request.RequestId, 1, "DROP"u8));
        router.Send(client.LocalAddress, Wire.Packet(Wire.Response, Wire.OnePacket, request.RequestId, 1, "router"u8)); // not a server either
        await Condition.Eventually(() => client.Statistics.ForgedDatagrams == 3, "the forged datagrams were counted");
        Assert.False(call.IsCompleted);

        server.Send(request.Source, Wire.Packet(Wire.Response, Wire.OnePacket, request.RequestId, 1, "real"u8));
        using var response = await call.WaitAsync(Payloads.Generous);
        Assert.Equal("real"u8.ToArray(), Payloads.ToArray(response.Payload));
    }

    [Fact]
    public async Task With_a_server_set_a_DROP_from_the_router_fails_the_call_at_once_as_dropped()
    {
        var router = Peer();
        var server = Peer();
        var client = Client(router.Address, ResponseSources.Servers(server.Address));

        var call = client.CallAsync("x"u8.ToArray()).AsTask();
        var request = router.Receive();
        router.Send(client.LocalAddress, Wire.Packet(0x41, Wire.OnePacket, request.RequestId, 1, "DROP"u8)); // queue full

        // Far below the 5-minute timeout: the router's refusal is the answer.
        await Assert.ThrowsAsync<R2P2DroppedException>(() => call.WaitAsync(Payloads.Generous));
        Assert.Equal(0, client.Statistics.ForgedDatagrams);
    }

    [Fact]
    public async Task A_DROP_from_the_router_after_a_server_acked_is_refused_and_the_call_goes_on()
    {
        var router = Peer();
        var server = Peer();
        var client = Client(router.Address, ResponseSources.Servers(server.Address));

        var call = client.CallAsync(Payloads.Make(3000)).AsTask();
        var first = router.Receive();
        server.Send(first.Source, Wire.Packet(0x31, Wire.OnePacket, first.RequestId, 1, "ACK"u8));
        _ = Enumerable.Range(0, 2).Select(_ => server.Receive()).ToArray();

        router.Send(first.Source, Wire.Packet(0x41, Wire.OnePacket, first.RequestId, 1, "DROP"u8)); // the body has left
        router.Send(first.Source, Wire.Packet(0x31, Wire.OnePacket, first.RequestId, 1, "ACK"u8));  // nor an ACK
        await Condition.Eventually(() => client.Statistics.ForgedDatagrams == 2, "the router's late datagrams were counted");
        Assert.False(call.IsCompleted);

        server.Send(first.Source, Wire.Packet(Wire.Response, Wire.OnePacket, first.RequestId, 1, "acked"u8));
        using var response = await call.WaitAsync(Payloads.Generous);
        Assert.Equal("acked"u8.ToArray(), Payloads.ToArray(response.Payload));
    }

    [Fact]
    public async Task After_the_ack_only_the_server_that_acked_may_answer_even_another_listed_server()
    {
        var router = Peer();
        var server = Peer();
        var otherServer = Peer();
        var client = Client(router.Address, ResponseSources.Servers(server.Address, otherServer.Address));

        var call = client.CallAsync(Payloads.Make(3000)).AsTask();
        var first = router.Receive();
        server.Send(first.Source, Wire.Packet(0x31, Wire.OnePacket, first.RequestId, 1, "ACK"u8));
        var rest = Enumerable.Range(0, 2).Select(_ => server.Receive()).ToArray();
        Assert.All(rest, p => Assert.Equal(first.RequestId, p.RequestId));

        otherServer.Send(first.Source, Wire.Packet(Wire.Response, Wire.OnePacket, first.RequestId, 1, "other"u8));
        otherServer.Send(first.Source, Wire.Packet(0x31, Wire.OnePacket, first.RequestId, 1, "ACK"u8));
        await Condition.Eventually(() => client.Statistics.ForgedDatagrams == 2, "the other server's datagrams were counted");
        Assert.False(call.IsCompleted);

        server.Send(first.Source, Wire.Packet(Wire.Response, Wire.OnePacket, first.RequestId, 1, "acked"u8));
        using var response = await call.WaitAsync(Payloads.Generous);
        Assert.Equal("acked"u8.ToArray(), Payloads.ToArray(response.Payload));
    }

    [Fact]
    public async Task With_any_server_the_first_answer_binds_the_call_and_the_rest_of_the_response_must_follow_it()
    {
        var router = Peer();
        var server = Peer();
        var attacker = Peer();
        var client = Client(router.Address, ResponseSources.AnyServer);

        var call = client.CallAsync("x"u8.ToArray()).AsTask();
        var request = router.Receive();
        server.Send(request.Source, Wire.Packet(Wire.Response, Wire.First, request.RequestId, 2, "part one "u8));
        attacker.Send(request.Source, Wire.Packet(Wire.Response, Wire.Last, request.RequestId, 1, "forged"u8));
        await Condition.Eventually(() => client.Statistics.ForgedDatagrams == 1, "the forged packet was counted");
        server.Send(request.Source, Wire.Packet(Wire.Response, Wire.Last, request.RequestId, 1, "part two"u8));

        using var response = await call.WaitAsync(Payloads.Generous);
        Assert.Equal("part one part two"u8.ToArray(), Payloads.ToArray(response.Payload));
    }

    [Fact]
    public void An_empty_server_set_is_refused()
    {
        Assert.Throws<ArgumentException>(() => ResponseSources.Servers());
        Assert.Equal(ResponseSourceKind.Destination, new R2P2ClientOptions().ResponseSources.Kind);
    }

    public void Dispose()
    {
        for (var i = _owned.Count - 1; i >= 0; i--)
        {
            _owned[i].Dispose();
        }
    }

    private RawPeer Peer() => Own(new RawPeer(_network.Bind()));

    /// <summary>
    /// A client whose calls outlive any wait of these tests: each call must still be in flight after the forged datagrams,
    /// and the default second ran out at load 80 while a test waited for them to be counted (the call ended as a timeout,
    /// not through a forgery, and the test failed). A forged datagram never ends a call; time plays no part in what is asserted.
    /// </summary>
    private R2P2Client Client(PacketAddress destination, ResponseSources sources)
        => Own(new R2P2Client(_network.Bind(), destination, new R2P2ClientOptions { ResponseSources = sources, Timeout = TimeSpan.FromMinutes(5) }));

    private T Own<T>(T disposable)
        where T : IDisposable
    {
        _owned.Add(disposable);
        return disposable;
    }
}
