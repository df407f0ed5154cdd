using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using TailGuard.R2P2;
using TailGuard.R2P2.Protocol;

namespace TailGuard.Replication.Tests.Infrastructure;

/// <summary>
/// A client's socket with a tally: every datagram handed to the wrapped transport is counted by destination, and the
/// replicated requests (REQUEST, policy 2 or 3) apart, so a test sees how many sends a call cost. Memory and sockets are
/// the inner transport's.
/// </summary>
internal sealed class CountingTransport(PacketTransport inner) : ForwardingTransport(inner)
{
    private readonly ConcurrentDictionary<PacketAddress, int> _requestsTo = new();

    /// <summary>Replicated request datagrams sent, by destination.</summary>
    public IReadOnlyDictionary<PacketAddress, int> RequestsTo => _requestsTo;

    public override void Send(ReadOnlySpan<PacketBuffer> packets)
    {
        foreach (var packet in packets)
        {
            if (R2P2Header.TryRead(packet.Span, out var header) == HeaderStatus.Valid && header.Type == MessageType.Request
                && header.Policy is RoutingPolicy.Replicated or RoutingPolicy.ReplicatedReadOnly)
            {
                _requestsTo.AddOrUpdate(packet.Address, 1, static (_, count) => count + 1);
            }
        }

        Inner.Send(packets); // counted before: the buffers are the inner transport's once sent
    }
}
