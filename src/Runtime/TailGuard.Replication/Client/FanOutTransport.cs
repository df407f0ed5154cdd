using System;
using System.Buffers;
using System.Threading;
using TailGuard.R2P2;
using TailGuard.R2P2.Protocol;

namespace TailGuard.Replication;

/// <summary>
/// The client side of HovercRaft's replication (docs/replication.md, "Fan-out"): a transport that wraps another and
/// sends every replicated request (a REQUEST packet with policy 2 or 3) to every replica, the same datagram from the
/// same socket, so every replica parks it under the same key. With a multicast group it sends that datagram once, to
/// the group, and the network makes the copies. With fan-out off (the leader-based baseline) it sends each replicated
/// request to one replica, <see cref="Target"/>, which the client moves on DROP or timeout. Everything else (responses
/// it receives, other packets it sends) passes through. Memory is the wrapped transport's.
/// </summary>
internal sealed class FanOutTransport : PacketTransport
{
    private readonly PacketTransport _inner;
    private readonly PacketAddress[] _replicas;
    private readonly bool _fanOut;
    private readonly PacketAddress? _group;
    private readonly ReplicatedClientStatistics _statistics;
    private int _target;

    /// <param name="inner">The socket's transport.</param>
    /// <param name="replicas">Every replica.</param>
    /// <param name="fanOut">False: one replica at a time (the baseline).</param>
    /// <param name="group">The replicas' multicast group (with fan-out only), or null for unicast copies.</param>
    /// <param name="statistics">Counts the request datagrams sent.</param>
    public FanOutTransport(PacketTransport inner, PacketAddress[] replicas, bool fanOut, PacketAddress? group, ReplicatedClientStatistics statistics)
    {
        _inner = inner;
        _replicas = replicas;
        _fanOut = fanOut;
        _group = fanOut ? group : null;
        _statistics = statistics;
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
        if (!_fanOut || _group is not null)
        {
            // One datagram per request: to the group (the network copies it to every replica), or to the one target.
            var destination = _group ?? _replicas[Target];
            var sent = 0;
            foreach (var packet in packets)
            {
                if (IsReplicatedRequest(packet))
                {
                    packet.Address = destination;
                    sent++;
                }
            }

            _inner.Send(packets);
            _statistics.RequestDatagramsSent(sent);
            return;
        }

        var requests = 0;
        foreach (var packet in packets)
        {
            requests += IsReplicatedRequest(packet) ? 1 : 0;
        }

        var copies = packets.Length + requests * (_replicas.Length - 1);
        if (copies == packets.Length)
        {
            _inner.Send(packets);
            _statistics.RequestDatagramsSent(requests);
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
            _statistics.RequestDatagramsSent(requests * _replicas.Length);
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
