using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading.Tasks;
using TailGuard.R2P2;
using TailGuard.Tests.R2P2.Infrastructure;
using static TailGuard.Tests.R2P2.Infrastructure.Condition;

namespace TailGuard.Tests.R2P2;

/// <summary>
/// The conformance cases 1-14 of docs/design/r2p2.md, each against real clients and servers and raw peers that play the
/// other side byte for byte. Runs on the in-memory network and on UDP loopback, over IPv4 and IPv6 (the derived classes).
/// </summary>
public abstract class ConformanceTests : IDisposable
{
    private static readonly TimeSpan Quiet = TimeSpan.FromMilliseconds(300);
    private readonly List<IDisposable> _owned = [];

    protected ConformanceTests(TestNetwork network) => Network = network;

    protected TestNetwork Network { get; }

    [NetworkFact]
    public async Task Case01_worked_bytes_of_a_one_packet_request_are_exact_on_the_wire()
    {
        var server = Peer();
        var client = Client(server.Address);
        client.SetNextRequestId(1);

        var call = client.CallAsync("1234"u8.ToArray());
        var request = server.Receive();

        Assert.Equal(new byte[] { 0xCC, 0x08, 0x00, 0xC0, 0x00, 0x01, 0x00, 0x01, 0x31, 0x32, 0x33, 0x34 }, request.Bytes);
        Assert.Equal(client.LocalAddress, request.Source);
        server.Send(request.Source, Wire.Packet(Wire.Response, Wire.OnePacket, 1, 1, "ok"u8));
        using var response = await call.AsTask().WaitAsync(Payloads.Generous);
        Assert.Equal("ok"u8.ToArray(), Payloads.ToArray(response.Payload));
    }

    [NetworkTheory]
    [InlineData(0, 1)]
    [InlineData(1, 1)]
    [InlineData(1464, 1)]
    [InlineData(1465, 2)]
    public void Case02_up_to_1464_bytes_is_one_packet_and_1465_is_multi_packet(int length, int packets)
    {
        var server = Peer();
        var client = Client(server.Address);

        var call = client.CallAsync(Payloads.Make(length)).AsTask();
        var first = server.Receive();

        if (packets == 1)
        {
            Assert.Equal(0xC0, first.Flags);
            Assert.Equal(1, first.PacketOrder);
            Assert.Equal(8 + length, first.Bytes.Length);
            Assert.Equal(Payloads.Make(length), first.Payload);
        }
        else
        {
            Assert.Equal(0x80, first.Flags);
            Assert.Equal(packets, first.PacketOrder);
            Assert.Equal(8 + 14, first.Bytes.Length);
        }
    }

    [NetworkFact]
    public async Task Case03_a_3000_byte_request_splits_14_1464_1464_58_with_orders_4_1_2_3()
    {
        var server = Peer();
        var client = Client(server.Address);
        var payload = Payloads.Make(3000);

        var call = client.CallAsync(payload);
        var packets = new List<Datagram> { server.Receive() };
        server.Send(packets[0].Source, Wire.Packet(0x31, Wire.OnePacket, packets[0].RequestId, 1, "ACK"u8));
        packets.Add(server.Receive());
        packets.Add(server.Receive());
        packets.Add(server.Receive());

        Assert.Equal([14, 1464, 1464, 58], packets.Select(p => p.Payload.Length));
        Assert.Equal([4, 1, 2, 3], packets.Select(p => (int)p.PacketOrder));
        Assert.Equal([0x80, 0x00, 0x00, 0x40], packets.Select(p => (int)p.Flags));
        Assert.All(packets, p => Assert.Equal(0x00, p.TypePolicy));
        Assert.Equal(payload, packets.SelectMany(p => p.Payload).ToArray());

        server.Send(packets[0].Source, Wire.Packet(Wire.Response, Wire.OnePacket, packets[0].RequestId, 1));
        using var response = await call.AsTask().WaitAsync(Payloads.Generous);
    }

    [NetworkFact]
    public void Case04_a_3000_byte_response_splits_1464_1464_72_with_orders_3_1_2()
    {
        var handler = new FixedResponseHandler(Payloads.Make(3000, tag: 5));
        var server = Server(handler);
        var client = Peer();

        client.Send(server.LocalAddress, Wire.Packet(Wire.Request, Wire.OnePacket, 77, 1, "x"u8));
        var packets = new[] { client.Receive(), client.Receive(), client.Receive() };

        Assert.Equal([1464, 1464, 72], packets.Select(p => p.Payload.Length));
        Assert.Equal([3, 1, 2], packets.Select(p => (int)p.PacketOrder));
        Assert.Equal([0x80, 0x00, 0x40], packets.Select(p => (int)p.Flags));
        Assert.All(packets, p => Assert.Equal(0x11, p.TypePolicy));
        Assert.All(packets, p => Assert.Equal(77, p.RequestId));
        Assert.Equal(Payloads.Make(3000, tag: 5), packets.SelectMany(p => p.Payload).ToArray());
    }

    [NetworkFact]
    public void Case05_a_multi_packet_request_sends_only_packet_0_before_the_ack()
    {
        var server = Peer();
        var client = Client(server.Address);

        var call = client.CallAsync(Payloads.Make(5000)).AsTask();
        var first = server.Receive();

        Assert.Equal(0x80, first.Flags);
        Assert.False(server.TryReceive(Quiet, out _), "a continuation left before the ACK");
        server.Send(first.Source, Wire.Packet(0x31, Wire.OnePacket, first.RequestId, 1, "ACK"u8));
        Assert.Equal(1, server.Receive().PacketOrder);
    }

    [NetworkFact]
    public void Case06_the_ack_is_exactly_11_bytes_to_the_first_packets_source_and_nothing_is_delivered_yet()
    {
        var handler = new EchoHandler();
        var server = Server(handler);
        var client = Peer();
        var packets = Wire.SplitRequest(Payloads.Make(2000), rid: 0x0102);

        client.Send(server.LocalAddress, packets[0]);
        var ack = client.Receive();

        Assert.Equal(new byte[] { 0xCC, 0x08, 0x31, 0xC0, 0x01, 0x02, 0x00, 0x01, (byte)'A', (byte)'C', (byte)'K' }, ack.Bytes);
        Assert.Equal(server.LocalAddress, ack.Source);
        Assert.Equal(0, handler.Calls);
        Assert.Equal(1, server.PendingReassembliesEventually(1));
    }

    [NetworkFact]
    public async Task Case07_after_the_ack_the_rest_goes_to_the_acks_source_even_through_a_router()
    {
        var router = Peer();
        var server = Peer();
        var client = Client(router.Address, new R2P2ClientOptions { Timeout = Payloads.Generous, ResponseSources = ResponseSources.Servers(server.Address) }); // behind a router (docs/security.md)
        var payload = Payloads.Make(4000);

        var call = client.CallAsync(payload);
        var first = router.Receive();
        server.Send(first.Source, Wire.Packet(0x31, Wire.OnePacket, first.RequestId, 1, "ACK"u8));
        var rest = new[] { server.Receive(), server.Receive() };

        Assert.Equal([1, 2], rest.Select(p => (int)p.PacketOrder));
        Assert.All(rest, p => Assert.Equal(client.LocalAddress, p.Source));
        Assert.False(router.TryReceive(Quiet, out _), "a continuation went to the router");
        server.Send(first.Source, Wire.Packet(Wire.Response, Wire.OnePacket, first.RequestId, 1, "done"u8));
        using var response = await call.AsTask().WaitAsync(Payloads.Generous);
        Assert.Equal("done"u8.ToArray(), Payloads.ToArray(response.Payload));
    }

    [NetworkFact]
    public void Case08_a_request_is_delivered_once_whole_and_in_order_only_when_complete()
    {
        var handler = new EchoHandler();
        var server = Server(handler);
        var client = Peer();
        var payload = Payloads.Make(4000, tag: 3);
        var packets = Wire.SplitRequest(payload, rid: 9);

        client.Send(server.LocalAddress, packets[0]);
        client.Receive(); // ACK
        Assert.Equal(4, packets.Length);
        client.Send(server.LocalAddress, packets[3]); // reordering inside a message is tolerated
        client.Send(server.LocalAddress, packets[2]);
        Assert.False(client.TryReceive(Quiet, out _));
        Assert.Equal(0, handler.Calls);
        client.Send(server.LocalAddress, packets[1]);
        var echoed = ReceiveResponse(client, 9);

        Assert.Equal(payload, echoed);
        Assert.Equal(1, handler.Calls);
        Assert.Equal(0, server.PendingReassembliesEventually(0));
    }

    [NetworkFact]
    public void Case08_duplicate_and_out_of_range_indices_count_mismatches_and_orphans_deliver_nothing()
    {
        var handler = new EchoHandler();
        var server = Server(handler);
        var client = Peer();
        var packets = Wire.SplitRequest(Payloads.Make(4000), rid: 20);

        // A duplicate index discards the request; its later packets are then orphans.
        client.Send(server.LocalAddress, packets[0]);
        client.Receive();
        client.Send(server.LocalAddress, packets[1]);
        client.Send(server.LocalAddress, packets[1]);
        client.Send(server.LocalAddress, packets[2]);

        // An index >= N.
        var outOfRange = Wire.SplitRequest(Payloads.Make(4000), rid: 21);
        client.Send(server.LocalAddress, outOfRange[0]);
        client.Receive();
        client.Send(server.LocalAddress, Wire.Packet(Wire.Request, Wire.Last, 21, 4, new byte[10])); // N is 4

        // A count mismatch: LAST on index 1 of 4.
        var mismatch = Wire.SplitRequest(Payloads.Make(4000), rid: 22);
        client.Send(server.LocalAddress, mismatch[0]);
        client.Receive();
        client.Send(server.LocalAddress, Wire.Packet(Wire.Request, Wire.Last, 22, 1, new byte[10]));

        // A continuation with no pending state.
        client.Send(server.LocalAddress, Wire.Packet(Wire.Request, 0, 23, 1, new byte[10]));

        Assert.False(client.TryReceive(Quiet, out _), "something was answered");
        Assert.Equal(0, handler.Calls);

        // A barrier, not a wait: the server takes one source's datagrams in order, so once a last, valid request is
        // answered, every datagram above has been counted (a quiet wait bounds nothing on a loaded machine).
        client.Send(server.LocalAddress, Wire.Packet(Wire.Request, Wire.OnePacket, 24, 1, "last"u8));
        Assert.Equal("last"u8.ToArray(), ReceiveResponse(client, 24));
        Assert.Equal(1, handler.Calls); // the barrier's own
        Assert.Equal(3, server.Statistics.ReassemblyEvictions);
        Assert.Equal(0, server.PendingReassembliesEventually(0));
        Assert.True(server.Statistics.MalformedDatagrams >= 4);
    }

    [NetworkFact]
    public void Case09_equal_rids_from_different_sources_are_reassembled_independently()
    {
        var server = Server(new EchoHandler());
        var a = Peer();
        var b = Peer();
        var payloadA = Payloads.Make(3500, tag: 1);
        var payloadB = Payloads.Make(3500, tag: 2);
        var packetsA = Wire.SplitRequest(payloadA, rid: 42);
        var packetsB = Wire.SplitRequest(payloadB, rid: 42);

        a.Send(server.LocalAddress, packetsA[0]);
        b.Send(server.LocalAddress, packetsB[0]);
        a.Receive();
        b.Receive();
        for (var i = 1; i < packetsA.Length; i++)
        {
            b.Send(server.LocalAddress, packetsB[i]);
            a.Send(server.LocalAddress, packetsA[i]);
        }

        Assert.Equal(payloadA, ReceiveResponse(a, 42));
        Assert.Equal(payloadB, ReceiveResponse(b, 42));
    }

    [NetworkFact]
    public async Task Case10_an_out_of_order_response_fails_the_call_exactly_once()
    {
        var server = Peer();
        var client = Client(server.Address);

        var call = client.CallAsync("q"u8.ToArray());
        var request = server.Receive();
        server.Send(request.Source, Wire.Packet(Wire.Response, 0, request.RequestId, 1, new byte[100])); // a continuation first
        await Assert.ThrowsAsync<R2P2MalformedResponseException>(() => call.AsTask().WaitAsync(Payloads.Generous));

        // Whatever follows for that rid is ignored: the call already ended.
        server.Send(request.Source, Wire.Packet(Wire.Response, Wire.First, request.RequestId, 2, new byte[100]));
        server.Send(request.Source, Wire.Packet(Wire.Response, Wire.Last, request.RequestId, 1, new byte[100]));
        await Eventually(() => client.Statistics.MalformedDatagrams >= 2);
        Assert.Equal(1, client.Statistics.MalformedResponses);
        Assert.Equal(0, client.Statistics.Responses);
        Assert.Equal(0, client.InFlightCount);
    }

    [NetworkFact]
    public async Task Case10_a_malformed_response_header_fails_nothing_but_a_gap_fails_the_call_once()
    {
        var server = Peer();
        var client = Client(server.Address);

        var call = client.CallAsync("q"u8.ToArray());
        var request = server.Receive();
        var badMagic = Wire.Packet(Wire.Response, Wire.OnePacket, request.RequestId, 1, "x"u8);
        badMagic[0] = 0xCD;
        server.Send(request.Source, badMagic); // untrusted header: dropped, the call goes on
        server.Send(request.Source, Wire.Packet(Wire.Response, Wire.First, request.RequestId, 3, new byte[10]));
        server.Send(request.Source, Wire.Packet(Wire.Response, Wire.Last, request.RequestId, 2, new byte[10])); // index 1 missing

        await Assert.ThrowsAsync<R2P2MalformedResponseException>(() => call.AsTask().WaitAsync(Payloads.Generous));
        Assert.Equal(1, client.Statistics.MalformedResponses);
        Assert.True(client.Statistics.MalformedDatagrams >= 1);
    }

    [NetworkFact]
    public async Task Case11_a_timeout_fires_once_nothing_is_retransmitted_and_a_late_response_is_ignored()
    {
        var server = Peer();
        var client = Client(server.Address, new R2P2ClientOptions { Timeout = TimeSpan.FromMilliseconds(200) });

        var call = client.CallAsync("late"u8.ToArray());
        var request = server.Receive();
        await Assert.ThrowsAsync<R2P2TimeoutException>(() => call.AsTask().WaitAsync(Payloads.Generous));

        Assert.False(server.TryReceive(Quiet, out _), "the client retransmitted");
        server.Send(request.Source, Wire.Packet(Wire.Response, Wire.OnePacket, request.RequestId, 1, "late"u8));
        await Eventually(() => client.Statistics.MalformedDatagrams == 1);
        Assert.Equal(1, client.Statistics.Timeouts);
        Assert.Equal(0, client.Statistics.Responses);
        Assert.Equal(0, client.InFlightCount);
    }

    [NetworkFact]
    public async Task Case11_a_multi_packet_call_whose_ack_never_comes_times_out_once()
    {
        var server = Peer();
        var client = Client(server.Address, new R2P2ClientOptions { Timeout = TimeSpan.FromMilliseconds(200) });

        var call = client.CallAsync(Payloads.Make(3000));
        var first = server.Receive();
        await Assert.ThrowsAsync<R2P2TimeoutException>(() => call.AsTask().WaitAsync(Payloads.Generous));
        server.Send(first.Source, Wire.Packet(0x31, Wire.OnePacket, first.RequestId, 1, "ACK"u8));

        Assert.False(server.TryReceive(Quiet, out _), "packets left after the timeout");
        Assert.Equal(1, client.Statistics.Timeouts);
    }

    [NetworkFact]
    public async Task Case12_rids_wrap_modulo_65536_and_skip_rids_still_in_flight()
    {
        var server = Peer();
        var client = Client(server.Address, new R2P2ClientOptions { Timeout = Payloads.Generous }); // the held calls must stay in flight on a busy machine

        // Two calls held in flight at chosen rids (the order of rids is keyed per client; the test hook picks the next).
        client.SetNextRequestId(1);
        var held1 = client.CallAsync("a"u8.ToArray());
        Assert.Equal(1, server.Receive().RequestId);
        client.SetNextRequestId(65535);
        var held2 = client.CallAsync("b"u8.ToArray());
        Assert.Equal(65535, server.Receive().RequestId);

        // Pointed at a rid in flight, the allocator skips it; answered calls free their rids at once.
        var seen = new List<int>();
        foreach (var next in new ushort[] { 1, 65535, 0, 0 })
        {
            client.SetNextRequestId(next);
            var call = client.CallAsync("c"u8.ToArray());
            var request = server.Receive();
            seen.Add(request.RequestId);
            server.Send(request.Source, Wire.Packet(Wire.Response, Wire.OnePacket, request.RequestId, 1));
            using var response = await call.AsTask().WaitAsync(Payloads.Generous);
        }

        Assert.DoesNotContain(1, seen.Take(2));
        Assert.DoesNotContain(65535, seen.Take(2));
        Assert.Equal([0, 0], seen.Skip(2));
        Assert.Equal(2, client.InFlightCount);
        GC.KeepAlive(held1);
        GC.KeepAlive(held2);
    }

    [NetworkFact]
    public async Task Case12_rids_of_concurrent_calls_in_flight_are_unique()
    {
        var server = Peer();
        var client = Client(server.Address);

        var calls = Enumerable.Range(0, 100).Select(_ => client.CallAsync("x"u8.ToArray()).AsTask()).ToList();
        var rids = Enumerable.Range(0, 100).Select(_ => server.Receive()).ToList();

        Assert.Equal(100, rids.Select(r => r.RequestId).Distinct().Count());
        foreach (var request in rids)
        {
            server.Send(request.Source, Wire.Packet(Wire.Response, Wire.OnePacket, request.RequestId, 1));
        }

        foreach (var response in await Task.WhenAll(calls).WaitAsync(Payloads.Generous))
        {
            response.Dispose();
        }
    }

    [NetworkFact]
    public async Task Case13_a_refused_request_gets_the_12_byte_drop_and_the_handler_does_not_run()
    {
        var handler = new EchoHandler();
        var server = Server(handler, new R2P2ServerOptions { AdmissionPolicy = new MaxInFlightAdmissionPolicy(0) });
        var raw = Peer();

        raw.Send(server.LocalAddress, Wire.Packet(Wire.Request, Wire.OnePacket, 0x0A0B, 1, "hi"u8));
        var drop = raw.Receive();
        raw.Send(server.LocalAddress, Wire.SplitRequest(Payloads.Make(3000), 0x0A0C)[0]);
        var multiDrop = raw.Receive();

        Assert.Equal(new byte[] { 0xCC, 0x08, 0x41, 0xC0, 0x0A, 0x0B, 0x00, 0x01, (byte)'D', (byte)'R', (byte)'O', (byte)'P' }, drop.Bytes);
        Assert.Equal(0x41, multiDrop.TypePolicy); // DROP, not ACK, for a multi-packet request too
        Assert.Equal(0x0A0C, multiDrop.RequestId);

        var client = Client(server.LocalAddress);
        await Assert.ThrowsAsync<R2P2DroppedException>(() => client.CallAsync("hi"u8.ToArray()).AsTask().WaitAsync(Payloads.Generous));
        await Assert.ThrowsAsync<R2P2DroppedException>(() => client.CallAsync(Payloads.Make(3000)).AsTask().WaitAsync(Payloads.Generous));
        Assert.Equal(0, handler.Calls);
        Assert.Equal(4, server.Statistics.Drops);
        Assert.Equal(2, client.Statistics.Drops);
    }

    [NetworkFact]
    public virtual void Case14_the_response_goes_to_the_source_and_exactly_one_feedback_follows()
    {
        var router = Peer();
        var server = Server(new FixedResponseHandler("pong"u8.ToArray()), new R2P2ServerOptions { RouterAddress = router.Address });
        var client = Peer();

        client.Send(server.LocalAddress, Wire.Packet(Wire.Request, Wire.OnePacket, 0x1234, 1, "ping"u8));
        var response = client.Receive();
        var feedback = router.Receive();

        Assert.Equal(Wire.Packet(Wire.Response, Wire.OnePacket, 0x1234, 1, "pong"u8), response.Bytes);
        Assert.Equal(server.LocalAddress, response.Source);
        // The client's address as it is: 4 bytes (the reference's 16-byte FEEDBACK) or, over IPv6, 16 (28 bytes in all;
        // docs/router.md, "IPv6").
        byte[] ip = client.Address.ToEndPoint().Address.GetAddressBytes();
        byte[] expected = [0xCC, 0x08, 0x20, 0, 0, 0, 0, 0, 0x12, 0x34, (byte)(client.Address.Port >> 8), (byte)client.Address.Port, .. ip];
        Assert.Equal(expected, feedback.Bytes);
        Assert.Equal(server.LocalAddress, feedback.Source);
        Assert.False(router.TryReceive(Quiet, out _), "more than one FEEDBACK");
        Assert.False(client.TryReceive(TimeSpan.FromMilliseconds(50), out _), "more than one response");
    }

    [NetworkFact]
    public void Case14_without_a_router_no_feedback_is_sent_and_a_fixed_request_is_answered_the_same()
    {
        var server = Server(new EchoHandler());
        var client = Peer();

        client.Send(server.LocalAddress, Wire.Packet(Wire.RequestFixed, Wire.OnePacket, 5, 1, "abc"u8));
        var response = client.Receive();

        Assert.Equal(Wire.Packet(Wire.Response, Wire.OnePacket, 5, 1, "abc"u8), response.Bytes);
        Assert.Equal(0, server.Statistics.Feedbacks);
    }

    public void Dispose()
    {
        for (var i = _owned.Count - 1; i >= 0; i--)
        {
            _owned[i].Dispose();
        }

        GC.SuppressFinalize(this);
    }

    private static byte[] ReceiveResponse(RawPeer peer, ushort rid)
    {
        var first = peer.Receive();
        Assert.Equal(0x11, first.TypePolicy);
        Assert.Equal(rid, first.RequestId);
        if (first.Flags == Wire.OnePacket)
        {
            return first.Payload;
        }

        var payload = new List<byte>(first.Payload);
        for (var i = 1; i < first.PacketOrder; i++)
        {
            var next = peer.Receive();
            Assert.Equal(i, next.PacketOrder);
            Assert.Equal(rid, next.RequestId);
            payload.AddRange(next.Payload);
        }

        return [.. payload];
    }

    protected RawPeer Peer() => Own(new RawPeer(Network.BindPeer()));

    // A server's reassembly timer and a client's call timer outlast whatever a case does between two packets (a quiet
    // wait, a loaded machine's stalls): they only catch hangs. With the 1 s defaults, case 5's call ran out while the
    // case waited to see that nothing else left before the ACK, and the ACK then found no call. Cases about a timer
    // (case 11) set their own.
    protected R2P2Server Server(IR2P2Handler handler, R2P2ServerOptions? options = null)
        => Own(Network.Server(handler, options ?? new R2P2ServerOptions { ReassemblyTimeout = Payloads.Generous }));

    protected R2P2Client Client(PacketAddress destination, R2P2ClientOptions? options = null)
        => Own(new R2P2Client(Network.Bind(), destination, options ?? new R2P2ClientOptions { Timeout = Payloads.Generous }));

    protected T Own<T>(T disposable)
        where T : IDisposable
    {
        _owned.Add(disposable);
        return disposable;
    }
}

public sealed class InMemoryConformanceTests() : ConformanceTests(new InMemoryTestNetwork());

public sealed class UdpConformanceTests() : ConformanceTests(new UdpTestNetwork());

public sealed class UdpPortableConformanceTests() : ConformanceTests(new UdpTestNetwork(batchedSystemCalls: false));

/// <summary>
/// The same cases over IPv6; case 14's FEEDBACK names the IPv6 client in TailGuard's 28-byte form (docs/router.md,
/// "IPv6"). It used to assert that an IPv6 router was refused, before routers took IPv6.
/// </summary>
public abstract class IPv6ConformanceTests(TestNetwork network) : ConformanceTests(network);

public sealed class InMemoryIPv6ConformanceTests() : IPv6ConformanceTests(new InMemoryTestNetwork(ipv6: true));

[RequiresNetwork(NetworkCapability.IPv6Loopback)]
public sealed class UdpIPv6ConformanceTests() : IPv6ConformanceTests(new UdpTestNetwork(ipv6: true));

[RequiresNetwork(NetworkCapability.IPv6Loopback)]
public sealed class UdpPortableIPv6ConformanceTests() : IPv6ConformanceTests(new UdpTestNetwork(batchedSystemCalls: false, ipv6: true));
