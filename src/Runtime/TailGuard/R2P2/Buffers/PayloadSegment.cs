using System;
using System.Buffers;

namespace TailGuard.R2P2;

/// <summary>A reusable <see cref="ReadOnlySequenceSegment{T}"/>: chains the payloads of a multi-packet message without copying.</summary>
internal sealed class PayloadSegment : ReadOnlySequenceSegment<byte>
{
    public void Set(ReadOnlyMemory<byte> memory, long runningIndex)
    {
        Memory = memory;
        RunningIndex = runningIndex;
        Next = null;
    }

    public void Link(PayloadSegment next) => Next = next;
}
