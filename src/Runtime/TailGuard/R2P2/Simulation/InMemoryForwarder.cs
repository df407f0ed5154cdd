using System;
using System.Threading;
using TailGuard.R2P2.Routing;

namespace TailGuard.R2P2.Simulation;

/// <summary>
/// A <see cref="PacketForwarder"/> on an <see cref="InMemoryNetwork"/>: each datagram is delivered to its new destination
/// with its original source, as a router's raw socket sends it on a real network. Faults and observers apply as to any
/// datagram of the network.
/// </summary>
public sealed class InMemoryForwarder : PacketForwarder
{
    private readonly InMemoryNetwork _network;
    private long _sendErrors;
    private volatile bool _disposed;

    /// <summary>Creates a forwarder on a network.</summary>
    /// <param name="network">The network the router's endpoints are bound on.</param>
    public InMemoryForwarder(InMemoryNetwork network)
    {
        ArgumentNullException.ThrowIfNull(network);
        _network = network;
    }

    /// <inheritdoc/>
    public override long SendErrors => Interlocked.Read(ref _sendErrors);

    /// <inheritdoc/>
    public override void Forward(ReadOnlySpan<PacketBuffer> packets, ReadOnlySpan<PacketAddress> destinations)
    {
        CheckForward(packets, destinations, _disposed);
        try
        {
            for (var i = 0; i < packets.Length; i++)
            {
                if (packets[i].Length > _network.MaxDatagramSize)
                {
                    Interlocked.Increment(ref _sendErrors);
                    continue;
                }

                _network.Transmit(packets[i].Address, destinations[i], packets[i].Span);
            }
        }
        finally
        {
            ReturnAll(packets); // the network holds its own copies
        }
    }

    /// <inheritdoc/>
    protected override void Dispose(bool disposing)
    {
        _disposed = true;
        base.Dispose(disposing);
    }
}
