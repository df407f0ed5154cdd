using System;

namespace TailGuard.R2P2;

/// <summary>
/// One datagram in a pinned buffer from a <see cref="PacketBufferPool"/>. On receive, <see cref="Length"/> and
/// <see cref="Address"/> (the source) are filled by the transport; on send they say what to send and where.
/// </summary>
public sealed class PacketBuffer
{
    private int _length;

    internal PacketBuffer(PacketBufferPool? pool, int capacity)
    {
        Pool = pool;
        Array = GC.AllocateUninitializedArray<byte>(capacity, pinned: true);
        Segment = new PayloadSegment();
    }

    /// <summary>Creates a standalone buffer (not pooled), e.g. for tests that hand-craft datagrams.</summary>
    /// <param name="capacity">The buffer size in bytes.</param>
    public PacketBuffer(int capacity)
        : this(null, capacity)
    {
    }

    /// <summary>The pinned storage; <see cref="Length"/> bytes of it are the datagram.</summary>
    internal byte[] Array { get; }

    internal PacketBufferPool? Pool { get; }

    /// <summary>A sequence segment owned by this buffer, so a multi-packet payload chains without allocating.</summary>
    internal PayloadSegment Segment { get; }

    /// <summary>The capacity in bytes.</summary>
    public int Capacity => Array.Length;

    /// <summary>The datagram's length in bytes, from 0 to <see cref="Capacity"/>.</summary>
    public int Length
    {
        get => _length;
        set
        {
            if ((uint)value > (uint)Array.Length)
            {
                throw new ArgumentOutOfRangeException(nameof(value), value, $"A packet length must be between 0 and the buffer's capacity ({Array.Length}).");
            }

            _length = value;
        }
    }

    /// <summary>The source (after receive) or destination (before send) of the datagram.</summary>
    public PacketAddress Address { get; set; }

    /// <summary>The datagram bytes.</summary>
    public Span<byte> Span => Array.AsSpan(0, Length);

    /// <summary>The whole buffer, for transports that fill it.</summary>
    public Span<byte> Storage => Array;

    /// <summary>Returns the buffer to its pool (no-op for a standalone buffer).</summary>
    public void Return() => Pool?.Return(this);
}
