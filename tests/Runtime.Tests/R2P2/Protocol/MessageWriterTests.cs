using System;
using System.Buffers;
using System.Linq;
using TailGuard.R2P2;
using TailGuard.R2P2.Protocol;
using TailGuard.Tests.R2P2.Infrastructure;

namespace TailGuard.Tests.R2P2.Protocol;

/// <summary>One message into packets of the transport's memory: in place when it fits, split as the protocol says when not.</summary>
public sealed class MessageWriterTests
{
    private static readonly PacketAddress Destination = PacketAddress.Parse("10.0.0.1:9000");
    private readonly TrackingBufferOwner _memory = new();

    [Fact]
    public void A_one_packet_message_is_sent_from_the_buffer_it_was_written_into()
    {
        var writer = new MessageWriter(_memory, 1464, 1 << 20);
        writer.Start();
        var span = writer.GetSpan(5);
        "hello"u8.CopyTo(span);
        writer.Advance(5);
        var packets = new PacketBuffer[1];

        Assert.Equal(1, writer.Build(MessageType.Response, RoutingPolicy.Fixed, 9, Destination, ref packets));

        Assert.Equal(1, _memory.Outstanding); // no second buffer, no copy
        Assert.Equal(Wire.Packet(Wire.Response, Wire.OnePacket, 9, 1, "hello"u8), packets[0].Span.ToArray());
        Assert.Equal(Destination, packets[0].Address);
        Assert.Equal(0, writer.Length);
        packets[0].Return();
    }

    [Theory]
    [InlineData(MessageType.Request, 3000, new[] { 14, 1464, 1464, 58 })]
    [InlineData(MessageType.Response, 3000, new[] { 1464, 1464, 72 })]
    [InlineData(MessageType.Response, 0, new[] { 0 })]
    public void A_long_message_is_split_as_the_protocol_says_and_every_spill_buffer_goes_back(MessageType type, int length, int[] sizes)
    {
        var writer = new MessageWriter(_memory, 1464, 1 << 20);
        var payload = Payloads.Make(length, tag: 2);
        writer.Start();
        writer.Write(payload);
        var packets = new PacketBuffer[1];

        var count = writer.Build(type, RoutingPolicy.LoadBalanced, 3, Destination, ref packets);

        Assert.Equal(sizes, packets.Take(count).Select(p => p.Length - R2P2Header.Size));
        Assert.Equal(payload, packets.Take(count).SelectMany(p => p.Span[R2P2Header.Size..].ToArray()).ToArray());
        Assert.Equal(count, _memory.Outstanding);
        foreach (var packet in packets.Take(count))
        {
            packet.Return();
        }
    }

    [Fact]
    public void Writing_past_the_longest_message_throws_and_reset_gives_everything_back()
    {
        var writer = new MessageWriter(_memory, 100, maxLength: 250);
        writer.Start();
        writer.Write(new byte[200]);

        Assert.Throws<InvalidOperationException>(() => writer.GetSpan(100));
        writer.Reset();
        Assert.Equal(0, _memory.Outstanding);
        Assert.Throws<InvalidOperationException>(() => writer.GetSpan(1)); // not started
    }

    [Fact]
    public void Advancing_past_what_was_handed_out_throws()
    {
        var writer = new MessageWriter(_memory, 100, 1000);
        writer.Start();
        writer.GetSpan(10);

        Assert.Throws<InvalidOperationException>(() => writer.Advance(101));
        Assert.Throws<ArgumentOutOfRangeException>(() => writer.Advance(-1));
        writer.Reset();
    }

    [Fact]
    public void A_call_takes_a_request_split_elsewhere_and_starts_it_like_one_it_built()
    {
        var writer = new MessageWriter(_memory, 1464, 1 << 20);
        writer.Start();
        writer.Write(Payloads.Make(2000));
        var packets = new PacketBuffer[1];
        var count = writer.Build(MessageType.Request, RoutingPolicy.Fixed, 0, Destination, ref packets);
        var call = new ClientCall();

        call.SetRequest(packets.AsSpan(0, count));
        var first = call.Start(0x4242);

        Assert.Equal(3, call.RequestPacketCount); // 14 + 1464 + 522
        Assert.Equal(0x4242, R2P2Header.TryRead(first.Span, out var header) == HeaderStatus.Valid ? header.RequestId : -1);
        first.Return();
        call.Reset();
        Assert.Equal(0, _memory.Outstanding);
    }
}
