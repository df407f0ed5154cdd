using System;
using System.Buffers;
using System.Linq;
using TailGuard.R2P2;
using TailGuard.R2P2.Protocol;
using TailGuard.Tests.R2P2.Infrastructure;

namespace TailGuard.Tests.R2P2.Protocol;

/// <summary>
/// The client side without any transport: requests built into tracked buffers, datagrams handed in, events and
/// packets out. Every path ends with the call's buffers all given back exactly once.
/// </summary>
public sealed class ClientProtocolTests
{
    private static readonly PacketAddress Server = PacketAddress.Parse("10.0.0.1:9000");
    private static readonly PacketAddress Elsewhere = PacketAddress.Parse("10.0.0.9:9100");
    private readonly TrackingBufferOwner _memory = new();
    private readonly ClientProtocol _protocol = new(maxInFlight: 4, maxResponsePackets: 8);
    private readonly ClientProtocol _behindRouter = new(maxInFlight: 4, maxResponsePackets: 8, ResponseSources.AnyServer, ClientProtocol.DefaultQuarantineTicks);

    [Fact]
    public void A_one_packet_call_sends_its_only_packet_with_the_rid_and_completes_on_the_response()
    {
        var call = Call(payloadLength: 4, out var first);

        Assert.Equal(CallState.AwaitingResponse, call.State);
        Assert.Equal(call.RequestId, Header(first).RequestId);
        Assert.Equal(Server, first.Address);
        Assert.Equal(1, _protocol.InFlight);
        first.Return();

        var response = Datagram(Wire.Packet(Wire.Response, Wire.OnePacket, call.RequestId, 1, "pong"u8));
        Assert.Equal(ClientCallEvent.Completed, _protocol.Receive(response, out var target));

        Assert.Same(call, target);
        Assert.Equal(CallState.Ended, call.State);
        Assert.Equal("pong"u8.ToArray(), call.ResponsePayload().ToArray());
        Assert.Equal(0, _protocol.InFlight);
        call.Reset();
        Assert.Equal(0, _memory.Outstanding);
    }

    [Fact]
    public void A_multi_packet_call_holds_its_continuations_until_the_ack_then_sends_them_to_the_acks_source()
    {
        // Behind a router the ACK comes from the server the router chose, not from the destination.
        var call = Call(payloadLength: 3000, out var first, protocol: _behindRouter);
        Assert.Equal(CallState.AwaitingAck, call.State);
        Assert.Equal(Wire.First, Header(first).Flags);
        Assert.Equal(4, Header(first).PacketOrder);
        first.Return();
        Assert.Equal(3, _memory.Outstanding); // packets 1..3 wait in the call

        var ack = Datagram(Wire.Packet(0x31, Wire.OnePacket, call.RequestId, 1, "ACK"u8), Elsewhere);
        Assert.Equal(ClientCallEvent.SendContinuations, _behindRouter.Receive(ack, out _));
        ack.Return();
        var rest = call.TakeContinuations().ToArray();

        Assert.Equal([1, 2, 3], rest.Select(p => (int)Header(p).PacketOrder));
        Assert.All(rest, p => Assert.Equal(Elsewhere, p.Address));
        Assert.All(rest, p => Assert.Equal(call.RequestId, Header(p).RequestId));
        Assert.Equal(CallState.AwaitingResponse, call.State);
        Assert.True(call.TakeContinuations().IsEmpty);

        // A duplicate ACK changes nothing; an ACK from another server is not taken at all (the call is bound to Elsewhere).
        var again = Datagram(Wire.Packet(0x31, Wire.OnePacket, call.RequestId, 1, "ACK"u8), Elsewhere);
        Assert.Equal(ClientCallEvent.Ignored, _behindRouter.Receive(again, out _));
        again.Return();
        var other = Datagram(Wire.Packet(0x31, Wire.OnePacket, call.RequestId, 1, "ACK"u8), Server);
        Assert.Equal(ClientCallEvent.Forged, _behindRouter.Receive(other, out _));
        other.Return();
        foreach (var packet in rest)
        {
            packet.Return();
        }

        _behindRouter.TryEnd(call);
        call.Reset();
        Assert.Equal(0, _memory.Outstanding);
    }

    [Fact]
    public void A_three_packet_response_is_stored_in_order_and_delivered_as_one_payload()
    {
        var call = Call(payloadLength: 1, out var first);
        first.Return();
        var payload = Payloads.Make(3000, tag: 4);

        Assert.Equal(ClientCallEvent.ResponsePacketStored, _protocol.Receive(Datagram(Wire.Packet(Wire.Response, Wire.First, call.RequestId, 3, payload.AsSpan(0, 1464))), out _));
        Assert.Equal(CallState.ReceivingResponse, call.State);
        Assert.Equal(ClientCallEvent.ResponsePacketStored, _protocol.Receive(Datagram(Wire.Packet(Wire.Response, 0, call.RequestId, 1, payload.AsSpan(1464, 1464))), out _));
        Assert.Equal(ClientCallEvent.Completed, _protocol.Receive(Datagram(Wire.Packet(Wire.Response, Wire.Last, call.RequestId, 2, payload.AsSpan(2928))), out _));

        var sequence = call.ResponsePayload();
        Assert.Equal(payload, sequence.ToArray());
        Assert.False(sequence.IsSingleSegment);
        Assert.Equal(3, call.ResponsePackets.Length);
        call.Reset();
        Assert.Equal(0, _memory.Outstanding);
    }

    public static TheoryData<string, byte, byte, ushort, byte[], bool> BrokenResponses => new()
    {
        // what, type/policy, flags, order, payload, send the ACK first
        { "a continuation before the FIRST", Wire.Response, 0, 1, [1], false },
        { "a LAST-only packet first", Wire.Response, Wire.Last, 1, [1], false },
        { "a FIRST announcing more packets than allowed", Wire.Response, Wire.First, 9, [1], false },
        { "a DROP that is not 12 bytes", 0x41, Wire.OnePacket, 1, "DRO"u8.ToArray(), false },
        { "a response before the ACK of a multi-packet request", Wire.Response, Wire.OnePacket, 1, [1], true },
        { "an ACK that is not exactly 11 bytes", 0x31, Wire.OnePacket, 1, "ACKK"u8.ToArray(), true },
    };

    [Theory]
    [MemberData(nameof(BrokenResponses))]
    public void A_protocol_error_fails_the_call_once_as_malformed_and_frees_it(string what, byte typePolicy, byte flags, ushort order, byte[] payload, bool multiPacket)
    {
        var call = Call(multiPacket ? 3000 : 1, out var first);
        first.Return();

        var broken = Datagram(Wire.Packet(typePolicy, flags, call.RequestId, order, payload));
        Assert.True(ClientCallEvent.Malformed == _protocol.Receive(broken, out _), what);
        broken.Return();

        Assert.Equal(CallState.Ended, call.State);
        Assert.Equal(0, _protocol.InFlight);

        // Anything later for that rid reaches no call.
        var late = Datagram(Wire.Packet(Wire.Response, Wire.OnePacket, call.RequestId, 1));
        Assert.Equal(ClientCallEvent.Ignored, _protocol.Receive(late, out var target));
        Assert.Null(target);
        late.Return();
        call.Reset();
        Assert.Equal(0, _memory.Outstanding);
    }

    [Fact]
    public void A_gap_or_a_misplaced_last_flag_in_a_response_fails_the_call()
    {
        var gap = Call(1, out var first);
        first.Return();
        Keep(_protocol.Receive(Datagram(Wire.Packet(Wire.Response, Wire.First, gap.RequestId, 3, new byte[10])), out _));
        var skipped = Datagram(Wire.Packet(Wire.Response, Wire.Last, gap.RequestId, 2, new byte[10]));
        Assert.Equal(ClientCallEvent.Malformed, _protocol.Receive(skipped, out _));
        skipped.Return();

        var misplaced = Call(1, out first);
        first.Return();
        Keep(_protocol.Receive(Datagram(Wire.Packet(Wire.Response, Wire.First, misplaced.RequestId, 3, new byte[10])), out _));
        var early = Datagram(Wire.Packet(Wire.Response, Wire.Last, misplaced.RequestId, 1, new byte[10]));
        Assert.Equal(ClientCallEvent.Malformed, _protocol.Receive(early, out _));
        early.Return();

        gap.Reset();
        misplaced.Reset();
        Assert.Equal(0, _memory.Outstanding);
    }

    [Fact]
    public void A_drop_ends_the_call_before_the_ack_and_is_ignored_after_it_and_during_the_response()
    {
        var refused = Call(3000, out var first);
        first.Return();
        var drop = Datagram(Wire.Packet(0x41, Wire.OnePacket, refused.RequestId, 1, "DROP"u8));
        Assert.Equal(ClientCallEvent.Dropped, _protocol.Receive(drop, out _));
        drop.Return();

        var receiving = Call(1, out first);
        first.Return();
        Keep(_protocol.Receive(Datagram(Wire.Packet(Wire.Response, Wire.First, receiving.RequestId, 2, new byte[10])), out _));
        var lateDrop = Datagram(Wire.Packet(0x41, Wire.OnePacket, receiving.RequestId, 1, "DROP"u8));
        Assert.Equal(ClientCallEvent.Ignored, _protocol.Receive(lateDrop, out _));
        lateDrop.Return();
        Assert.Equal(CallState.ReceivingResponse, receiving.State);

        // After the ACK of a multi-packet request its body has left: a DROP can no longer say "never ran".
        var sent = Call(3000, out first);
        first.Return();
        var ack = Datagram(Wire.Packet(0x31, Wire.OnePacket, sent.RequestId, 1, "ACK"u8));
        Assert.Equal(ClientCallEvent.SendContinuations, _protocol.Receive(ack, out _));
        ack.Return();
        foreach (var continuation in sent.TakeContinuations())
        {
            continuation.Return();
        }

        var afterAck = Datagram(Wire.Packet(0x41, Wire.OnePacket, sent.RequestId, 1, "DROP"u8));
        Assert.Equal(ClientCallEvent.Ignored, _protocol.Receive(afterAck, out _));
        afterAck.Return();
        Assert.Equal(CallState.AwaitingResponse, sent.State);

        _protocol.TryEnd(receiving);
        _protocol.TryEnd(sent);
        refused.Reset();
        receiving.Reset();
        sent.Reset();
        Assert.Equal(0, _memory.Outstanding);
    }

    [Theory]
    [InlineData("bad magic", new byte[] { 0xCD, 8, 0x11, 0xC0, 0, 1, 0, 1 })]
    [InlineData("too short", new byte[] { 0xCC, 8, 0x11 })]
    [InlineData("a request sent to a client", new byte[] { 0xCC, 8, 0x00, 0xC0, 0, 1, 0, 1 })]
    [InlineData("a FEEDBACK sent to a client", new byte[] { 0xCC, 8, 0x20, 0, 0, 1, 0, 0, 0, 1, 0, 2, 10, 0, 0, 1 })]
    public void Datagrams_that_are_not_for_a_call_are_ignored_and_the_call_goes_on(string what, byte[] datagram)
    {
        var call = Call(1, out var first);
        first.Return();
        datagram = (byte[])datagram.Clone();
        if (datagram.Length >= 6)
        {
            datagram[4] = (byte)(call.RequestId >> 8);
            datagram[5] = (byte)call.RequestId;
        }

        var packet = Datagram(datagram);
        Assert.True(_protocol.Receive(packet, out _) == ClientCallEvent.Ignored, what);
        packet.Return();
        Assert.Equal(CallState.AwaitingResponse, call.State);
        Assert.Equal(1, _protocol.InFlight);
        _protocol.TryEnd(call);
        call.Reset();
        Assert.Equal(0, _memory.Outstanding);
    }

    [Fact]
    public void Timers_expire_calls_in_deadline_order_exactly_once()
    {
        var late = Call(1, out var first, deadline: 300);
        first.Return();
        var early = Call(1, out first, deadline: 100);
        first.Return();

        Assert.Equal(100, _protocol.EarliestDeadline);
        Assert.Null(_protocol.TakeExpired(99));
        Assert.Same(early, _protocol.TakeExpired(100));
        Assert.Equal(CallState.Ended, early.State);
        Assert.Null(_protocol.TakeExpired(299));
        Assert.Same(late, _protocol.TakeExpired(1000));
        Assert.Null(_protocol.TakeExpired(long.MaxValue));
        Assert.False(_protocol.TryEnd(early)); // already out of flight
        Assert.Equal(0, _protocol.InFlight);
    }

    [Fact]
    public void A_call_that_times_out_before_its_ack_gives_back_its_unsent_packets()
    {
        var call = Call(5000, out var first, deadline: 10);
        first.Return();
        Assert.Same(call, _protocol.TakeExpired(10));

        call.Reset();
        Assert.Equal(0, _memory.Outstanding);
    }

    [Fact]
    public void Max_in_flight_is_a_refusal_that_leaves_the_call_untouched()
    {
        for (var i = 0; i < 4; i++)
        {
            Call(1, out var sent);
            sent.Return();
        }

        var extra = Build(1);
        Assert.False(_protocol.TryStart(extra, 0, out var packet));
        Assert.Null(packet);
        Assert.Equal(CallState.Idle, extra.State);
        Assert.Equal(4, _protocol.InFlight);
    }

    [Fact]
    public void A_call_is_misused_only_with_a_clear_error()
    {
        var call = Build(1);
        Assert.Throws<InvalidOperationException>(() => call.SetRequest([_memory.Rent(10)]));
        call.Start(7).Return();
        Assert.Throws<InvalidOperationException>(() => call.Start(8));
        Assert.Throws<InvalidOperationException>(() => call.ResponsePayload());
        call.Reset();
        Assert.Equal(CallState.Idle, call.State);
    }

    private static R2P2Header Header(PacketBuffer packet)
    {
        Assert.Equal(HeaderStatus.Valid, R2P2Header.TryRead(packet.Span, out var header));
        return header;
    }

    private static void Keep(ClientCallEvent step) => Assert.Equal(ClientCallEvent.ResponsePacketStored, step);

    private ClientCall Build(int payloadLength)
    {
        var writer = new MessageWriter(_memory, 1464, 1 << 20);
        writer.Start();
        writer.Write(Payloads.Make(payloadLength));
        var call = new ClientCall();
        call.BuildRequest(writer, RoutingPolicy.LoadBalanced, Server);
        return call;
    }

    private ClientCall Call(int payloadLength, out PacketBuffer first, long deadline = 1_000_000, ClientProtocol? protocol = null)
    {
        var call = Build(payloadLength);
        Assert.True((protocol ?? _protocol).TryStart(call, deadline, out var packet));
        first = packet!;
        return call;
    }

    private PacketBuffer Datagram(byte[] bytes, PacketAddress? source = null) => _memory.Datagram(bytes, source ?? Server);
}
