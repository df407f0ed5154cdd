using System;
using System.Threading;

namespace TailGuard.R2P2;

/// <summary>
/// A datagram endpoint that owns its packet memory. Clients, servers and routers see only this abstraction: they rent
/// every buffer they fill from the transport (<see cref="Rent"/>), hand buffers over when sending, and take ownership of
/// the buffers a receive returns; none of them allocates packet memory. A transport may back its buffers with pinned
/// arrays (<see cref="UdpTransport"/>, <see cref="Simulation.InMemoryTransport"/>) or with frames of its own memory
/// region shared with the kernel or a device (a kernel-bypass transport), so a received packet reaches the handler
/// without a copy. See docs/r2p2.md, "Writing a transport".
/// </summary>
public abstract class PacketTransport : IPacketBufferSource, IDisposable
{
    private PinnedBufferPools? _memory;

    /// <summary>The address this transport receives on (and sends from).</summary>
    public abstract PacketAddress LocalAddress { get; }

    /// <summary>The largest datagram, R2P2 header included, this transport carries.</summary>
    public abstract int MaxDatagramSize { get; }

    /// <summary>
    /// Rents a buffer of this transport's memory with room for at least <paramref name="capacity"/> bytes (length 0,
    /// no address). Thread-safe. The caller owns it until it sends it or calls <see cref="PacketBuffer.Return"/>.
    /// The default lends pinned arrays from pools the transport owns (one per size class), which is what a transport
    /// over sockets wants; a transport with a memory region of its own (frames shared with the kernel or a device)
    /// overrides it.
    /// </summary>
    /// <param name="capacity">The bytes needed, from 0 to <see cref="MaxDatagramSize"/>.</param>
    /// <returns>The buffer.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="capacity"/> is negative or above <see cref="MaxDatagramSize"/>.</exception>
    public virtual PacketBuffer Rent(int capacity)
    {
        var memory = Volatile.Read(ref _memory);
        if (memory is null)
        {
            Interlocked.CompareExchange(ref _memory, new PinnedBufferPools(MaxDatagramSize), null);
            memory = _memory!;
        }

        return memory.Rent(capacity);
    }

    /// <summary>
    /// Sends the first <see cref="PacketBuffer.Length"/> bytes of each packet to its <see cref="PacketBuffer.Address"/>
    /// and takes ownership of every packet, whatever happens to it: the transport returns each buffer to its owner once
    /// the datagram has left (at once for a socket, on transmit completion for a ring). The caller must not touch a
    /// packet after passing it here. Thread-safe. A datagram the network cannot take is lost, as UDP loses it.
    /// </summary>
    /// <param name="packets">The datagrams, each a distinct buffer held by the caller (standalone buffers are sent and kept by nobody).</param>
    /// <exception cref="ObjectDisposedException">The transport is disposed (the packets are still taken and returned).</exception>
    public abstract void Send(ReadOnlySpan<PacketBuffer> packets);

    /// <summary>
    /// Receives up to <paramref name="buffers"/>.Length datagrams. On entry each element holds a buffer the caller owns
    /// (rented from this transport, or standalone) whose capacity is the largest datagram the caller takes in that slot;
    /// larger datagrams are dropped and counted. On return the first <em>n</em> elements hold the datagrams, each with
    /// its length and source address set. A transport that receives into its own memory may put its own buffers into
    /// the span and take the ones they replace. Either way the caller owns every element of the span afterwards.
    /// One thread receives at a time.
    /// </summary>
    /// <param name="buffers">The receive slots.</param>
    /// <param name="timeoutMilliseconds">0 returns at once (busy polling); otherwise waits up to this long for the first datagram.</param>
    /// <returns>How many datagrams arrived (<em>n</em>); 0 when nothing arrived in time or the transport is disposed.</returns>
    public abstract int Receive(Span<PacketBuffer> buffers, int timeoutMilliseconds);

    /// <summary>
    /// Whether this transport counts the datagrams its receive queue dropped (<see cref="ReceiveQueueDrops"/>) and tells
    /// whether a receive emptied that queue (<see cref="LastReceiveEmptiedQueue"/>). A router needs both to tell a lost
    /// FEEDBACK from a silent server (docs/router.md, "What FEEDBACK does"); without them it judges silence as before.
    /// </summary>
    internal virtual bool WatchesReceiveQueue => false;

    /// <summary>
    /// Datagrams that reached this endpoint and were dropped before a receive could take them (a full receive queue: the
    /// kernel's count for a socket, the inbox overflow in memory), since it was opened. Any thread. Meaningful only when
    /// <see cref="WatchesReceiveQueue"/>.
    /// </summary>
    internal virtual long ReceiveQueueDrops => 0;

    /// <summary>
    /// Whether the last <see cref="Receive"/> took everything that was waiting when it ran (it returned fewer datagrams
    /// than it had slots, or none): every datagram that reached the endpoint before that receive began has been read or
    /// dropped. Read on the receiving thread. False when unknown.
    /// </summary>
    internal virtual bool LastReceiveEmptiedQueue => false;

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

    /// <summary>Returns every packet of a send the transport could not carry out (disposed), keeping the ownership promise.</summary>
    /// <param name="packets">The packets handed to <see cref="Send"/>.</param>
    protected static void ReturnAll(ReadOnlySpan<PacketBuffer> packets)
    {
        foreach (var packet in packets)
        {
            packet.Return();
        }
    }
}
