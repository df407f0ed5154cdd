using System;
using System.Collections.Generic;
using System.Runtime.InteropServices;
using TailGuard.R2P2;

namespace TailGuard.Fuzz.Harness;

/// <summary>
/// Lends packet buffers over native memory and counts them out and back, so a target checks that the code under test
/// returns every buffer exactly once (a second return throws in <see cref="PacketBuffer.Return"/>). A returned buffer's
/// bytes are poisoned, so a read after return shows up as corrupted content instead of passing silently. Buffers are
/// reused across inputs; the memory lives as long as the process (a fuzzing run).
/// </summary>
internal sealed unsafe class CountingBufferOwner : IPacketBufferOwner, IPacketBufferSource
{
    public const byte Poison = 0xDD;

    private readonly Stack<PacketBuffer> _idle = new();

    public CountingBufferOwner(int capacity)
    {
        Capacity = capacity;
    }

    public int Capacity { get; }

    /// <summary>Buffers lent and not returned.</summary>
    public int Outstanding { get; private set; }

    public PacketBuffer Rent()
    {
        PacketBuffer buffer;
        if (_idle.Count > 0)
        {
            buffer = _idle.Pop();
            buffer.Reissue(this);
        }
        else
        {
            buffer = new PacketBuffer(this, (nint)NativeMemory.Alloc((nuint)Capacity), Capacity);
        }

        Outstanding++;
        return buffer;
    }

    PacketBuffer IPacketBufferSource.Rent(int capacity)
    {
        Invariant.Holds(capacity <= Capacity, $"A buffer of {capacity} bytes was asked of a {Capacity}-byte source.");
        return Rent();
    }

    /// <summary>A buffer holding <paramref name="datagram"/>, from <paramref name="source"/>.</summary>
    public PacketBuffer Datagram(ReadOnlySpan<byte> datagram, PacketAddress source)
    {
        PacketBuffer buffer = Rent();
        int length = Math.Min(datagram.Length, Capacity);
        datagram[..length].CopyTo(buffer.Storage);
        buffer.Length = length;
        buffer.Address = source;
        return buffer;
    }

    public void Reclaim(PacketBuffer buffer)
    {
        Invariant.Holds(ReferenceEquals(buffer.Owner, this), "A buffer came back to an owner that did not lend it.");
        buffer.Storage.Fill(Poison);
        Outstanding--;
        _idle.Push(buffer);
    }
}
