using System;
using System.Threading;
using TailGuard.R2P2;
using TailGuard.R2P2.Routing;

namespace TailGuard.Transport.Xdp;

/// <summary>
/// A <see cref="PacketForwarder"/> through an <see cref="XdpTransport"/>'s TX ring (docs/xdp.md, "Forwarding"): each
/// datagram goes to its destination with the client's address and port as the source, so a router on AF_XDP rewrites
/// only the destination, as <see cref="RawSocketForwarder"/> does through the kernel. A request the router received on
/// that same transport is forwarded in its own UMEM frame, with no copy: its headers are rewritten in front of the
/// payload (the next hop's MAC address from the kernel's neighbour table, the interface's, the server's address and
/// port, both checksums) and the frame goes on the TX ring. Anything else is copied into a free frame. A datagram that
/// cannot go (no free frame or TX ring slot, an unresolved next hop, a destination of the other family or off this
/// interface, too large for the MTU) is dropped and counted in <see cref="SendErrors"/>, and by reason in the
/// transport's <see cref="XdpTransport.Statistics"/>. Disposing it leaves the transport alone.
/// </summary>
internal sealed class XdpForwarder(XdpTransport transport) : PacketForwarder
{
    private long _sendErrors;
    private int _disposed;

    /// <summary>The transport whose TX ring this forwarder sends on.</summary>
    public XdpTransport Transport { get; } = transport ?? throw new ArgumentNullException(nameof(transport));

    /// <inheritdoc/>
    public override long SendErrors => Interlocked.Read(ref _sendErrors);

    /// <inheritdoc/>
    public override void Forward(ReadOnlySpan<PacketBuffer> packets, ReadOnlySpan<PacketAddress> destinations)
    {
        CheckForward(packets, destinations, Volatile.Read(ref _disposed) != 0);
        var failed = Transport.Forward(packets, destinations);
        if (failed > 0)
        {
            Interlocked.Add(ref _sendErrors, failed);
        }
    }

    /// <summary>Resolves the next hop of <paramref name="destination"/> (<see cref="XdpTransport.ResolveNeighbour"/>), so no datagram to it is dropped as unresolved.</summary>
    /// <param name="destination">Where datagrams will go.</param>
    /// <exception cref="ArgumentException">No route out of the transport's interface, or no answer within its neighbour timeout; the message says which next hop and its state.</exception>
    public override void PrepareDestination(PacketAddress destination)
    {
        try
        {
            Transport.ResolveNeighbour(destination);
        }
        catch (XdpException unresolved)
        {
            throw new ArgumentException(unresolved.Message, unresolved); // it names the destination and its next hop
        }
    }

    /// <inheritdoc/>
    protected override void Dispose(bool disposing)
    {
        Volatile.Write(ref _disposed, 1);
        base.Dispose(disposing);
    }
}
