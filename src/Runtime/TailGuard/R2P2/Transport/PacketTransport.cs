using System;

namespace TailGuard.R2P2;

/// <summary>
/// A datagram endpoint: sends batches of datagrams to addresses and receives batches into pooled pinned buffers.
/// R2P2 clients and servers run over any transport: <see cref="UdpTransport"/> on real networks,
/// <see cref="InMemoryTransport"/> on an <see cref="InMemoryNetwork"/> in tests and simulations.
/// </summary>
public abstract class PacketTransport : IDisposable
{
    /// <summary>The address this transport receives on (and sends from).</summary>
    public abstract PacketAddress LocalAddress { get; }

    /// <summary>The largest datagram, header included, this transport carries.</summary>
    public abstract int MaxDatagramSize { get; }

    /// <summary>
    /// Sends the first <see cref="PacketBuffer.Length"/> bytes of each packet to its <see cref="PacketBuffer.Address"/>.
    /// Thread-safe. The caller keeps ownership of the buffers. A datagram the network cannot take is lost, as UDP is.
    /// </summary>
    /// <param name="packets">The datagrams.</param>
    public abstract void Send(ReadOnlySpan<PacketBuffer> packets);

    /// <summary>
    /// Receives up to <paramref name="buffers"/>.Length datagrams, setting each buffer's length and source address.
    /// One thread receives at a time.
    /// </summary>
    /// <param name="buffers">Buffers to fill, each at least <see cref="MaxDatagramSize"/> bytes.</param>
    /// <param name="timeoutMilliseconds">0 returns at once (busy polling); otherwise waits up to this long for the first datagram.</param>
    /// <returns>How many buffers were filled; 0 when nothing arrived in time or the transport is disposed.</returns>
    public abstract int Receive(Span<PacketBuffer> buffers, int timeoutMilliseconds);

    /// <summary>Closes the transport.</summary>
    public void Dispose()
    {
        Dispose(true);
        GC.SuppressFinalize(this);
    }

    /// <summary>Releases the transport's resources.</summary>
    /// <param name="disposing">Whether called from <see cref="Dispose()"/>.</param>
    protected virtual void Dispose(bool disposing)
    {
    }
}
