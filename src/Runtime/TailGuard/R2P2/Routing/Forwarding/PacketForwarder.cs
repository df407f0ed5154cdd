using System;

namespace TailGuard.R2P2.Routing;

/// <summary>
/// Sends datagrams to a new destination while keeping their source: what lets a router rewrite only the destination of a
/// request, so the server sees the client as the source and answers it directly (docs/design/r2p2.md, "The router and
/// JBSQ(n)"). A socket cannot do that (it sends from its own address): <see cref="RawSocketForwarder"/> writes the IPv4
/// and UDP headers itself, <see cref="Simulation.InMemoryForwarder"/> does it on the in-memory network, and a
/// kernel-bypass transport that builds its own headers can implement it too.
/// </summary>
public abstract class PacketForwarder : IDisposable
{
    /// <summary>
    /// Sends each packet's first <see cref="PacketBuffer.Length"/> bytes to <paramref name="destinations"/>[i], from the
    /// packet's <see cref="PacketBuffer.Address"/> (the source it arrived from), and takes ownership of every packet,
    /// whatever happens to it (as <see cref="PacketTransport.Send"/> does). Thread-safe. A datagram the network cannot
    /// take is lost and counted in <see cref="SendErrors"/>.
    /// </summary>
    /// <param name="packets">The datagrams, each addressed with its original source.</param>
    /// <param name="destinations">Where each goes, as many as <paramref name="packets"/>.</param>
    /// <exception cref="ArgumentException">The spans differ in length (the packets are still taken).</exception>
    /// <exception cref="ObjectDisposedException">The forwarder is disposed (the packets are still taken).</exception>
    public abstract void Forward(ReadOnlySpan<PacketBuffer> packets, ReadOnlySpan<PacketAddress> destinations);

    /// <summary>
    /// Readies the forwarder to send to a destination before its first datagram: <see cref="R2P2Router.AddServer"/>
    /// calls it for a server that joins at run time, before the server gets requests. The default does nothing; a
    /// kernel-bypass forwarder that writes link-layer headers learns the next hop's address here, so the server's first
    /// requests are not lost while it is resolved. It may block (up to the forwarder's own timeout).
    /// </summary>
    /// <param name="destination">Where datagrams will go.</param>
    /// <exception cref="ArgumentException">The forwarder cannot reach <paramref name="destination"/>; the message says why.</exception>
    public virtual void PrepareDestination(PacketAddress destination)
    {
    }

    /// <summary>Datagrams that could not be sent (refused by the kernel, too large for the link, of two address families).</summary>
    public abstract long SendErrors { get; }

    /// <summary>Releases the forwarder.</summary>
    public void Dispose()
    {
        Dispose(true);
        GC.SuppressFinalize(this);
    }

    /// <summary>Releases the forwarder's resources.</summary>
    /// <param name="disposing">Whether called from <see cref="Dispose()"/>.</param>
    protected virtual void Dispose(bool disposing)
    {
    }

    /// <summary>Checks the arguments of <see cref="Forward"/>; on failure returns every packet (the ownership promise) and throws.</summary>
    /// <param name="packets">The packets.</param>
    /// <param name="destinations">Their destinations.</param>
    /// <param name="disposed">Whether the forwarder is disposed.</param>
    protected void CheckForward(ReadOnlySpan<PacketBuffer> packets, ReadOnlySpan<PacketAddress> destinations, bool disposed)
    {
        if (disposed)
        {
            ReturnAll(packets);
            throw new ObjectDisposedException(GetType().Name);
        }

        if (packets.Length != destinations.Length)
        {
            ReturnAll(packets);
            throw new ArgumentException($"{packets.Length} packets but {destinations.Length} destinations.", nameof(destinations));
        }
    }

    /// <summary>Returns every packet to its owner.</summary>
    /// <param name="packets">The packets.</param>
    protected static void ReturnAll(ReadOnlySpan<PacketBuffer> packets)
    {
        foreach (var packet in packets)
        {
            packet.Return();
        }
    }
}
