using System;

namespace TailGuard.Transport.Xdp;

/// <summary>
/// A snapshot of one <see cref="XdpTransport"/>: how it is attached and bound, what it received, sent and dropped,
/// the kernel's counters of its AF_XDP socket, and the XDP program's counters (shared by the transports of one
/// interface). Each read of <see cref="XdpTransport.Statistics"/> takes a new snapshot.
/// </summary>
public sealed class XdpStatistics
{
    private readonly long[] _receiveDrops;

    internal XdpStatistics(XdpAttachMode attachMode, XdpBindMode bindMode, bool programIsLink, long[] receiveDrops)
    {
        AttachMode = attachMode;
        BindMode = bindMode;
        ProgramHeldByLink = programIsLink;
        _receiveDrops = receiveDrops;
    }

    /// <summary>How the program is attached: <see cref="XdpAttachMode.Native"/> or <see cref="XdpAttachMode.Generic"/>.</summary>
    public XdpAttachMode AttachMode { get; }

    /// <summary>How the socket is bound: <see cref="XdpBindMode.ZeroCopy"/> or <see cref="XdpBindMode.Copy"/>.</summary>
    public XdpBindMode BindMode { get; }

    /// <summary>Whether a BPF link holds the program (the kernel detaches it when the process ends, even when killed); false on kernels before 5.9, where netlink attached it.</summary>
    public bool ProgramHeldByLink { get; }

    /// <summary>Datagrams handed to the receiver.</summary>
    public long DatagramsReceived { get; init; }

    /// <summary>Datagrams put on the transmit ring.</summary>
    public long DatagramsSent { get; init; }

    /// <summary>Received frames dropped, all reasons together.</summary>
    public long ReceiveDrops
    {
        get
        {
            long total = 0;
            foreach (var count in _receiveDrops)
            {
                total += count;
            }

            return total;
        }
    }

    /// <summary>
    /// Datagrams not sent because the kernel found no MAC address for their next hop within
    /// <see cref="XdpTransportOptions.NeighbourTimeout"/> (they wait for it, up to 64 at a time, as the kernel's own
    /// packets wait for ARP), or because that wait queue was full.
    /// </summary>
    public long UnresolvedNeighbourDrops { get; init; }

    /// <summary>Datagrams not sent because the kernel routes their destination out of another interface, or not at all, or the interface has no address of their family.</summary>
    public long UnroutableDrops { get; init; }

    /// <summary>Datagrams not sent because, with their headers, they exceed the interface's MTU (over IPv6, 20 bytes less than over IPv4).</summary>
    public long OversizedSendDrops { get; init; }

    /// <summary>Datagrams not sent because the transmit ring stayed full: even after a wakeup the kernel took nothing from it (as while the interface is down). Their frames went straight back.</summary>
    public long TransmitRingFullDrops { get; init; }

    /// <summary>Datagrams not sent because no UMEM frame was free to copy a foreign buffer into.</summary>
    public long FrameShortageDrops { get; init; }

    /// <summary>Rents served from managed memory because every UMEM frame was in use (sending one costs a copy).</summary>
    public long RentOverflows { get; init; }

    /// <summary>The kernel's count of packets its socket dropped for other reasons (XDP_STATISTICS rx_dropped).</summary>
    public long KernelRxDropped { get; init; }

    /// <summary>Packets the kernel dropped because the RX ring was full: the receiver did not keep up.</summary>
    public long KernelRxRingFull { get; init; }

    /// <summary>Times the kernel found the fill ring empty: no free frame to receive into.</summary>
    public long KernelFillRingEmpty { get; init; }

    /// <summary>Times the kernel looked for something to send and found the TX ring empty (XDP_STATISTICS tx_ring_empty_descs; harmless).</summary>
    public long KernelTxRingEmpty { get; init; }

    /// <summary>
    /// Datagrams the XDP program redirected to this socket that the kernel could not deliver to it:
    /// <see cref="KernelRxDropped"/> (in copy mode mostly no free frame on the fill ring) plus
    /// <see cref="KernelRxRingFull"/>. They happen when the receiving thread does not run for a while (descheduled,
    /// paused by the garbage collector, or slower than the arrivals) and more arrive than the fill and RX rings hold;
    /// the sender learns of them only by its timeout (an R2P2 client retries or fails the call). docs/xdp.md, "Bursts".
    /// </summary>
    public long KernelReceiveLosses => KernelRxDropped + KernelRxRingFull;

    /// <summary>Invalid descriptors the kernel saw on the RX and TX rings (never expected).</summary>
    public long KernelInvalidDescriptors { get; init; }

    /// <summary>Frames the XDP program redirected to the interface's AF_XDP sockets (all queues).</summary>
    public long ProgramRedirected { get; init; }

    /// <summary>Frames the XDP program passed to the kernel as not the service's (all queues).</summary>
    public long ProgramPassed { get; init; }

    /// <summary>
    /// Frames for the service that arrived on a receive queue with no transport and passed to the kernel (all queues):
    /// a transport per queue, or a flow-steering rule that sends the port to the served queues, fixes it.
    /// </summary>
    public long ProgramNoSocket { get; init; }

    /// <summary>UMEM frames in the transport: the four frame counts below add up to it.</summary>
    public int FrameCount { get; init; }

    /// <summary>UMEM frames free (ready to fill or to rent).</summary>
    public int FramesFree { get; init; }

    /// <summary>UMEM frames with the kernel for receiving: on the fill ring, being filled, or on the RX ring.</summary>
    public int FramesReceiving { get; init; }

    /// <summary>UMEM frames held by the application: rented, handed to a receiver, or parked for a next hop.</summary>
    public int FramesHeld { get; init; }

    /// <summary>UMEM frames with the kernel for sending: on the TX ring or the completion ring.</summary>
    public int FramesSending { get; init; }

    /// <summary>
    /// Whether every UMEM frame was found in one place (free, receiving, held, sending). Exact only when no thread
    /// received or sent during the snapshot (at exit, or with the loops paused); a frame lost on some path would show
    /// here as a shortfall that stays.
    /// </summary>
    public bool FramesAccountedFor => FramesFree + FramesReceiving + FramesHeld + FramesSending == FrameCount;

    /// <summary>Received frames dropped for one reason.</summary>
    /// <param name="reason">The reason.</param>
    /// <returns>How many.</returns>
    public long GetReceiveDrops(XdpDropReason reason)
        => (uint)reason < (uint)_receiveDrops.Length ? _receiveDrops[(int)reason] : throw new ArgumentOutOfRangeException(nameof(reason), reason, "Not a drop reason.");

    /// <inheritdoc/>
    public override string ToString()
        => $"{AttachMode} attach, {BindMode} bind: received {DatagramsReceived}, sent {DatagramsSent}, receive drops {ReceiveDrops}, "
            + $"send drops (unresolved {UnresolvedNeighbourDrops}, unroutable {UnroutableDrops}, oversized {OversizedSendDrops}, ring full {TransmitRingFullDrops}, no frame {FrameShortageDrops}); "
            + $"program redirected {ProgramRedirected}, passed {ProgramPassed}, no socket {ProgramNoSocket}; kernel rx dropped {KernelRxDropped}, rx ring full {KernelRxRingFull}, fill ring empty {KernelFillRingEmpty}, tx ring empty {KernelTxRingEmpty}, invalid descriptors {KernelInvalidDescriptors}; "
            + $"frames {FrameCount}: free {FramesFree}, receiving {FramesReceiving}, held {FramesHeld}, sending {FramesSending}";
}
