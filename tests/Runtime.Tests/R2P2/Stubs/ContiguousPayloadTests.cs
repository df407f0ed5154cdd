using System;
using System.Buffers;
using TailGuard.R2P2.Stubs;

namespace TailGuard.Tests.R2P2.Stubs;

public class ContiguousPayloadTests
{
    private sealed class Segment : ReadOnlySequenceSegment<byte>
    {
        public Segment(byte[] bytes, Segment? previous)
        {
            Memory = bytes;
            if (previous is not null)
            {
                RunningIndex = previous.RunningIndex + previous.Memory.Length;
                previous.Next = this;
            }
        }
    }

    [Fact]
    public void A_single_segment_is_used_in_place()
    {
        byte[] bytes = { 1, 2, 3 };
        using var payload = new ContiguousPayload(new ReadOnlySequence<byte>(bytes));

        bytes[1] = 9;
        Assert.Equal(9, payload.Span[1]);
    }

    [Fact]
    public void Several_segments_are_joined_in_order()
    {
        var first = new Segment(new byte[] { 1, 2 }, null);
        var middle = new Segment(new byte[] { 3 }, first);
        var last = new Segment(new byte[] { 4, 5, 6 }, middle);
        using var payload = new ContiguousPayload(new ReadOnlySequence<byte>(first, 0, last, 3));

        Assert.Equal(new byte[] { 1, 2, 3, 4, 5, 6 }, payload.Span.ToArray());
    }
}
