using System;
using System.Diagnostics;
using System.Net;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Threading;
using TailGuard.R2P2;
using TailGuard.Transport.Xdp.Attachment;
using TailGuard.Transport.Xdp.Bpf;
using TailGuard.Transport.Xdp.Frames;
using TailGuard.Transport.Xdp.Interop;
using TailGuard.Transport.Xdp.Neighbours;
using TailGuard.Transport.Xdp.Netlink;
using TailGuard.Transport.Xdp.Platform;
using TailGuard.Transport.Xdp.Sockets;

namespace TailGuard.Transport.Xdp;

/// <summary>
/// An AF_XDP <see cref="PacketTransport"/>: one receive queue of one interface, with the service's UDP datagrams
/// steered to it by an XDP program (everything else stays with the kernel) and its packet memory a UMEM shared with
/// the kernel. The UMEM frames are the packet buffers: a received datagram reaches the handler in the frame it arrived
/// in, and a buffer rented here is sent from where it was written, headers written in front of it. See docs/xdp.md.
/// </summary>
/// <remarks>
/// <para>Create it in the network namespace of the interface (the calling thread's). Several transports on one
/// interface (one per queue) share one XDP program and one port; the last disposed detaches the program.</para>
/// <para>Thread safety as <see cref="PacketTransport"/> promises: <see cref="Rent"/> and <see cref="Send"/> from any
/// thread, <see cref="Receive"/> from one thread at a time.</para>
/// </remarks>
public sealed unsafe class XdpTransport : PacketTransport
{
    /// <summary>The kernel leaves this much room before a received packet in its frame (XDP_PACKET_HEADROOM).</summary>
    private const int KernelHeadroom = 256;
    private const int ChunkSize = 64;
    private const int MinimumFrame = 60; // Ethernet's minimum frame without its checksum: shorter ones are padded

    private readonly XdpTransportOptions _options;
    private readonly NetlinkSocket _netlink;
    private readonly XdpAttachment _attachment;
    private readonly FramePool _pool;
    private readonly XskSocket _socket;
    private readonly LocalIdentity _identity;
    private readonly NeighbourTable _neighbours;
    private readonly PacketBufferPool _overflow;
    private readonly Lock _transmit = new();
    private readonly int _mtu;
    private readonly bool _driveReceive;
    private readonly long[] _receiveDrops = new long[Enum.GetValues<XdpDropReason>().Length];
    private readonly Lock _pendingGate = new();
    private PendingFrames _pendingFrames;
    private readonly long[] _pendingDeadlines = new long[ChunkSize];
    private int _pendingCount;
    private int _framesWithKernel;
    private int _receiving;
    private int _disposed;
    private long _received;
    private long _sent;
    private long _unresolved;
    private long _unroutable;
    private long _oversized;
    private long _ringFull;
    private long _frameShortage;
    private long _rentOverflows;
    private long _forwardsInPlace;
    private long _forwardCopies;

    private XdpTransport(XdpTransportOptions options, NetlinkSocket netlink, LinkInfo link, XdpAttachment attachment, FramePool pool, XskSocket socket, LocalIdentity identity, IPAddress local)
    {
        _options = options;
        _netlink = netlink;
        _attachment = attachment;
        _pool = pool;
        _socket = socket;
        _identity = identity;
        _mtu = link.Mtu;
        _driveReceive = options.BusyPoll > TimeSpan.Zero || options.PreferBusyPoll;
        _neighbours = new NeighbourTable(netlink, link.Index, options.NeighbourCacheCapacity, options.NeighbourCacheLifetime);
        MaxDatagramSize = Math.Min(link.Mtu - FrameLayout.IPv4Header - FrameLayout.UdpHeader, options.FrameSize - KernelHeadroom - FrameLayout.IPv6Headers);
        _overflow = new PacketBufferPool(MaxDatagramSize, maxIdle: 256);
        LocalAddress = PacketAddress.FromEndPoint(new IPEndPoint(local, attachment.Port));
        InterfaceName = link.Name;
        InterfaceIndex = link.Index;
        Queue = options.Queue;
        Refill();
    }

    /// <inheritdoc/>
    public override PacketAddress LocalAddress { get; }

    /// <summary>The largest datagram: the interface's MTU less the IPv4 and UDP headers, within a UMEM frame.</summary>
    public override int MaxDatagramSize { get; }

    /// <summary>The interface's name.</summary>
    public string InterfaceName { get; }

    /// <summary>The interface's index in its network namespace.</summary>
    public int InterfaceIndex { get; }

    /// <summary>The receive queue this transport serves.</summary>
    public int Queue { get; }

    /// <summary>How the XDP program is attached: native or generic.</summary>
    public XdpAttachMode AttachMode => _attachment.Mode;

    /// <summary>How the socket is bound: zero-copy or copy.</summary>
    public XdpBindMode BindMode => _socket.ZeroCopy ? XdpBindMode.ZeroCopy : XdpBindMode.Copy;

    /// <summary>The kernel's id of the XDP program (<c>ip link show</c> prints it as "prog/xdp id N").</summary>
    public uint ProgramId => _attachment.ProgramId;

    /// <summary>Where the UMEM frames are now (for tests of frame accounting; exact only while nobody receives or sends).</summary>
    internal FrameCensus Census => new(_pool.FreeCount, Volatile.Read(ref _framesWithKernel), _pool.Held, _pool.Sending, _pool.FrameCount);

    /// <summary>Forwarded packets that were frames of this UMEM, sent in their own frame (for tests of the no-copy path).</summary>
    internal long ForwardsInPlace => Interlocked.Read(ref _forwardsInPlace);

    /// <summary>Forwarded packets that were other buffers, copied into a frame (for tests of the no-copy path).</summary>
    internal long ForwardCopies => Interlocked.Read(ref _forwardCopies);

    /// <summary>A snapshot of the counters (the transport's, its socket's and its program's).</summary>
    public XdpStatistics Statistics
    {
        get
        {
            var drops = new long[_receiveDrops.Length];
            for (var i = 0; i < drops.Length; i++)
            {
                drops[i] = Interlocked.Read(ref _receiveDrops[i]);
            }

            var kernel = Volatile.Read(ref _disposed) == 0 ? ReadSocketCounters() : default;
            var program = _attachment.ReadCounters();
            var census = Census;
            return new XdpStatistics(AttachMode, BindMode, _attachment.IsLink, drops)
            {
                FrameCount = census.Total,
                FramesFree = census.Free,
                FramesReceiving = census.Receiving,
                FramesHeld = census.Held,
                FramesSending = census.Sending,
                DatagramsReceived = Interlocked.Read(ref _received),
                DatagramsSent = Interlocked.Read(ref _sent),
                UnresolvedNeighbourDrops = Interlocked.Read(ref _unresolved),
                UnroutableDrops = Interlocked.Read(ref _unroutable),
                OversizedSendDrops = Interlocked.Read(ref _oversized),
                TransmitRingFullDrops = Interlocked.Read(ref _ringFull),
                FrameShortageDrops = Interlocked.Read(ref _frameShortage),
                RentOverflows = Interlocked.Read(ref _rentOverflows),
                KernelRxDropped = kernel.RxDropped,
                KernelRxRingFull = kernel.RxRingFull,
                KernelFillRingEmpty = kernel.FillRingEmpty,
                KernelTxRingEmpty = kernel.TxRingEmpty,
                KernelInvalidDescriptors = kernel.RxInvalidDescriptors + kernel.TxInvalidDescriptors,
                ProgramRedirected = program.Redirected,
                ProgramPassed = program.Passed,
                ProgramNoSocket = program.NoSocket,
            };
        }
    }

    /// <summary>
    /// Opens an AF_XDP transport on <see cref="XdpTransportOptions.Interface"/> queue
    /// <see cref="XdpTransportOptions.Queue"/>: checks the privileges, attaches the XDP program (or joins this process's
    /// program on that interface), registers the UMEM and binds the socket.
    /// </summary>
    /// <param name="options">The settings.</param>
    /// <returns>The transport.</returns>
    /// <exception cref="XdpUnavailableException">AF_XDP cannot be used here; the message names what is missing.</exception>
    /// <exception cref="ArgumentException">A setting is wrong (no such interface or queue, an address it does not have).</exception>
    /// <exception cref="XdpException">The interface is down or has no address, the port is taken, or the kernel failed otherwise.</exception>
    public static XdpTransport Create(XdpTransportOptions options) => Create(options, held: 0);

    /// <summary>
    /// <see cref="Create(XdpTransportOptions)"/> for a role that keeps <paramref name="held"/> frames beyond the rings
    /// (a router's queued requests), which a <see cref="XdpTransportOptions.FrameCount"/> of 0 sizes the UMEM for.
    /// </summary>
    internal static XdpTransport Create(XdpTransportOptions options, int held)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        var frames = (int)Math.Min(options.FramesHolding(held), XdpTransportOptions.MaxFrameCount); // the router refuses more first
        CheckPlatform();
        var netlink = NetlinkSocket.Open();
        XdpAttachment? attachment = null;
        FramePool? pool = null;
        XskSocket? socket = null;
        var registered = false;
        try
        {
            var link = RouteNetlink.GetLink(netlink, options.Interface)
                ?? throw new ArgumentException($"There is no network interface named '{options.Interface}' here (ip link show lists them; the transport sees the calling thread's network namespace).");
            CheckLink(link, options);
            var addresses = RouteNetlink.GetAddresses(netlink, link.Index);
            if (addresses.Count == 0)
            {
                throw new XdpException($"{link.Name} has no IP address: the transport answers on the interface's own addresses (ip addr add ... dev {link.Name}).");
            }

            var local = ChooseLocal(options.LocalAddress, addresses, link.Name);
            attachment = XdpAttachment.Acquire(link, options);
            pool = new FramePool(options.FrameSize, frames);
            socket = XskSocket.Open(link.Name, link.Index, options.Queue, pool, options);
            attachment.Register(options.Queue, socket.Fd);
            registered = true;
            var identity = new LocalIdentity(link.Mac, link.Index, addresses, attachment.Port);
            return new XdpTransport(options, netlink, link, attachment, pool, socket, identity, local);
        }
        catch
        {
            attachment?.Release(registered ? options.Queue : null);
            socket?.Dispose();
            pool?.Retire();
            netlink.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Makes sure the kernel knows the MAC address of <paramref name="destination"/>'s next hop, asking it to resolve
    /// it (ARP or neighbour discovery) and waiting up to <see cref="XdpTransportOptions.NeighbourTimeout"/>. Sends to
    /// a next hop the kernel has not resolved are dropped and counted (<see cref="XdpStatistics.UnresolvedNeighbourDrops"/>);
    /// a client calls this once for its server (the R2P2 factories do).
    /// </summary>
    /// <param name="destination">Where datagrams will go.</param>
    /// <exception cref="XdpException">No route out of this interface, or no answer in time; the message says which next hop and its state.</exception>
    public void ResolveNeighbour(PacketAddress destination)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        var deadline = Stopwatch.GetTimestamp() + (long)(_options.NeighbourTimeout.TotalSeconds * Stopwatch.Frequency);
        Span<byte> mac = stackalloc byte[6];
        while (true)
        {
            _neighbours.Forget(destination);
            var status = _neighbours.TryGetMac(destination, mac);
            if (status == NextHopStatus.Resolved)
            {
                return;
            }

            if (status == NextHopStatus.Unroutable || Stopwatch.GetTimestamp() >= deadline)
            {
                throw Unresolved(destination, status);
            }

            Thread.Sleep(10);
        }
    }

    /// <summary>
    /// Rents a UMEM frame, with room before the payload for the headers (so it is sent without a copy); when every
    /// frame is in use, a managed buffer (counted in <see cref="XdpStatistics.RentOverflows"/>; sending it costs a copy).
    /// </summary>
    /// <inheritdoc/>
    public override PacketBuffer Rent(int capacity)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(capacity);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(capacity, MaxDatagramSize);
        var frame = _pool.TryRent();
        if (frame is null && Volatile.Read(ref _disposed) == 0 && _transmit.TryEnter())
        {
            try
            {
                if (Volatile.Read(ref _disposed) == 0)
                {
                    ReapCompletions(); // sent frames the kernel finished with, not yet collected
                }
            }
            finally
            {
                _transmit.Exit();
            }

            frame = _pool.TryRent();
        }

        if (frame is not null)
        {
            return frame;
        }

        Interlocked.Increment(ref _rentOverflows);
        return _overflow.Rent();
    }

    /// <inheritdoc/>
    public override void Send(ReadOnlySpan<PacketBuffer> packets)
    {
        if (Volatile.Read(ref _disposed) != 0)
        {
            ReturnAll(packets);
            throw new ObjectDisposedException(nameof(XdpTransport));
        }

        if (Volatile.Read(ref _pendingCount) > 0)
        {
            SendPending();
        }

        Span<ulong> addresses = stackalloc ulong[ChunkSize];
        Span<int> lengths = stackalloc int[ChunkSize];
        var frames = new PendingFrames();
        while (!packets.IsEmpty)
        {
            var chunk = packets[..Math.Min(packets.Length, ChunkSize)];
            packets = packets[chunk.Length..];
            var ready = 0;
            foreach (var packet in chunk)
            {
                // Each packet ends as a frame ready to go, parked until its next hop resolves, or returned (dropped
                // and counted): exactly one of the three.
                var frame = packet.Owner == _pool ? packet : CopyIntoFrame(packet);
                if (frame is null)
                {
                    continue;
                }

                switch (TryBuildFrame(frame, frame.Address, forwardedFrom: null, out addresses[ready], out lengths[ready]))
                {
                    case FrameVerdict.Ready:
                        frames[ready++] = frame;
                        break;
                    case FrameVerdict.Unresolved when Park(frame):
                        break;
                    case FrameVerdict.Unresolved:
                        Interlocked.Increment(ref _unresolved);
                        frame.Return();
                        break;
                    default:
                        frame.Return();
                        break;
                }
            }

            Transmit(ref frames, addresses[..ready], lengths[..ready]);
        }
    }

    /// <summary>
    /// <see cref="XdpForwarder"/>'s work: sends each packet to <paramref name="destinations"/>[i] with its own
    /// <see cref="PacketBuffer.Address"/> (the client it came from) as the source, and takes every packet. A frame of
    /// this UMEM (received here, or rented) goes out in place: its headers are rewritten in front of the payload and the
    /// frame itself goes on the TX ring, coming back through the completion ring to the free stack; any other buffer is
    /// copied into a free frame first. Nothing is parked for an unresolved next hop (a router would rather drop and count
    /// than hold requests): the kernel is asked to resolve it and the datagram is dropped.
    /// </summary>
    /// <returns>How many packets were not sent (each also counted in <see cref="Statistics"/> by reason).</returns>
    internal int Forward(ReadOnlySpan<PacketBuffer> packets, ReadOnlySpan<PacketAddress> destinations)
    {
        if (Volatile.Read(ref _disposed) != 0)
        {
            ReturnAll(packets);
            return packets.Length;
        }

        if (Volatile.Read(ref _pendingCount) > 0)
        {
            SendPending();
        }

        Span<ulong> addresses = stackalloc ulong[ChunkSize];
        Span<int> lengths = stackalloc int[ChunkSize];
        var frames = new PendingFrames();
        var failed = 0;
        while (!packets.IsEmpty)
        {
            var chunk = packets[..Math.Min(packets.Length, ChunkSize)];
            var targets = destinations[..chunk.Length];
            packets = packets[chunk.Length..];
            destinations = destinations[chunk.Length..];
            var ready = 0;
            for (var i = 0; i < chunk.Length; i++)
            {
                var packet = chunk[i];
                var source = packet.Address;
                var destination = targets[i];
                if (source.IsIPv4 != destination.IsIPv4)
                {
                    // Only the destination is rewritten: a client of one family cannot reach a server of the other.
                    Interlocked.Increment(ref _unroutable);
                    packet.Return();
                    failed++;
                    continue;
                }

                var inPlace = packet.Owner == _pool;
                Interlocked.Increment(ref inPlace ? ref _forwardsInPlace : ref _forwardCopies);
                var frame = inPlace ? packet : CopyIntoFrame(packet);
                if (frame is null)
                {
                    failed++;
                    continue;
                }

                switch (TryBuildFrame(frame, destination, source, out addresses[ready], out lengths[ready]))
                {
                    case FrameVerdict.Ready:
                        frames[ready++] = frame;
                        break;
                    case FrameVerdict.Unresolved:
                        Interlocked.Increment(ref _unresolved);
                        frame.Return();
                        failed++;
                        break;
                    default:
                        frame.Return();
                        failed++;
                        break;
                }
            }

            failed += Transmit(ref frames, addresses[..ready], lengths[..ready]);
        }

        return failed;
    }

    /// <inheritdoc/>
    public override int Receive(Span<PacketBuffer> buffers, int timeoutMilliseconds)
    {
        if (buffers.IsEmpty)
        {
            return 0;
        }

        if (Interlocked.Exchange(ref _receiving, 1) != 0)
        {
            throw new InvalidOperationException("One thread receives from an XdpTransport at a time.");
        }

        try
        {
            if (Volatile.Read(ref _disposed) != 0)
            {
                return 0;
            }

            if (Volatile.Read(ref _pendingCount) > 0)
            {
                SendPending();
            }

            Refill();
            var count = Harvest(buffers);
            if (count == 0 && timeoutMilliseconds <= 0)
            {
                FinishSending();
                count = PollOnce(buffers);
            }
            else if (count == 0)
            {
                count = WaitAndHarvest(buffers, timeoutMilliseconds); // finishes sending before each wait
            }

            if (count > 0)
            {
                Refill();
            }

            return count;
        }
        finally
        {
            Volatile.Write(ref _receiving, 0);
        }
    }

    /// <inheritdoc/>
    protected override void Dispose(bool disposing)
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            // A receive in progress notices within one wait slice; a send in progress holds the transmit lock.
            var spin = new SpinWait();
            while (Volatile.Read(ref _receiving) != 0)
            {
                spin.SpinOnce(sleep1Threshold: 20);
            }

            lock (_transmit)
            {
                _attachment.Release(Queue);
                _socket.Dispose();
            }

            lock (_pendingGate)
            {
                for (var i = 0; i < _pendingCount; i++)
                {
                    _pendingFrames[i].Return();
                    _pendingFrames[i] = null!;
                }

                _pendingCount = 0;
            }

            _pool.Retire();
            _netlink.Dispose();
        }

        base.Dispose(disposing);
    }

    private static void CheckPlatform()
    {
        if (!OperatingSystem.IsLinux())
        {
            throw new XdpUnavailableException($"AF_XDP needs Linux; this is {RuntimeInformation.OSDescription}.");
        }

        if (!Environment.Is64BitProcess || !BpfSyscall.IsSupportedArchitecture || !BitConverter.IsLittleEndian)
        {
            throw new XdpUnavailableException($"The AF_XDP transport runs in 64-bit little-endian processes on x86-64 or arm64, not {RuntimeInformation.ProcessArchitecture}.");
        }

        var missing = Capabilities.Missing();
        if (missing.Count > 0)
        {
            throw new XdpUnavailableException($"AF_XDP needs CAP_NET_ADMIN, CAP_NET_RAW and CAP_BPF (or root); this process lacks {string.Join(", ", missing)}.");
        }
    }

    private static void CheckLink(LinkInfo link, XdpTransportOptions options)
    {
        if (!link.IsUp)
        {
            throw new XdpException($"{link.Name} is down: bring it up first (ip link set dev {link.Name} up).");
        }

        if (link.Mac.Length != 6)
        {
            throw new XdpUnavailableException($"{link.Name} is not an Ethernet interface (its link-layer address has {link.Mac.Length} bytes); the AF_XDP transport builds Ethernet frames.");
        }

        if (options.Queue >= link.ReceiveQueues)
        {
            throw new ArgumentException($"{link.Name} has {link.ReceiveQueues} receive queue(s), 0 to {link.ReceiveQueues - 1}; there is no queue {options.Queue}.");
        }

        if (link.Mtu < 68 + FrameLayout.EthernetHeader)
        {
            throw new XdpException($"{link.Name}'s MTU ({link.Mtu}) is too small for UDP.");
        }
    }

    private static IPAddress ChooseLocal(IPAddress? wanted, System.Collections.Generic.List<IPAddress> addresses, string name)
    {
        if (wanted is null)
        {
            return addresses[0];
        }

        foreach (var address in addresses)
        {
            if (address.AddressFamily == wanted.AddressFamily && address.GetAddressBytes().AsSpan().SequenceEqual(wanted.GetAddressBytes()))
            {
                return address;
            }
        }

        throw new ArgumentException($"{wanted} is not an address of {name} (it has {string.Join(", ", addresses)}).");
    }

    private XskCounters ReadSocketCounters()
    {
        lock (_transmit)
        {
            return Volatile.Read(ref _disposed) == 0 ? _socket.ReadCounters() : default;
        }
    }

    private XdpException Unresolved(PacketAddress destination, NextHopStatus status)
    {
        _neighbours.Describe(destination, out var nextHop, out var state, out var outputInterface);
        if (status == NextHopStatus.Unroutable)
        {
            return new XdpException(outputInterface == 0
                ? $"The kernel has no route to {destination} out of {InterfaceName}: the AF_XDP transport sends only out of its own interface."
                : $"The kernel routes {destination} out of interface #{outputInterface}, not {InterfaceName} (#{InterfaceIndex}): the AF_XDP transport sends only out of its own interface.");
        }

        return new XdpException($"No MAC address for {nextHop}, the next hop to {destination} on {InterfaceName}, after {_options.NeighbourTimeout.TotalMilliseconds:0} ms (neighbour state: {StateName(state)}): is that host up and on this link? (ip neigh show dev {InterfaceName})");
    }

    private static string StateName(ushort state) => state switch
    {
        0 => "no entry",
        RouteNetlink.NudIncomplete => "INCOMPLETE (asked, no answer yet)",
        RouteNetlink.NudFailed => "FAILED (no answer)",
        _ => $"0x{state:x2}",
    };

    /// <summary>Copies a buffer that is not a frame of this UMEM (standalone, or managed overflow) into a free frame and gives the buffer back.</summary>
    private PacketBuffer? CopyIntoFrame(PacketBuffer packet)
    {
        var frame = packet.Length <= MaxDatagramSize ? _pool.TryRent() : null;
        if (frame is null)
        {
            if (packet.Length <= MaxDatagramSize)
            {
                Interlocked.Increment(ref _frameShortage);
            }
            else
            {
                Interlocked.Increment(ref _oversized);
            }

            packet.Return();
            return null;
        }

        packet.Span.CopyTo(frame.Storage);
        frame.Length = packet.Length;
        frame.Address = packet.Address;
        packet.Return();
        return frame;
    }

    /// <summary>
    /// Writes the headers in front of the payload: from this transport's address and port, or, forwarding, from
    /// <paramref name="forwardedFrom"/> (the client's, of <paramref name="destination"/>'s family) with only the
    /// Ethernet addresses this interface's and the next hop's. <see cref="FrameVerdict.Dropped"/> is counted here;
    /// <see cref="FrameVerdict.Unresolved"/> is the caller's to park or count.
    /// </summary>
    private FrameVerdict TryBuildFrame(PacketBuffer frame, PacketAddress destination, PacketAddress? forwardedFrom, out ulong umemAddress, out int frameLength)
    {
        umemAddress = 0;
        frameLength = 0;
        var ipv4 = destination.IsIPv4;
        var headers = ipv4 ? FrameLayout.IPv4Headers : FrameLayout.IPv6Headers;
        if (frame.Length + headers - FrameLayout.EthernetHeader > _mtu)
        {
            Interlocked.Increment(ref _oversized);
            return FrameVerdict.Dropped;
        }

        Span<byte> source = stackalloc byte[16];
        Span<byte> target = stackalloc byte[16];
        var linkLocal = !ipv4 && destination.ScopeId != 0;
        var sourcePort = _identity.Port;
        if (forwardedFrom is { } client)
        {
            client.WriteAddressBytes(source);
            sourcePort = client.Port;
        }

        if ((linkLocal && destination.ScopeId != (uint)InterfaceIndex) || (forwardedFrom is null && !_identity.TryWriteSource(ipv4, linkLocal, source)))
        {
            Interlocked.Increment(ref _unroutable);
            return FrameVerdict.Dropped;
        }

        Span<byte> mac = stackalloc byte[6];
        var status = _neighbours.TryGetMac(destination, mac);
        if (status == NextHopStatus.Unroutable)
        {
            Interlocked.Increment(ref _unroutable);
            return FrameVerdict.Dropped;
        }

        if (status == NextHopStatus.Unresolved)
        {
            return FrameVerdict.Unresolved;
        }

        // The payload sits somewhere in its frame (64 bytes in when rented, after the received headers when reused):
        // the headers go right in front of it.
        var frameStart = _pool.Base + (long)_pool.OffsetOf(frame);
        var payloadOffset = (int)((byte*)frame.BaseAddress - frameStart);
        if (payloadOffset < headers)
        {
            // Never for frames rented or received here; kept so a remapped buffer can never write before its frame.
            new Span<byte>((byte*)frame.BaseAddress, frame.Length).CopyTo(new Span<byte>(frameStart + FrameLayout.Headroom, frame.Length));
            payloadOffset = FrameLayout.Headroom;
        }

        var addressLength = destination.WriteAddressBytes(target);
        var start = payloadOffset - headers;
        var available = _pool.FrameSize - start;
        var length = FrameWriter.Write(new Span<byte>(frameStart + start, available), mac, _identity.Mac, source[..addressLength], target[..addressLength], sourcePort, destination.Port, frame.Length);
        if (length < MinimumFrame && available >= MinimumFrame)
        {
            new Span<byte>(frameStart + start + length, MinimumFrame - length).Clear();
            length = MinimumFrame;
        }

        umemAddress = _pool.OffsetOf(frame) + (ulong)start;
        frameLength = length;
        return FrameVerdict.Ready;
    }

    /// <summary>
    /// Holds a frame whose next hop the kernel is resolving, as the kernel holds packets waiting for ARP: at most
    /// <see cref="ChunkSize"/> frames, each at most <see cref="XdpTransportOptions.NeighbourTimeout"/>. False when full.
    /// </summary>
    private bool Park(PacketBuffer frame)
    {
        lock (_pendingGate)
        {
            if (_pendingCount == ChunkSize || Volatile.Read(ref _disposed) != 0)
            {
                return false;
            }

            _pendingFrames[_pendingCount] = frame;
            _pendingDeadlines[_pendingCount] = Stopwatch.GetTimestamp() + (long)(_options.NeighbourTimeout.TotalSeconds * Stopwatch.Frequency);
            Volatile.Write(ref _pendingCount, _pendingCount + 1);
            return true;
        }
    }

    /// <summary>Sends the parked frames whose next hop is now known, drops (and counts) those that waited too long.</summary>
    private void SendPending()
    {
        Span<ulong> addresses = stackalloc ulong[ChunkSize];
        Span<int> lengths = stackalloc int[ChunkSize];
        var frames = new PendingFrames();
        var ready = 0;
        lock (_pendingGate)
        {
            var now = Stopwatch.GetTimestamp();
            var kept = 0;
            for (var i = 0; i < _pendingCount; i++)
            {
                var frame = _pendingFrames[i];
                _pendingFrames[i] = null!;
                var verdict = TryBuildFrame(frame, frame.Address, forwardedFrom: null, out addresses[ready], out lengths[ready]);
                if (verdict == FrameVerdict.Ready)
                {
                    frames[ready++] = frame;
                }
                else if (verdict == FrameVerdict.Unresolved && now < _pendingDeadlines[i] && Volatile.Read(ref _disposed) == 0)
                {
                    _pendingDeadlines[kept] = _pendingDeadlines[i];
                    _pendingFrames[kept++] = frame;
                }
                else
                {
                    if (verdict == FrameVerdict.Unresolved)
                    {
                        Interlocked.Increment(ref _unresolved);
                    }

                    frame.Return();
                }
            }

            Volatile.Write(ref _pendingCount, kept);
        }

        Transmit(ref frames, addresses[..ready], lengths[..ready]);
    }

    /// <summary>Puts the frames on the TX ring, wakes the kernel if it asked, and collects completions; returns how many were dropped (ring full, or disposed).</summary>
    private int Transmit(ref PendingFrames frames, ReadOnlySpan<ulong> addresses, ReadOnlySpan<int> lengths)
    {
        if (addresses.IsEmpty)
        {
            return 0;
        }

        lock (_transmit)
        {
            if (Volatile.Read(ref _disposed) != 0)
            {
                for (var i = 0; i < addresses.Length; i++)
                {
                    frames[i].Return();
                    frames[i] = null!;
                }

                return addresses.Length;
            }

            ReapCompletions();
            ref var tx = ref _socket.Tx;
            var queued = 0;
            var dropped = 0;
            for (var i = 0; i < addresses.Length; i++)
            {
                var frame = frames[i];
                frames[i] = null!;
                if (tx.FreeEntries(1) == 0)
                {
                    tx.Submit();
                    Kick();
                    ReapCompletions();
                    if (tx.FreeEntries(1) == 0)
                    {
                        Interlocked.Increment(ref _ringFull);
                        frame.Return();
                        dropped++;
                        continue;
                    }
                }

                ref var descriptor = ref tx.Descriptor(tx.Cached++);
                descriptor.Address = addresses[i];
                descriptor.Length = (uint)lengths[i];
                descriptor.Options = 0;
                _pool.Transmitting(frame);
                queued++;
            }

            tx.Submit();
            Kick();
            ReapCompletions();
            Interlocked.Add(ref _sent, queued);
            return dropped;
        }
    }

    /// <summary>
    /// Tells the kernel to transmit when it needs telling (always in copy mode, where sendto does the sending, a batch
    /// at a time: EAGAIN means "more left, or the completion ring is full: call again", EBUSY "the device dropped one,
    /// call again"). Bounded: a stuck device cannot hold a sender forever. docs/xdp.md, "Sending".
    /// </summary>
    private void Kick()
    {
        if (_socket.NeedWakeup && !_socket.Tx.NeedsWakeup())
        {
            return;
        }

        for (var attempt = 0; attempt < 1024; attempt++)
        {
            var errno = _socket.Kick();
            if (errno is not (Libc.EAgain or Libc.EBusy or Libc.ENoBufs or Libc.EIntr))
            {
                // Sent, or refused in a way no retry fixes now (ENETDOWN: the interface is down). What the ring still
                // holds stays there until a later send or an idle receive (FinishSending) asks again.
                return;
            }

            if (Volatile.Read(ref *_socket.Tx.Consumer) == _socket.Tx.Cached)
            {
                return;
            }

            // The kernel sends only while the completion ring has room for what it sends: make room before asking again.
            ReapCompletions();
        }
    }

    /// <summary>
    /// While the receiver has nothing to do: collects the frames the kernel finished sending, and asks it again to send
    /// what the TX ring still holds (a kick that gave up on a busy device, or a completion ring that was full), so the
    /// last answers of a burst never wait for the next send. Skipped if a sender holds the ring: it does the same.
    /// </summary>
    private void FinishSending()
    {
        // No frame on the TX ring or waiting on the completion ring (every idle turn once a send has been collected):
        // nothing to do, and no need for the lock's two atomic operations to find that out. A sender that puts a frame
        // on the ring after this read collects and kicks for it itself.
        if (_pool.Sending == 0)
        {
            return;
        }

        if (!_transmit.TryEnter())
        {
            return;
        }

        try
        {
            if (Volatile.Read(ref _disposed) != 0)
            {
                return;
            }

            ReapCompletions();
            if (Volatile.Read(ref *_socket.Tx.Consumer) != _socket.Tx.Cached)
            {
                Kick();
                ReapCompletions();
            }
        }
        finally
        {
            _transmit.Exit();
        }
    }

    /// <summary>Frames the kernel finished sending go back to the free stack (under the transmit lock: one consumer).</summary>
    private void ReapCompletions()
    {
        ref var completion = ref _socket.Completion;
        Span<int> indices = stackalloc int[ChunkSize];
        while (true)
        {
            var count = (int)completion.Available(ChunkSize);
            if (count == 0)
            {
                return;
            }

            var kept = 0;
            for (var i = 0; i < count; i++)
            {
                var address = completion.Address(completion.Cached + (uint)i);
                if (_pool.FrameAt(address) is { } frame)
                {
                    indices[kept++] = (int)frame.OwnerToken;
                }
            }

            completion.Cached += (uint)count;
            completion.Release();
            _pool.Put(indices[..kept]);
        }
    }

    /// <summary>
    /// Gives the kernel free frames to receive into, up to one ring's worth in its hands, fill ring and RX ring together
    /// (receive thread only). More would not help: while nobody harvests, a packet needs both a fill-ring frame and an
    /// RX-ring slot, so the RX ring's free slots bound what can arrive (docs/xdp.md, "Bursts").
    /// </summary>
    private void Refill()
    {
        ref var fill = ref _socket.Fill;
        var wanted = _options.RingSize - _framesWithKernel;
        if (wanted <= 0)
        {
            return;
        }

        wanted = (int)Math.Min((uint)wanted, fill.FreeEntries((uint)wanted));
        Span<int> indices = stackalloc int[ChunkSize];
        var given = 0;
        while (given < wanted)
        {
            var taken = _pool.Take(indices[..Math.Min(ChunkSize, wanted - given)]);
            if (taken == 0)
            {
                break;
            }

            for (var i = 0; i < taken; i++)
            {
                fill.Address(fill.Cached++) = _pool.OffsetOf(indices[i]);
            }

            given += taken;
        }

        if (given > 0)
        {
            _framesWithKernel += given;
            fill.Submit();
        }
    }

    private int PollOnce(Span<PacketBuffer> buffers)
    {
        // Busy polling runs the driver from this system call; with need-wakeup the kernel may ask for one to refill.
        if (_driveReceive || (_socket.NeedWakeup && _socket.Fill.NeedsWakeup()))
        {
            _socket.WakeReceive();
            return Harvest(buffers);
        }

        return 0;
    }

    private int WaitAndHarvest(Span<PacketBuffer> buffers, int timeoutMilliseconds)
    {
        // Wait in slices, so Dispose never waits long for a receive to notice it, and so frames parked for a next hop
        // go out soon after the kernel resolves it (a few milliseconds, as the kernel's own queued packets would).
        var deadline = Environment.TickCount64 + timeoutMilliseconds;
        while (Volatile.Read(ref _disposed) == 0)
        {
            var remaining = deadline - Environment.TickCount64;
            if (remaining <= 0)
            {
                return 0;
            }

            var parked = Volatile.Read(ref _pendingCount) > 0;
            if (parked)
            {
                SendPending();
            }

            FinishSending();

            _socket.Wait((int)Math.Min(remaining, parked ? 5 : 50));
            var count = Harvest(buffers);
            if (count > 0)
            {
                return count;
            }
        }

        return 0;
    }

    /// <summary>
    /// Takes what the RX ring holds (up to the slots offered): each frame is checked, and a good one goes into the next
    /// slot as a buffer over its payload, the slot's old buffer going back to its owner. Bad frames go straight back to
    /// the free stack, counted by reason.
    /// </summary>
    private int Harvest(Span<PacketBuffer> buffers)
    {
        // Most turns of a spinning loop find the ring empty: that check stays this small (inlined into Receive), and
        // the frame work, whose locals the JIT would otherwise zero on every call, runs only when there is some
        // (docs/performance.md, "AF_XDP": the per-method profile).
        var available = _socket.Rx.Available((uint)buffers.Length);
        return available == 0 ? 0 : Harvest(buffers, available);
    }

    /// <summary>The frame work of <see cref="Harvest(Span{PacketBuffer})"/>: <paramref name="available"/> descriptors are ready on the RX ring.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    [SkipLocalsInit] // every local is written before it is read (the parser's outputs are out parameters)
    private int Harvest(Span<PacketBuffer> buffers, uint available)
    {
        ref var rx = ref _socket.Rx;
        var kept = 0;
        for (var i = 0u; i < available; i++)
        {
            var descriptor = rx.Descriptor(rx.Cached + i);
            _framesWithKernel--;
            var frame = _pool.FrameAt(descriptor.Address);
            if (frame is null)
            {
                Drop(XdpDropReason.BadDescriptor);
                continue;
            }

            var index = (int)frame.OwnerToken;
            var offset = (int)(descriptor.Address - _pool.OffsetOf(frame));
            if (descriptor.Length > (uint)(_pool.FrameSize - offset))
            {
                Drop(XdpDropReason.BadDescriptor);
                _pool.Put(index);
                continue;
            }

            var bytes = new ReadOnlySpan<byte>(_pool.Base + (long)descriptor.Address, (int)descriptor.Length);
            if (!FrameParser.TryParse(bytes, _identity, out var datagram, out var reason))
            {
                Drop(reason);
                _pool.Put(index);
                continue;
            }

            var slot = buffers[kept];
            if (datagram.PayloadLength > slot.Capacity)
            {
                Drop(XdpDropReason.TooLarge);
                _pool.Put(index);
                continue;
            }

            var received = _pool.HandOut(index, offset + datagram.PayloadOffset);
            received.Length = datagram.PayloadLength;
            received.Address = datagram.Source;
            buffers[kept++] = received;
            slot.Return(); // the caller's buffer goes back to its owner (a frame of ours: the free stack)
        }

        rx.Cached += available;
        rx.Release();
        Interlocked.Add(ref _received, kept);
        return kept;
    }

    private void Drop(XdpDropReason reason) => Interlocked.Increment(ref _receiveDrops[(int)reason]);

    private enum FrameVerdict
    {
        Ready,
        Unresolved,
        Dropped,
    }

    /// <summary>The frames of one send chunk, on the stack.</summary>
    [System.Runtime.CompilerServices.InlineArray(ChunkSize)]
    private struct PendingFrames
    {
        private PacketBuffer _element;
    }
}
