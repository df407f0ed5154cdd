using System;
using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using TailGuard.Transport.Xdp.Interop;

namespace TailGuard.Transport.Xdp.Sockets;

/// <summary>The kernel's counters of one AF_XDP socket (XDP_STATISTICS).</summary>
internal readonly record struct XskCounters(long RxDropped, long RxInvalidDescriptors, long TxInvalidDescriptors, long RxRingFull, long FillRingEmpty, long TxRingEmpty);

/// <summary>
/// An AF_XDP socket bound to one queue of one interface, with the UMEM registered and its four rings mapped: the fill
/// and completion rings (UMEM addresses), the RX and TX rings (descriptors). It knows the system calls the data path
/// needs (a wakeup to transmit, a receive to drive busy polling, poll to wait) and nothing about packets.
/// </summary>
internal sealed unsafe class XskSocket : IDisposable
{
    public const int SolXdp = 283;
    private const int XdpMmapOffsets = 1;
    private const int XdpRxRing = 2;
    private const int XdpTxRing = 3;
    private const int XdpUmemReg = 4;
    private const int XdpUmemFillRing = 5;
    private const int XdpUmemCompletionRing = 6;
    private const int XdpStatistics = 7;
    private const int XdpOptions = 8;
    private const ushort BindCopy = 1 << 1;
    private const ushort BindZeroCopy = 1 << 2;
    private const ushort BindUseNeedWakeup = 1 << 3;
    private const long PageOffsetRx = 0;
    private const long PageOffsetTx = 0x80000000;
    private const long PageOffsetFill = 0x100000000;
    private const long PageOffsetCompletion = 0x180000000;

    /// <summary>The flags word of kernels whose rings have none (before 5.4): always zero, never moves.</summary>
    private static readonly uint* s_noFlags = (uint*)System.Runtime.InteropServices.NativeMemory.AllocZeroed(sizeof(uint));

    private readonly FileDescriptor _fd;
    private readonly MappedMemory[] _mappings = new MappedMemory[4];

    public XskRing Fill;
    public XskRing Completion;
    public XskRing Rx;
    public XskRing Tx;

    private XskSocket(FileDescriptor fd) => _fd = fd;

    public int Fd => _fd.Value;

    /// <summary>Whether the kernel bound in zero-copy mode (XDP_OPTIONS_ZEROCOPY).</summary>
    public bool ZeroCopy { get; private set; }

    /// <summary>Whether the rings carry need-wakeup flags (bound with XDP_USE_NEED_WAKEUP).</summary>
    public bool NeedWakeup { get; private set; }

    /// <summary>Creates the socket, registers the UMEM, maps the rings and binds to the queue; every failure says what to do.</summary>
    public static XskSocket Open(string interfaceName, int ifindex, int queue, FramePool umem, XdpTransportOptions options)
    {
        var raw = Libc.socket(Libc.AfXdp, Libc.SockRaw | Libc.SockCloexec, 0);
        if (raw < 0)
        {
            var errno = Libc.LastError;
            throw errno switch
            {
                Libc.EAfNoSupport => new XdpUnavailableException($"This kernel has no AF_XDP sockets ({Libc.Describe(errno)}): it needs CONFIG_XDP_SOCKETS (Linux 4.18 or later)."),
                Libc.EPerm or Libc.EAcces => new XdpUnavailableException($"Creating an AF_XDP socket was refused ({Libc.Describe(errno)}): it needs CAP_NET_RAW (or root)."),
                _ => new XdpException($"Cannot create an AF_XDP socket: {Libc.Describe(errno)}."),
            };
        }

        var socket = new XskSocket(new FileDescriptor(raw));
        try
        {
            socket.Register(umem);
            socket.SetRingSizes(options);
            socket.MapRings(options);
            socket.SetBusyPolling(options);
            socket.Bind(interfaceName, ifindex, queue, options);
            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>Asks the kernel to transmit what the TX ring holds (sendto with no data). False on a real error (transient ones are retried by the caller).</summary>
    /// <remarks>
    /// Never inlined, nor are the other system calls here: the JIT does not inline a P/Invoke's transition into a
    /// try region on x64 (the transport calls these under a lock or a try/finally), and calls it through a stub instead,
    /// which the per-method profile showed costing more than the rest of an empty busy-polling turn (docs/performance.md,
    /// "AF_XDP").
    /// </remarks>
    [MethodImpl(MethodImplOptions.NoInlining)]
    public int Kick()
    {
        if (Libc.sendto(Fd, null, 0, Libc.MsgDontWait, null, 0) >= 0)
        {
            return 0;
        }

        return Libc.LastError;
    }

    /// <summary>Lets the kernel run the receive path for this socket (a non-blocking recvfrom with no buffer): busy polling and fill-ring wakeups.</summary>
    /// <remarks>Its result and errno are not used (an empty ring is what EAGAIN says, and the caller looks at the ring), so it calls <see cref="Libc.recvfromNoErrno"/>.</remarks>
    [MethodImpl(MethodImplOptions.NoInlining)]
    public void WakeReceive() => Libc.recvfromNoErrno(Fd, null, 0, Libc.MsgDontWait, null, null);

    /// <summary>Waits up to <paramref name="timeoutMilliseconds"/> for a received packet; true when the RX ring has one.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    public bool Wait(int timeoutMilliseconds)
    {
        var poll = new Libc.PollFd { Fd = Fd, Events = Libc.PollIn };
        return Libc.poll(&poll, 1, timeoutMilliseconds) > 0;
    }

    public XskCounters ReadCounters()
    {
        var buffer = stackalloc long[6];
        new Span<long>(buffer, 6).Clear();
        var length = (uint)(6 * sizeof(long));
        Libc.getsockopt(Fd, SolXdp, XdpStatistics, buffer, &length);
        return new XskCounters(buffer[0], buffer[1], buffer[2], buffer[3], buffer[4], buffer[5]);
    }

    public void Dispose()
    {
        // Close the socket first: the kernel stops using the rings (and the UMEM) before they are unmapped.
        _fd.Dispose();
        foreach (var mapping in _mappings)
        {
            mapping?.Dispose();
        }
    }

    private void Register(FramePool umem)
    {
        var registration = stackalloc byte[32];
        new Span<byte>(registration, 32).Clear();
        BinaryPrimitives.WriteUInt64LittleEndian(new Span<byte>(registration, 8), (ulong)umem.Base);
        BinaryPrimitives.WriteUInt64LittleEndian(new Span<byte>(registration + 8, 8), umem.Size);
        BinaryPrimitives.WriteUInt32LittleEndian(new Span<byte>(registration + 16, 4), (uint)umem.FrameSize);
        if (Libc.setsockopt(Fd, SolXdp, XdpUmemReg, registration, 24) == 0)
        {
            return;
        }

        var errno = Libc.LastError;
        throw errno is Libc.ENoBufs or Libc.ENoMem or Libc.EPerm
            ? new XdpUnavailableException($"Registering {umem.Size >> 20} MiB of packet memory (UMEM) was refused ({Libc.Describe(errno)}): the kernel pins it, which needs CAP_IPC_LOCK or a locked-memory limit (ulimit -l) above it; or lower XdpTransportOptions.FrameCount.")
            : new XdpException($"Registering the UMEM failed: {Libc.Describe(errno)}.");
    }

    /// <summary>Fill and RX rings of <see cref="XdpTransportOptions.RingSize"/> entries; TX and completion rings of theirs (the same unless a test asks).</summary>
    private void SetRingSizes(XdpTransportOptions options)
    {
        SetRingSize(XdpUmemFillRing, options.RingSize, "fill");
        SetRingSize(XdpUmemCompletionRing, options.CompletionRingEntries, "completion");
        SetRingSize(XdpRxRing, options.RingSize, "RX");
        SetRingSize(XdpTxRing, options.TransmitRingEntries, "TX");
    }

    private void SetRingSize(int ring, int entries, string name)
    {
        var size = entries;
        if (Libc.setsockopt(Fd, SolXdp, ring, &size, sizeof(int)) != 0)
        {
            throw new XdpException($"Sizing the AF_XDP {name} ring to {entries} entries failed: {Libc.Describe(Libc.LastError)}.");
        }
    }

    private void MapRings(XdpTransportOptions options)
    {
        // struct xdp_mmap_offsets: rx, tx, fill, completion; each producer, consumer, desc, flags (flags since 5.4).
        var offsets = stackalloc ulong[16];
        new Span<ulong>(offsets, 16).Clear();
        var length = (uint)(16 * sizeof(ulong));
        if (Libc.getsockopt(Fd, SolXdp, XdpMmapOffsets, offsets, &length) != 0)
        {
            throw new XdpException($"Reading the AF_XDP ring offsets failed: {Libc.Describe(Libc.LastError)}.");
        }

        var hasFlags = length >= 16 * sizeof(ulong);
        var stride = hasFlags ? 4 : 3;
        Rx = Map(0, offsets, stride, hasFlags, options.RingSize, sizeof(XdpDescriptor), PageOffsetRx);
        Tx = Map(1, offsets + stride, stride, hasFlags, options.TransmitRingEntries, sizeof(XdpDescriptor), PageOffsetTx);
        Fill = Map(2, offsets + (2 * stride), stride, hasFlags, options.RingSize, sizeof(ulong), PageOffsetFill);
        Completion = Map(3, offsets + (3 * stride), stride, hasFlags, options.CompletionRingEntries, sizeof(ulong), PageOffsetCompletion);

        // Producer rings start with the whole ring free; consumer rings start empty.
        Tx.CachedOther = Volatile(Tx.Consumer);
        Fill.CachedOther = Volatile(Fill.Consumer);
        Tx.Cached = Volatile(Tx.Producer);
        Fill.Cached = Volatile(Fill.Producer);
        Rx.Cached = Volatile(Rx.Consumer);
        Completion.Cached = Volatile(Completion.Consumer);
        Rx.CachedOther = Rx.Cached;
        Completion.CachedOther = Completion.Cached;

        static uint Volatile(uint* word) => System.Threading.Volatile.Read(ref *word);
    }

    private XskRing Map(int slot, ulong* offsets, int stride, bool hasFlags, int ringSize, int entrySize, long pageOffset)
    {
        var length = (nuint)(offsets[2] + (ulong)(ringSize * entrySize));
        var mapping = MappedMemory.Ring(Fd, length, pageOffset, out var errno);
        if (mapping.IsInvalid)
        {
            throw new XdpException($"Mapping an AF_XDP ring failed: {Libc.Describe(errno)}.");
        }

        _mappings[slot] = mapping;
        var start = mapping.Pointer;
        return new XskRing
        {
            Producer = (uint*)(start + offsets[0]),
            Consumer = (uint*)(start + offsets[1]),
            Entries = start + offsets[2],
            Flags = hasFlags && stride == 4 ? (uint*)(start + offsets[3]) : s_noFlags,
            Size = (uint)ringSize,
            Mask = (uint)ringSize - 1,
        };
    }

    private void SetBusyPolling(XdpTransportOptions options)
    {
        if (options.PreferBusyPoll)
        {
            SetInt(Libc.SoPreferBusyPoll, 1, "SO_PREFER_BUSY_POLL");
        }

        if (options.BusyPoll > TimeSpan.Zero)
        {
            SetInt(Libc.SoBusyPoll, (int)Math.Max(1, options.BusyPoll.TotalMicroseconds), "SO_BUSY_POLL");
        }

        if (options.BusyPollBudget > 0)
        {
            SetInt(Libc.SoBusyPollBudget, options.BusyPollBudget, "SO_BUSY_POLL_BUDGET");
        }
    }

    private void SetInt(int option, int value, string name)
    {
        if (Libc.setsockopt(Fd, Libc.SolSocket, option, &value, sizeof(int)) != 0)
        {
            var errno = Libc.LastError;
            throw errno is Libc.EPerm or Libc.EAcces
                ? new XdpUnavailableException($"Setting {name} was refused ({Libc.Describe(errno)}): it needs CAP_NET_ADMIN.")
                : new XdpException($"Setting {name} failed: {Libc.Describe(errno)} (busy polling needs Linux 5.11 or later).");
        }
    }

    private void Bind(string interfaceName, int ifindex, int queue, XdpTransportOptions options)
    {
        var flags = options.BindMode switch
        {
            XdpBindMode.ZeroCopy => BindZeroCopy,
            XdpBindMode.Copy => BindCopy,
            _ => (ushort)0, // the kernel tries zero-copy and falls back to copy
        };
        if (options.UseNeedWakeup)
        {
            flags |= BindUseNeedWakeup;
        }

        var address = stackalloc byte[16];
        new Span<byte>(address, 16).Clear();
        BinaryPrimitives.WriteUInt16LittleEndian(new Span<byte>(address, 2), Libc.AfXdp);
        BinaryPrimitives.WriteUInt16LittleEndian(new Span<byte>(address + 2, 2), flags);
        BinaryPrimitives.WriteUInt32LittleEndian(new Span<byte>(address + 4, 4), (uint)ifindex);
        BinaryPrimitives.WriteUInt32LittleEndian(new Span<byte>(address + 8, 4), (uint)queue);
        // A queue whose socket was just closed stays busy until the kernel's deferred release of its UMEM pool runs (a
        // work item after close that takes the RTNL lock, which namespace and link changes elsewhere on the host can
        // hold for seconds), so EBUSY is retried for a while before it is believed.
        var errno = 0;
        var deadline = Environment.TickCount64 + 5000;
        while (Libc.bind(Fd, address, 16) != 0)
        {
            errno = Libc.LastError;
            if (errno != Libc.EBusy || Environment.TickCount64 >= deadline)
            {
                break;
            }

            System.Threading.Thread.Sleep(5);
            errno = 0;
        }

        if (errno != 0)
        {
            throw errno switch
            {
                Libc.EBusy => new XdpException($"Queue {queue} of {interfaceName} is already served by another AF_XDP socket (EBUSY)."),
                Libc.EInval => new ArgumentException($"{interfaceName} has no receive queue {queue}, or refuses AF_XDP on it ({Libc.Describe(errno)})."),
                Libc.EOpNotSupp or Libc.EProtoNoSupport when options.BindMode == XdpBindMode.ZeroCopy
                    => new XdpUnavailableException($"{interfaceName}'s driver does not support zero-copy AF_XDP ({Libc.Describe(errno)}): use XdpBindMode.Auto or Copy."),
                Libc.ENetDown => new XdpException($"{interfaceName} is down ({Libc.Describe(errno)}): bring it up first (ip link set dev {interfaceName} up)."),
                _ => new XdpException($"Binding an AF_XDP socket to {interfaceName} queue {queue} failed: {Libc.Describe(errno)}."),
            };
        }

        var xdpOptions = 0u;
        var length = (uint)sizeof(uint);
        ZeroCopy = Libc.getsockopt(Fd, SolXdp, XdpOptions, &xdpOptions, &length) == 0 && (xdpOptions & 1) != 0;
        NeedWakeup = options.UseNeedWakeup && Fill.Flags != s_noFlags; // rings with flags words
    }
}
