using System;
using CsCheck;
using TailGuard.R2P2;
using TailGuard.R2P2.Protocol;

namespace TailGuard.Tests.R2P2;

/// <summary>The header codec and splitting rules on their own (conformance cases 1-4 at the codec level).</summary>
public sealed class HeaderCodecTests
{
    [Fact]
    public void Worked_bytes_decode_to_every_field()
    {
        byte[] bytes = [0xCC, 0x08, 0x00, 0xC0, 0x00, 0x01, 0x00, 0x01, 0x31, 0x32, 0x33, 0x34];

        Assert.Equal(HeaderStatus.Valid, R2P2Header.TryRead(bytes, out var header));
        Assert.Equal(MessageType.Request, header.Type);
        Assert.Equal(RoutingPolicy.LoadBalanced, header.Policy);
        Assert.True(header.IsFirst && header.IsLast);
        Assert.Equal(1, header.RequestId);
        Assert.Equal(1, header.PacketOrder);

        var written = new byte[8];
        header.Write(written);
        Assert.Equal(bytes[..8], written);
    }

    [Theory]
    [InlineData(0, RoutingPolicy.LoadBalanced, 0x00)]
    [InlineData(0, RoutingPolicy.Fixed, 0x01)]
    [InlineData(1, RoutingPolicy.Fixed, 0x11)]
    [InlineData(2, RoutingPolicy.LoadBalanced, 0x20)]
    [InlineData(3, RoutingPolicy.Fixed, 0x31)]
    [InlineData(4, RoutingPolicy.Fixed, 0x41)]
    public void Type_policy_bytes_match_the_table(int type, RoutingPolicy policy, byte expected)
        => Assert.Equal(expected, R2P2Header.TypePolicyByte((MessageType)type, policy));

    [Fact]
    public void Every_valid_header_round_trips()
    {
        var valid = from type in Gen.Int[0, 7]
                    from policy in Gen.Int[0, 15]
                    from flags in Gen.Int[0, 3].Select(i => (byte)(i << 6))
                    from rid in Gen.UShort
                    from order in Gen.UShort[1, ushort.MaxValue]
                    where !(flags == 0xC0 && order != 1) && !(flags == 0x80 && order < 2)
                    select (type, policy, flags, rid, order);

        valid.Sample(t =>
        {
            var bytes = new byte[8];
            R2P2Header.Write(bytes, (MessageType)t.type, (RoutingPolicy)t.policy, t.flags, t.rid, t.order);
            Assert.Equal(HeaderStatus.Valid, R2P2Header.TryRead(bytes, out var header));
            Assert.Equal((MessageType)t.type, header.Type);
            Assert.Equal((RoutingPolicy)t.policy, header.Policy);
            Assert.Equal(t.flags, header.Flags);
            Assert.Equal(t.rid, header.RequestId);
            Assert.Equal(t.order, header.PacketOrder);
        });
    }

    [Theory]
    [InlineData(new byte[] { }, "TooShort")]
    [InlineData(new byte[] { 0xCC, 0x08, 0x00, 0xC0, 0x00, 0x01, 0x00 }, "TooShort")]
    [InlineData(new byte[] { 0xCD, 0x08, 0x00, 0xC0, 0x00, 0x01, 0x00, 0x01 }, "BadMagic")]
    [InlineData(new byte[] { 0xCC, 0x09, 0x00, 0xC0, 0x00, 0x01, 0x00, 0x01 }, "BadHeaderSize")]
    [InlineData(new byte[] { 0xCC, 0x08, 0x80, 0xC0, 0x00, 0x01, 0x00, 0x01 }, "UnknownType")]
    [InlineData(new byte[] { 0xCC, 0x08, 0x00, 0xC1, 0x00, 0x01, 0x00, 0x01 }, "BadFlags")]
    [InlineData(new byte[] { 0xCC, 0x08, 0x00, 0x20, 0x00, 0x01, 0x00, 0x01 }, "BadFlags")]
    [InlineData(new byte[] { 0xCC, 0x08, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00 }, "ZeroPacketOrder")]
    [InlineData(new byte[] { 0xCC, 0x08, 0x00, 0xC0, 0x00, 0x01, 0x00, 0x02 }, "InconsistentPacketOrder")]
    [InlineData(new byte[] { 0xCC, 0x08, 0x00, 0x80, 0x00, 0x01, 0x00, 0x01 }, "InconsistentPacketOrder")]
    public void Every_wrong_field_is_rejected_with_its_reason(byte[] datagram, string expected)
        => Assert.Equal(expected, R2P2Header.TryRead(datagram, out _).ToString());

    [Theory]
    [InlineData(0, 1)]
    [InlineData(1, 1)]
    [InlineData(1464, 1)]
    [InlineData(1465, 2)]
    [InlineData(3000, 4)]
    public void Request_packet_counts_follow_the_14_byte_first_packet_rule(int length, int count)
        => Assert.Equal(count, Fragmenter.PacketCount(MessageType.Request, length, 1464));

    [Fact]
    public void A_3000_byte_request_and_response_split_as_specified()
    {
        Assert.Equal([(0, 14), (14, 1464), (1478, 1464), (2942, 58)], Slices(MessageType.Request, 3000, 4));
        Assert.Equal([(0, 1464), (1464, 1464), (2928, 72)], Slices(MessageType.Response, 3000, 3));
        Assert.Equal([(0x80, 4), (0x00, 1), (0x00, 2), (0x40, 3)], Numbering(4));
        Assert.Equal([(0xC0, 1)], Numbering(1));
    }

    [Fact]
    public void Splitting_covers_every_byte_exactly_once_for_any_length_and_payload_size()
    {
        Gen.Select(Gen.Int[0, 200_000], Gen.Int[14, 9000], Gen.Bool).Sample((length, size, request) =>
        {
            var type = request ? MessageType.Request : MessageType.Response;
            var count = Fragmenter.PacketCount(type, length, size);
            var next = 0;
            for (var i = 0; i < count; i++)
            {
                var (offset, part) = Fragmenter.Packet(type, length, size, i);
                Assert.Equal(next, offset);
                Assert.InRange(part, i == count - 1 ? 0 : 1, size);
                next += part;
            }

            Assert.Equal(length, next);
        });
    }

    [Fact]
    public void Control_messages_have_their_exact_bytes()
    {
        var ack = new byte[11];
        var drop = new byte[12];
        var feedback = new byte[16];

        Assert.Equal(11, ControlMessages.WriteAck(ack, 0xBEEF));
        Assert.Equal(12, ControlMessages.WriteDrop(drop, 0xBEEF));
        Assert.Equal(16, ControlMessages.WriteFeedback(feedback, 0xBEEF, PacketAddress.Parse("10.1.2.3:4660")));

        Assert.Equal(new byte[] { 0xCC, 8, 0x31, 0xC0, 0xBE, 0xEF, 0, 1, 0x41, 0x43, 0x4B }, ack);
        Assert.Equal(new byte[] { 0xCC, 8, 0x41, 0xC0, 0xBE, 0xEF, 0, 1, 0x44, 0x52, 0x4F, 0x50 }, drop);
        Assert.Equal(new byte[] { 0xCC, 8, 0x20, 0, 0, 0, 0, 0, 0xBE, 0xEF, 0x12, 0x34, 10, 1, 2, 3 }, feedback);
    }

    private static (int, int)[] Slices(MessageType type, int length, int count)
    {
        var slices = new (int, int)[count];
        for (var i = 0; i < count; i++)
        {
            slices[i] = Fragmenter.Packet(type, length, 1464, i);
        }

        return slices;
    }

    private static (int, int)[] Numbering(int count)
    {
        var numbering = new (int, int)[count];
        for (var i = 0; i < count; i++)
        {
            var (flags, order) = Fragmenter.Numbering(i, count);
            numbering[i] = (flags, order);
        }

        return numbering;
    }
}
