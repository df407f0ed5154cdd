using System;
using System.Net;
using System.Numerics;

namespace TailGuard.Transport.Xdp;

/// <summary>Settings of an <see cref="XdpTransport"/> (docs/xdp.md lists each with its reason).</summary>
public sealed class XdpTransportOptions
{
    /// <summary>The most UMEM frames a transport registers (4 GiB of 4096-byte frames).</summary>
    internal const int MaxFrameCount = 1 << 20;

    /// <summary>The network interface, e.g. "eth0" (required).</summary>
    public string Interface { get; init; } = string.Empty;

    /// <summary>The receive queue this transport serves (one queue per transport; several transports for several queues).</summary>
    public int Queue { get; init; }

    /// <summary>The UDP port; 0 lets the kernel pick a free one (reserved with a kernel socket for the transport's life).</summary>
    public ushort Port { get; init; }

    /// <summary>
    /// The address reported as <see cref="XdpTransport.LocalAddress"/> and used by a UDP fallback; it must be one of
    /// the interface's. Null picks the interface's first IPv4 address, else its first IPv6 address. The transport
    /// serves every address the interface has, IPv4 and IPv6, either way.
    /// </summary>
    public IPAddress? LocalAddress { get; init; }

    /// <summary>Native or generic attachment; <see cref="XdpAttachMode.Auto"/> tries native first.</summary>
    public XdpAttachMode AttachMode { get; init; } = XdpAttachMode.Auto;

    /// <summary>Zero-copy or copy binding; <see cref="XdpBindMode.Auto"/> tries zero-copy first.</summary>
    public XdpBindMode BindMode { get; init; } = XdpBindMode.Auto;

    /// <summary>Bytes per UMEM frame: 2048 or 4096 (the kernel's aligned chunk sizes that hold a 1500-byte MTU frame).</summary>
    public int FrameSize { get; init; } = 4096;

    /// <summary>
    /// UMEM frames: at least twice <see cref="RingSize"/> (half feed the receive ring, the rest send and lend), or 0
    /// (the default) for the role's size: 4096 frames, or twice <see cref="RingSize"/> when that is more; a router's
    /// UMEM also holds its central queue (<c>R2P2Router.CreateXdp</c>: a queued request keeps its frame).
    /// </summary>
    public int FrameCount { get; init; }

    /// <summary>Entries of each ring (fill, completion, RX, TX): a power of two from 64 to 16384.</summary>
    public int RingSize { get; init; } = 1024;

    /// <summary>
    /// Entries of the TX ring when not <see cref="RingSize"/> (0, the default): a power of two from 2 to 16384. For
    /// tests: a TX ring smaller than a send fills in the middle of it (docs/xdp.md, "Sending").
    /// </summary>
    internal int TransmitRingSize { get; init; }

    /// <summary>
    /// Entries of the completion ring when not <see cref="RingSize"/> (0, the default): a power of two from 2 to 16384.
    /// For tests: the kernel sends only while the completion ring has room, so one smaller than its batch stops it in
    /// the middle of a send until the sender collects completions (docs/xdp.md, "Sending").
    /// </summary>
    internal int CompletionRingSize { get; init; }

    /// <summary>
    /// The UMEM's frames for a transport that keeps <paramref name="held"/> frames beyond its rings (a router's queued
    /// requests): <see cref="FrameCount"/>, or when 0 enough for the rings and those, 4096 at least.
    /// </summary>
    internal long FramesHolding(int held) => FrameCount != 0 ? FrameCount : Math.Max(4096, (2L * RingSize) + held);

    /// <summary>Entries of the TX ring: <see cref="TransmitRingSize"/>, or <see cref="RingSize"/>.</summary>
    internal int TransmitRingEntries => TransmitRingSize == 0 ? RingSize : TransmitRingSize;

    /// <summary>Entries of the completion ring: <see cref="CompletionRingSize"/>, or <see cref="RingSize"/>.</summary>
    internal int CompletionRingEntries => CompletionRingSize == 0 ? RingSize : CompletionRingSize;

    /// <summary>
    /// Binds with XDP_USE_NEED_WAKEUP: the kernel says when it needs a system call to go on (a sendto to transmit, a
    /// poll to refill), so a busy application makes none in steady state. On by default.
    /// </summary>
    public bool UseNeedWakeup { get; init; } = true;

    /// <summary>SO_BUSY_POLL: how long a receive system call may spin in the driver for packets; zero (the default) leaves it off.</summary>
    public TimeSpan BusyPoll { get; init; }

    /// <summary>SO_BUSY_POLL_BUDGET: packets one busy-poll round may process; 0 keeps the kernel's default.</summary>
    public int BusyPollBudget { get; init; }

    /// <summary>
    /// SO_PREFER_BUSY_POLL: the application's polling drives the device queue instead of interrupts (with the
    /// interface's napi_defer_hard_irqs and gro_flush_timeout set; docs/xdp.md).
    /// </summary>
    public bool PreferBusyPoll { get; init; }

    /// <summary>How long <see cref="XdpTransport.ResolveNeighbour"/> waits for the kernel to learn a next hop's MAC address.</summary>
    public TimeSpan NeighbourTimeout { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>How long a next hop's MAC address is used before the kernel's neighbour table is read again.</summary>
    public TimeSpan NeighbourCacheLifetime { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Destinations whose next hop the transport remembers at once (a fixed table; more are looked up again).</summary>
    public int NeighbourCacheCapacity { get; init; } = 1024;

    /// <summary>Attaches through netlink (IFLA_XDP) as on kernels without XDP links; for tests of that path.</summary>
    internal bool AttachWithNetlink { get; init; }

    internal void Validate()
    {
        if (string.IsNullOrWhiteSpace(Interface) || Interface.Length > 15 || Interface.Contains('/', StringComparison.Ordinal) || Interface.Contains(' ', StringComparison.Ordinal))
        {
            throw new ArgumentException($"{nameof(XdpTransportOptions)}.{nameof(Interface)} must name a network interface (1 to 15 characters), not '{Interface}'.");
        }

        if (Queue < 0)
        {
            throw new ArgumentException($"{nameof(XdpTransportOptions)}.{nameof(Queue)} must not be negative.");
        }

        if (FrameSize is not (2048 or 4096))
        {
            throw new ArgumentException($"{nameof(XdpTransportOptions)}.{nameof(FrameSize)} must be 2048 or 4096, not {FrameSize}.");
        }

        if (RingSize < 64 || RingSize > 16384 || !BitOperations.IsPow2(RingSize))
        {
            throw new ArgumentException($"{nameof(XdpTransportOptions)}.{nameof(RingSize)} must be a power of two from 64 to 16384, not {RingSize}.");
        }

        if (FrameCount != 0 && (FrameCount < 2 * RingSize || FrameCount > MaxFrameCount))
        {
            throw new ArgumentException($"{nameof(XdpTransportOptions)}.{nameof(FrameCount)} must be 0 (sized for the role) or at least twice {nameof(RingSize)} ({2 * RingSize}) and at most {MaxFrameCount}, not {FrameCount}.");
        }

        if (BusyPoll < TimeSpan.Zero || BusyPoll > TimeSpan.FromSeconds(1))
        {
            throw new ArgumentException($"{nameof(XdpTransportOptions)}.{nameof(BusyPoll)} must be between 0 and 1 s.");
        }

        if (BusyPollBudget is < 0 or > 65535)
        {
            throw new ArgumentException($"{nameof(XdpTransportOptions)}.{nameof(BusyPollBudget)} must be between 0 and 65535.");
        }

        if (NeighbourTimeout <= TimeSpan.Zero || NeighbourTimeout > TimeSpan.FromMinutes(1))
        {
            throw new ArgumentException($"{nameof(XdpTransportOptions)}.{nameof(NeighbourTimeout)} must be between 0 (exclusive) and 1 minute.");
        }

        if (NeighbourCacheLifetime <= TimeSpan.Zero)
        {
            throw new ArgumentException($"{nameof(XdpTransportOptions)}.{nameof(NeighbourCacheLifetime)} must be positive.");
        }

        if (NeighbourCacheCapacity is < 1 or > 1 << 20)
        {
            throw new ArgumentException($"{nameof(XdpTransportOptions)}.{nameof(NeighbourCacheCapacity)} must be between 1 and {1 << 20}.");
        }

        CheckOptionalRingSize(nameof(TransmitRingSize), TransmitRingSize);
        CheckOptionalRingSize(nameof(CompletionRingSize), CompletionRingSize);
        if (AttachMode is < XdpAttachMode.Auto or > XdpAttachMode.Generic || BindMode is < XdpBindMode.Auto or > XdpBindMode.Copy)
        {
            throw new ArgumentException($"{nameof(XdpTransportOptions)}: unknown attach or bind mode.");
        }

        static void CheckOptionalRingSize(string name, int size)
        {
            if (size != 0 && (size < 2 || size > 16384 || !BitOperations.IsPow2(size)))
            {
                throw new ArgumentException($"{nameof(XdpTransportOptions)}.{name} must be 0 ({nameof(RingSize)}) or a power of two from 2 to 16384, not {size}.");
            }
        }
    }
}
