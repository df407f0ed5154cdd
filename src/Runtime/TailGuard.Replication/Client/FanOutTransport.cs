using System;
using System.Buffers;
using System.Threading;
using TailGuard.R2P2;
using TailGuard.R2P2.Protocol;

namespace TailGuard.Replication;

/// <summary>
/// The client side of HovercRaft's replication (docs/replication.md, "Fan-out"): a transport that wraps another and
/// sends every replicated request (a REQUEST packet with policy 2 or 3) to every replica, the same datagram from the
/// same socket, so every replica parks it under the same key. With fan-out off (the leader-based baseline) it sends
/// each replicated request to one replica, <see cref="Target"/>, which the client moves on DROP or timeout. Everything
/// else (responses it receives, other packets it sends) passes through. Memory is the wrapped transport's.
/// </summary>
internal sealed class FanOutTransport : PacketTransport
{
    private readonly PacketTransport _inner;
    private readonly PacketAddress[] _replicas;
    private readonly bool _fanOut;
    private int _target;

    public FanOutTransport(PacketTransport inner, PacketAddress[] replicas, bool fanOut)
    {
        _inner = inner;
        _replicas = replicas;
        _fanOut = fanOut;
    }

    public override PacketAddress LocalAddress => _inner.LocalAddress;

    public override int MaxDatagramSize => _inner.MaxDatagramSize;

    /// <summary>The replica that gets replicated requests when fan-out is off.</summary>
    public int Target => Volatile.Read(ref _target);

    public PacketTransport Inner => _inner;

    /// <summary>Moves the single target on from <paramref name="from"/> (a DROP or a timeout there); no effect if another call moved it already.</summary>
    public void MoveTarget(int from) => Interlocked.CompareExchange(ref _target, (from + 1) % _replicas.Length, from);

    public override PacketBuffer Rent(int capacity) => _inner.Rent(capacity);

    public override int Receive(Span<PacketBuffer> buffers, int timeoutMilliseconds) => _inner.Receive(buffers, timeoutMilliseconds);

    public override void Send(ReadOnlySpan<PacketBuffer> packets)
    {
        if (!_fanOut)
        {
            var target = _replicas[Target];
            foreach (var packet in packets)
            {
                if (IsReplicatedRequest(packet))
                {
                    packet.Address = target;
                }
            }

            _inner.Send(packets);
            return;
        }

        var copies = 0;
        foreach (var packet in packets)
        {
            copies += IsReplicatedRequest(packet) ? _replicas.Length : 1;
        }

        if (copies == packets.Length)
        {
            _inner.Send(packets);
            return;
        }

        // Each copy is a buffer of the wrapped transport, handed over with the rest (Send takes every buffer).
        var all = ArrayPool<PacketBuffer>.Shared.Rent(copies);
        var n = 0;
        var i = 0;
        try
        {
            for (; i < packets.Length; i++)
            {
                var packet = packets[i];
                all[n++] = packet;
                if (!IsReplicatedRequest(packet))
                {
                    continue;
                }

                packet.Address = _replicas[0];
                for (var r = 1; r < _replicas.Length; r++)
                {
                    var copy = _inner.Rent(packet.Length);
                    packet.Span.CopyTo(copy.Storage);
                    copy.Length = packet.Length;
                    copy.Address = _replicas[r];
                    all[n++] = copy;
                }
            }

            _inner.Send(all.AsSpan(0, n));
        }
        catch when (i < packets.Length)
        {
            // Renting a copy failed: nothing was sent, and every buffer is still ours to give back.
            ReturnAll(all.AsSpan(0, n));
            ReturnAll(packets[(i + 1)..]);
            throw;
        }
        finally
        {
            Array.Clear(all, 0, n);
            ArrayPool<PacketBuffer>.Shared.Return(all);
        }
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _inner.Dispose();
        }

        base.Dispose(disposing);
    }

    private static bool IsReplicatedRequest(PacketBuffer packet)
    {
        var datagram = packet.Span;
        return datagram.Length >= R2P2Header.Size
            && datagram[0] == R2P2Header.Magic
            && (datagram[2] >> 4) == (int)MessageType.Request
            && (datagram[2] & 0x0F) is (int)RoutingPolicy.Replicated or (int)RoutingPolicy.ReplicatedReadOnly;
    }
}
