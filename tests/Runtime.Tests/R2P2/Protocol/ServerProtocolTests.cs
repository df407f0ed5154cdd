using System;
using System.Buffers;
using System.Diagnostics;
using TailGuard.R2P2;
using TailGuard.R2P2.Protocol;
using TailGuard.Tests.R2P2.Infrastructure;

namespace TailGuard.Tests.R2P2.Protocol;

/// <summary>
/// The server side without any transport: datagrams in, what to do out (drop, DROP, ACK, wait, deliver), every error
/// path, admission taken only by whole requests (never by one being reassembled), and every buffer given back.
/// </summary>
public sealed class ServerProtocolTests
{
    private static readonly PacketAddress Client = PacketAddress.Parse("10.0.0.2:40000");
    private static readonly PacketAddress Other = PacketAddress.Parse("[fd00::7]:40000");
    private readonly TrackingBufferOwner _memory = new();
    private readonly RecordingAdmissionPolicy _admission = new();

    [Fact]
    public void A_one_packet_request_is_delivered_at_once_as_a_view_over_its_packet()
    {
        var protocol = Protocol();
        var packet = Datagram(Wire.Packet(Wire.RequestFixed, Wire.OnePacket, 0x0102, 1, "hello"u8));

        var step = protocol.Receive(packet, 0);

        Assert.Equal(ServerEventKind.Deliver, step.Kind);
        Assert.Equal(0x0102, step.RequestId);
        Assert.Equal(RoutingPolicy.Fixed, step.Policy);
        Assert.Equal(Client, step.Client);
        Assert.Equal("hello"u8.ToArray(), step.Payload.ToArray());
        Assert.False(step.KeepsPacket);
        Assert.Equal(1, _admission.Admitted);
        packet.Return();
        Assert.Equal(0, _memory.Outstanding);
    }

    [Fact]
    public void A_multi_packet_request_is_acknowledged_stored_and_delivered_whole_in_any_order()
    {
        var protocol = Protocol();
        var payload = Payloads.Make(4000, tag: 9);
        var packets = Wire.SplitRequest(payload, rid: 77);

        var first = protocol.Receive(Datagram(packets[0], Other), 0);
        Assert.Equal(ServerEventKind.Acknowledge, first.Kind);
        Assert.True(first.KeepsPacket);
        Assert.Equal(Other, first.Client);
        Assert.Equal(1, protocol.PendingReassemblies);

        Assert.Equal(ServerEventKind.Stored, protocol.Receive(Datagram(packets[3], Other), 0).Kind);
        Assert.Equal(ServerEventKind.Stored, protocol.Receive(Datagram(packets[1], Other), 0).Kind);
        var whole = protocol.Receive(Datagram(packets[2], Other), 0);

        Assert.Equal(ServerEventKind.Deliver, whole.Kind);
        Assert.True(whole.KeepsPacket);
        Assert.Equal(payload, whole.Payload.ToArray());
        Assert.True(whole.Payload.IsSingleSegment);
        Assert.Equal(0, protocol.PendingReassemblies);
        Assert.Equal(0, _memory.Outstanding); // the reassembler gave every packet back once it assembled them
        protocol.EndDelivery();
    }

    public static TheoryData<string, byte[], RequestRejection> Rejected => new()
    {
        { "too short", [0xCC, 8, 0], RequestRejection.BadHeader },
        { "bad magic", [0xCD, 8, 0, 0xC0, 0, 1, 0, 1], RequestRejection.BadHeader },
        { "a response", Wire.Packet(Wire.Response, Wire.OnePacket, 1, 1), RequestRejection.NotARequest },
        { "an ACK", Wire.Packet(0x31, Wire.OnePacket, 1, 1, "ACK"u8), RequestRejection.NotARequest },
        { "a RAFT message", Wire.Packet(0x70, Wire.OnePacket, 1, 1), RequestRejection.NotARequest },
        { "REPLICATED, not served", Wire.Packet(0x02, Wire.OnePacket, 1, 1), RequestRejection.UnservedPolicy },
        { "policy 9", Wire.Packet(0x09, Wire.OnePacket, 1, 1), RequestRejection.UnservedPolicy },
        { "a FIRST announcing more than the largest request", Wire.Packet(Wire.Request, Wire.First, 1, 1000, new byte[14]), RequestRejection.TooLarge },
        { "an orphan continuation", Wire.Packet(Wire.Request, 0, 1, 1, new byte[10]), RequestRejection.Orphan },
    };

    [Theory]
    [MemberData(nameof(Rejected))]
    public void Bad_datagrams_are_rejected_with_their_reason_and_nothing_is_admitted(string what, byte[] datagram, RequestRejection reason)
    {
        var protocol = Protocol(new R2P2ServerOptions { MaxRequestBytes = 64 * 1024, AdmissionPolicy = _admission });
        var packet = Datagram(datagram);

        var step = protocol.Receive(packet, 0);

        Assert.True(step.Kind == ServerEventKind.Rejected, what);
        Assert.Equal(reason, step.Rejection);
        Assert.False(step.KeepsPacket);
        Assert.Equal(reason == RequestRejection.BadHeader, step.HeaderStatus != HeaderStatus.Valid);
        Assert.Equal(0, _admission.Admitted);
        packet.Return();
        Assert.Equal(0, _memory.Outstanding);
    }

    [Fact]
    public void A_duplicate_first_packet_is_rejected_without_a_second_ack()
    {
        var protocol = Protocol();
        var first = Wire.SplitRequest(Payloads.Make(3000), rid: 5)[0];
        Assert.Equal(ServerEventKind.Acknowledge, protocol.Receive(Datagram(first), 0).Kind);

        var duplicate = Datagram(first);
        var step = protocol.Receive(duplicate, 0);

        Assert.Equal(RequestRejection.DuplicateFirst, step.Rejection);
        Assert.Equal(0, _admission.Admitted); // a request being reassembled holds no admission
        duplicate.Return();
        protocol.Clear();
        Assert.Equal(0, _memory.Outstanding);
    }

    [Theory]
    [InlineData("a duplicate index", 1, 1, false)]
    [InlineData("an index >= N", 1, 4, true)]
    [InlineData("LAST on the wrong index", 1, 2, true)]
    public void An_inconsistent_continuation_discards_the_request_which_held_no_admission(string what, int firstIndex, int secondIndex, bool secondIsLast)
    {
        var protocol = Protocol();
        var packets = Wire.SplitRequest(Payloads.Make(4000), rid: 33); // 4 packets
        protocol.Receive(Datagram(packets[0]), 0);
        protocol.Receive(Datagram(packets[firstIndex]), 0);
        var bad = Datagram(Wire.Packet(Wire.Request, secondIsLast ? Wire.Last : (byte)0, 33, (ushort)secondIndex, new byte[10]));

        var step = protocol.Receive(bad, 0);

        Assert.True(step.Rejection == RequestRejection.Inconsistent, what);
        Assert.Equal(1, step.Discarded);
        Assert.Equal(0, _admission.Admitted);
        Assert.Empty(_admission.Released);
        Assert.Equal(0, protocol.PendingReassemblies);
        bad.Return();
        Assert.Equal(0, _memory.Outstanding);
    }

    [Fact]
    public void A_refused_request_is_answered_with_drop_and_never_delivered()
    {
        var refusing = new RecordingAdmissionPolicy(perClientLimit: 0);
        var protocol = Protocol(new R2P2ServerOptions { AdmissionPolicy = refusing });
        var single = Datagram(Wire.Packet(Wire.Request, Wire.OnePacket, 1, 1, "x"u8));
        var first = Datagram(Wire.SplitRequest(Payloads.Make(3000), rid: 2)[0]);

        Assert.Equal(ServerEventKind.Refused, protocol.Receive(single, 0).Kind);
        var refusedFirst = protocol.Receive(first, 0);

        Assert.Equal(ServerEventKind.Refused, refusedFirst.Kind);
        Assert.False(refusedFirst.KeepsPacket);
        Assert.Equal(0, protocol.PendingReassemblies);
        single.Return();
        first.Return();
        Assert.Equal(0, _memory.Outstanding);
    }

    [Fact]
    public void Expired_reassemblies_are_discarded_and_held_no_admission()
    {
        var protocol = Protocol(new R2P2ServerOptions { AdmissionPolicy = _admission, ReassemblyTimeout = TimeSpan.FromSeconds(1) });
        var second = Stopwatch.Frequency;
        protocol.Receive(Datagram(Wire.SplitRequest(Payloads.Make(3000), rid: 10)[0], Client), 0);
        protocol.Receive(Datagram(Wire.SplitRequest(Payloads.Make(3000), rid: 10)[0], Other), second / 2);

        Assert.Equal(0, protocol.Expire(second - 1));
        Assert.Equal(1, protocol.Expire(second));
        Assert.Equal(1, protocol.PendingReassemblies);
        Assert.Equal(1, protocol.Expire(2 * second));
        Assert.Equal(0, protocol.PendingReassemblies);
        Assert.Equal(0, _admission.Admitted);
        Assert.Empty(_admission.Released);
        Assert.Equal(0, _memory.Outstanding);
    }

    [Fact]
    public void The_count_bound_evicts_the_oldest_request_and_reports_it()
    {
        var protocol = Protocol(new R2P2ServerOptions { AdmissionPolicy = _admission, MaxPendingReassemblies = 2, MaxPendingReassembliesPerSource = 2 });
        for (ushort rid = 1; rid <= 3; rid++)
        {
            var step = protocol.Receive(Datagram(Wire.SplitRequest(Payloads.Make(3000), rid)[0]), rid);
            Assert.Equal(rid == 3 ? 1 : 0, step.Discarded);
        }

        Assert.Equal(2, protocol.PendingReassemblies);
        protocol.Clear();
        Assert.Equal(0, protocol.PendingReassemblies);
        Assert.Empty(_admission.Released);
        Assert.Equal(0, _memory.Outstanding);
    }

    [Fact]
    public void A_first_packet_the_byte_bound_has_no_room_for_is_rejected_as_no_room()
    {
        var protocol = Protocol(new R2P2ServerOptions { AdmissionPolicy = _admission, PayloadSize = 1000, MaxReassemblyBytes = 1000 });
        var first = Datagram(Wire.SplitRequest(Payloads.Make(3000), rid: 4)[0]); // a 1472-byte buffer: more than the bound

        var step = protocol.Receive(first, 0);

        Assert.Equal(RequestRejection.NoRoom, step.Rejection);
        Assert.False(step.KeepsPacket);
        Assert.Equal(0, _admission.Admitted);
        first.Return();
        Assert.Equal(0, _memory.Outstanding);
    }

    [Fact]
    public void A_first_packet_announcing_65535_packets_does_not_size_anything_by_that_count()
    {
        var protocol = Protocol(new R2P2ServerOptions { MaxRequestBytes = R2P2Limits.MaxMessageBytes, PayloadSize = 1024 });
        protocol.Receive(Datagram(Wire.SplitRequest(Payloads.Make(3000), rid: 1)[0]), 0); // warm the pooled request
        protocol.Clear();

        var before = GC.GetAllocatedBytesForCurrentThread();
        protocol.Receive(Datagram(Wire.Packet(Wire.Request, Wire.First, 2, 65535, new byte[14])), 0);
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal(1, protocol.PendingReassemblies);
        Assert.True(allocated < 65535 * 8 / 2, $"{allocated} bytes allocated for one FIRST packet");
        protocol.Clear();
    }

    [Fact]
    public void A_multi_packet_request_is_asked_about_on_its_first_packet_and_admitted_only_when_whole()
    {
        var protocol = Protocol();
        var packets = Wire.SplitRequest(Payloads.Make(3000), rid: 21);

        Assert.Equal(ServerEventKind.Acknowledge, protocol.Receive(Datagram(packets[0]), 0).Kind);
        Assert.Equal(0, _admission.Admitted); // asked (CanAdmit), nothing taken
        protocol.Receive(Datagram(packets[1]), 0);
        Assert.Equal(0, _admission.Admitted);
        protocol.Receive(Datagram(packets[2]), 0);
        var whole = protocol.Receive(Datagram(packets[3]), 0);

        Assert.Equal(ServerEventKind.Deliver, whole.Kind);
        Assert.True(whole.WasAcknowledged);
        Assert.Equal(1, _admission.Admitted);
        protocol.EndDelivery();
        Assert.Equal(0, _memory.Outstanding);
    }

    [Fact]
    public void A_multi_packet_request_is_admitted_and_delivered_with_the_routing_policy_of_its_FIRST_packet()
    {
        var protocol = Protocol();
        var packets = Wire.SplitRequest(Payloads.Make(3000), rid: 6, Wire.RequestFixed);
        for (var i = 1; i < packets.Length; i++)
        {
            packets[i][2] = Wire.Request; // a continuation naming another policy cannot change what the request is admitted as
        }

        Assert.Equal(ServerEventKind.Acknowledge, protocol.Receive(Datagram(packets[0]), 0).Kind);
        for (var i = 1; i < packets.Length - 1; i++)
        {
            Assert.Equal(ServerEventKind.Stored, protocol.Receive(Datagram(packets[i]), 0).Kind);
        }

        var whole = protocol.Receive(Datagram(packets[^1]), 0);

        Assert.Equal(ServerEventKind.Deliver, whole.Kind);
        Assert.Equal(RoutingPolicy.Fixed, whole.Policy);
        Assert.Equal([new R2P2AdmissionRequest(6, Client, RoutingPolicy.Fixed)], _admission.Admissions);
        protocol.EndDelivery();
    }

    [Fact]
    public void A_whole_request_refused_after_its_ack_is_discarded_without_drop()
    {
        var full = new MaxInFlightAdmissionPolicy(1);
        var protocol = Protocol(new R2P2ServerOptions { AdmissionPolicy = full });
        var packets = Wire.SplitRequest(Payloads.Make(2000), rid: 5);
        Assert.Equal(ServerEventKind.Acknowledge, protocol.Receive(Datagram(packets[0]), 0).Kind);
        Assert.True(full.TryAdmit(new R2P2AdmissionRequest(99, Other, RoutingPolicy.LoadBalanced))); // the server filled up meanwhile

        Assert.Equal(ServerEventKind.Stored, protocol.Receive(Datagram(packets[1]), 0).Kind);
        var step = protocol.Receive(Datagram(packets[2]), 0);

        Assert.Equal(ServerEventKind.Rejected, step.Kind);
        Assert.Equal(RequestRejection.RefusedAfterAck, step.Rejection);
        Assert.True(step.KeepsPacket, "the protocol returned the completing datagram with the rest of the request; the caller must not return it again");
        Assert.Equal(0, protocol.PendingReassemblies);
        Assert.Equal(1, full.InFlight);
        Assert.Equal(0, _memory.Outstanding);
    }

    [Fact]
    public void A_first_packet_without_exactly_14_payload_bytes_is_rejected()
    {
        var protocol = Protocol();
        foreach (var length in new[] { 0, 13, 15, 1464 })
        {
            var packet = Datagram(Wire.Packet(Wire.Request, Wire.First, 3, 3, new byte[length]));
            var step = protocol.Receive(packet, 0);
            Assert.Equal(RequestRejection.BadFirstPacket, step.Rejection);
            packet.Return();
        }

        Assert.Equal(0, protocol.PendingReassemblies);
        Assert.Equal(0, _memory.Outstanding);
    }

    [Fact]
    public void A_delivered_reassembled_payload_stays_valid_until_the_delivery_ends()
    {
        var protocol = Protocol();
        var payload = Payloads.Make(3000, tag: 1);
        var packets = Wire.SplitRequest(payload, rid: 8);
        for (var i = 0; i < packets.Length - 1; i++)
        {
            protocol.Receive(Datagram(packets[i]), 0);
        }

        var whole = protocol.Receive(Datagram(packets[^1]), 0);
        Assert.Equal(payload, whole.Payload.ToArray());
        protocol.EndDelivery();
        protocol.EndDelivery(); // idempotent
    }

    private ServerProtocol Protocol(R2P2ServerOptions? options = null)
        => new(options ?? new R2P2ServerOptions { AdmissionPolicy = _admission });

    private PacketBuffer Datagram(byte[] bytes, PacketAddress? source = null) => _memory.Datagram(bytes, source ?? Client);
}
