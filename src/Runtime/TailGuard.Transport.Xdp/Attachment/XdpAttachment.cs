using System;
using System.Collections.Generic;
using System.Net;
using System.Net.Sockets;
using System.Threading;
using TailGuard.Transport.Xdp.Bpf;
using TailGuard.Transport.Xdp.Interop;
using TailGuard.Transport.Xdp.Netlink;
using TailGuard.Transport.Xdp.Platform;

namespace TailGuard.Transport.Xdp.Attachment;

/// <summary>
/// The XDP program on one interface, shared by this process's transports on that interface (one per receive queue):
/// the program, its XSKMAP (queue to socket) and counters, the attachment itself, and a kernel UDP socket that reserves
/// the port so no other program on the host can take it. The last transport to leave detaches the program.
/// </summary>
/// <remarks>
/// Attachment is a BPF link (Linux 5.9+): the kernel detaches the program when the link's last descriptor closes, which
/// a killed process does too, so a crash never leaves the interface steering packets to a socket that is gone. On
/// older kernels the program is attached through netlink (IFLA_XDP) instead; it is detached on dispose and at process
/// exit, but a killed process leaves it attached until <c>ip link set dev IFACE xdp off</c> (docs/xdp.md).
/// </remarks>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1001:Types that own disposable fields should be disposable", Justification = "Reference-counted by Acquire and Release: the last Release disposes everything it owns.")]
internal sealed unsafe class XdpAttachment
{
    private static readonly Dictionary<(ulong Namespace, int Interface), XdpAttachment> s_attached = [];
    private static readonly Lock s_gate = new();

    // Programs this process detached: one still attached is going away, not someone else's (see AwaitDetach).
    private static readonly HashSet<uint> s_detached = [];

    private readonly (ulong Namespace, int Interface) _key;
    private readonly HashSet<int> _queues = [];
    private readonly FileDescriptor _xskMap;
    private readonly FileDescriptor _counters;
    private readonly FileDescriptor _program;
    private readonly Socket _portReservation;
    private readonly NetlinkSocket _netlink;
    private FileDescriptor? _link;
    private uint _netlinkModeFlags;
    private EventHandler? _detachAtExit;

    private XdpAttachment((ulong, int) key, LinkInfo link, ushort port, Socket reservation, FileDescriptor xskMap, FileDescriptor counters, FileDescriptor program, NetlinkSocket netlink)
    {
        _key = key;
        Link = link;
        Port = port;
        _portReservation = reservation;
        _xskMap = xskMap;
        _counters = counters;
        _program = program;
        _netlink = netlink;
        ProgramId = BpfSyscall.ProgramId(program.Value);
    }

    public LinkInfo Link { get; }

    public ushort Port { get; }

    public XdpAttachMode Mode { get; private set; }

    /// <summary>The kernel's id of the program (what <c>ip link show</c> prints as "prog/xdp id N").</summary>
    public uint ProgramId { get; }

    /// <summary>Whether the program is held by a BPF link (detached by the kernel when the process ends) rather than netlink.</summary>
    public bool IsLink => _link is not null;

    /// <summary>
    /// Joins this process's attachment on the interface, or creates it: reserves the port, loads the program and
    /// attaches it. The caller registers its socket with <see cref="Register"/> and leaves with <see cref="Release"/>.
    /// </summary>
    public static XdpAttachment Acquire(LinkInfo link, XdpTransportOptions options)
    {
        var key = (NetworkNamespaceId.Current(), link.Index);
        lock (s_gate)
        {
            if (s_attached.TryGetValue(key, out var existing))
            {
                if (options.Port != 0 && options.Port != existing.Port)
                {
                    throw new ArgumentException($"This process already serves {link.Name} on UDP port {existing.Port}; the transports of one interface share one port (one per queue), so port {options.Port} cannot be added.");
                }

                if (options.AttachMode != XdpAttachMode.Auto && options.AttachMode != existing.Mode)
                {
                    throw new ArgumentException($"The XDP program on {link.Name} is attached in {existing.Mode} mode; a transport asking for {options.AttachMode} cannot share it.");
                }

                return existing;
            }

            var created = Create(key, link, options);
            s_attached.Add(key, created);
            return created;
        }
    }

    /// <summary>Points the queue's XSKMAP entry at a socket: from now on its matching packets go there.</summary>
    public void Register(int queue, int xskFd)
    {
        lock (s_gate)
        {
            if (!_queues.Add(queue))
            {
                throw new ArgumentException($"Queue {queue} of {Link.Name} already has a transport in this process.");
            }

            var key = (uint)queue;
            var value = (uint)xskFd;
            if (BpfSyscall.UpdateElement(_xskMap.Value, &key, &value, out var errno) != 0)
            {
                _queues.Remove(queue);
                throw new XdpException($"Registering the AF_XDP socket of queue {queue} in the XSKMAP failed: {Libc.Describe(errno)}.");
            }
        }
    }

    /// <summary>
    /// Leaves the attachment (the queue's socket, if registered, is removed from the map first); the last one out
    /// detaches the program and frees the port.
    /// </summary>
    public void Release(int? queue)
    {
        lock (s_gate)
        {
            if (queue is { } q && _queues.Remove(q))
            {
                var key = (uint)q;
                BpfSyscall.DeleteElement(_xskMap.Value, &key, out _);
            }

            if (_queues.Count > 0 || !s_attached.Remove(_key))
            {
                return;
            }

            Detach();
        }
    }

    /// <summary>The program's counters, summed over every CPU: redirected, passed, and matching but with no socket on their queue.</summary>
    public (long Redirected, long Passed, long NoSocket) ReadCounters()
    {
        var cpus = PossibleCpus.Count;
        var values = stackalloc long[cpus];
        Span<long> totals = stackalloc long[XdpClassifier.Counters];
        for (var counter = 0; counter < XdpClassifier.Counters; counter++)
        {
            var key = (uint)counter;
            if (BpfSyscall.LookupElement(_counters.Value, &key, values, out _) != 0)
            {
                continue;
            }

            for (var cpu = 0; cpu < cpus; cpu++)
            {
                totals[counter] += values[cpu];
            }
        }

        return (totals[XdpClassifier.CounterRedirected], totals[XdpClassifier.CounterPassed], totals[XdpClassifier.CounterNoSocket]);
    }

    private static XdpAttachment Create((ulong, int) key, LinkInfo link, XdpTransportOptions options)
    {
        // Its own netlink socket: the attachment outlives whichever transport created it.
        var netlink = NetlinkSocket.Open();
        if (link.Attached.IsAttached && s_detached.Contains(link.Attached.ProgramId))
        {
            link = AwaitDetach(netlink, link);
        }

        if (link.Attached.IsAttached)
        {
            netlink.Dispose();
            throw Busy(link, link.Attached);
        }

        Socket reservation;
        try
        {
            reservation = ReservePort(options.Port);
        }
        catch
        {
            netlink.Dispose();
            throw;
        }

        var port = (ushort)((IPEndPoint)reservation.LocalEndPoint!).Port;
        FileDescriptor? xskMap = null;
        FileDescriptor? counters = null;
        FileDescriptor? program = null;
        try
        {
            xskMap = CreateMap(BpfSyscall.MapTypeXskMap, sizeof(uint), sizeof(uint), Math.Max(link.ReceiveQueues, options.Queue + 1), "tg_xsks");
            counters = CreateMap(BpfSyscall.MapTypePerCpuArray, sizeof(uint), sizeof(long), XdpClassifier.Counters, "tg_counters");
            program = LoadProgram(XdpClassifier.Build(xskMap.Value, counters.Value, [port]));
            var attachment = new XdpAttachment(key, link, port, reservation, xskMap, counters, program, netlink);
            attachment.Attach(options);
            return attachment;
        }
        catch
        {
            program?.Dispose();
            counters?.Dispose();
            xskMap?.Dispose();
            reservation.Dispose();
            netlink.Dispose();
            throw;
        }
    }

    /// <summary>A kernel UDP socket on the port (IPv6 dual-stack where IPv6 exists): the kernel picks a free port for 0, and nobody else can bind it.</summary>
    private static Socket ReservePort(ushort port)
    {
        Socket? socket = null;
        try
        {
            if (Socket.OSSupportsIPv6)
            {
                try
                {
                    socket = new Socket(AddressFamily.InterNetworkV6, SocketType.Dgram, ProtocolType.Udp) { DualMode = true, ReceiveBufferSize = 1024 };
                    socket.Bind(new IPEndPoint(IPAddress.IPv6Any, port));
                    return socket;
                }
                catch (SocketException error) when (error.SocketErrorCode is SocketError.AddressFamilyNotSupported or SocketError.AddressNotAvailable)
                {
                    socket?.Dispose();
                }
            }

            socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp) { ReceiveBufferSize = 1024 };
            socket.Bind(new IPEndPoint(IPAddress.Any, port));
            return socket;
        }
        catch (SocketException error)
        {
            socket?.Dispose();
            throw error.SocketErrorCode == SocketError.AddressAlreadyInUse
                ? new XdpException($"UDP port {port} is already in use by another socket on this host; the AF_XDP transport reserves its port so no one else receives on it.", error)
                : new XdpException($"Reserving UDP port {port} failed: {error.Message}", error);
        }
    }

    private static FileDescriptor CreateMap(int type, int keySize, int valueSize, int entries, string name)
    {
        var fd = BpfSyscall.CreateMap(type, keySize, valueSize, entries, name, out var errno);
        if (fd < 0)
        {
            throw errno switch
            {
                Libc.EPerm or Libc.EAcces => new XdpUnavailableException($"Creating a BPF map was refused ({Libc.Describe(errno)}): it needs CAP_BPF (or root)."),
                Libc.ENoSys => new XdpUnavailableException($"This system has no bpf() system call ({Libc.Describe(errno)}): the kernel needs CONFIG_BPF_SYSCALL, on x86-64 or arm64."),
                Libc.EInval when type == BpfSyscall.MapTypeXskMap => new XdpUnavailableException($"This kernel has no XSKMAP ({Libc.Describe(errno)}): AF_XDP needs Linux 4.18 or later with CONFIG_XDP_SOCKETS."),
                _ => new XdpException($"Creating the BPF map {name} failed: {Libc.Describe(errno)}."),
            };
        }

        return new FileDescriptor(fd);
    }

    private static FileDescriptor LoadProgram(BpfInstruction[] instructions)
    {
        var fd = BpfSyscall.LoadProgram(BpfSyscall.ProgramTypeXdp, instructions, XdpClassifier.License, BpfSyscall.AttachTypeXdp, "tailguard_xdp", out var errno, out var log);
        if (fd >= 0)
        {
            return new FileDescriptor(fd);
        }

        throw errno switch
        {
            Libc.EPerm or Libc.EAcces => new XdpUnavailableException($"Loading the XDP program was refused ({Libc.Describe(errno)}): it needs CAP_BPF and CAP_NET_ADMIN (or root)."),
            _ => new XdpException($"The kernel refused the XDP program ({Libc.Describe(errno)}). Verifier log:\n{(log.Length > 4000 ? log[^4000..] : log)}"),
        };
    }

    private static XdpUnavailableException Busy(LinkInfo link, XdpAttachedProgram attached)
        => new($"{link.Name} already has an XDP program attached ({attached.ModeName}, program id {attached.ProgramId}); the AF_XDP transport never replaces another program. Detach it first if it is stale (ip link set dev {link.Name} xdp off), or use another interface.");

    private void Attach(XdpTransportOptions options)
    {
        // Native first (unless generic was asked for), then generic (unless native was asked for).
        var modes = options.AttachMode switch
        {
            XdpAttachMode.Native => new[] { XdpAttachMode.Native },
            XdpAttachMode.Generic => [XdpAttachMode.Generic],
            _ => [XdpAttachMode.Native, XdpAttachMode.Generic],
        };
        var failures = new List<string>();
        foreach (var mode in modes)
        {
            var flags = mode == XdpAttachMode.Native ? RouteNetlink.XdpFlagsDriver : RouteNetlink.XdpFlagsGeneric;
            var errno = options.AttachWithNetlink ? Libc.EInval : AttachWithLink(flags);
            if (errno == Libc.EInval)
            {
                // No XDP links on this kernel (before 5.9), or netlink asked for: attach through IFLA_XDP.
                errno = AttachWithNetlink(flags, out var message);
                if (errno != 0 && message is not null)
                {
                    failures.Add($"{mode}: {Libc.Describe(errno)}: {message}");
                    continue;
                }
            }

            if (errno == 0)
            {
                Mode = mode;
                return;
            }

            if (errno is Libc.EBusy or Libc.EExist)
            {
                var now = RouteNetlink.GetLink(_netlink, Link.Index);
                throw Busy(Link, now?.Attached ?? new XdpAttachedProgram(XdpAttachedProgram.Multiple, 0));
            }

            if (errno is Libc.EPerm or Libc.EAcces)
            {
                throw new XdpUnavailableException($"Attaching the XDP program to {Link.Name} was refused ({Libc.Describe(errno)}): it needs CAP_NET_ADMIN and CAP_BPF (or root).");
            }

            failures.Add($"{mode}: {Libc.Describe(errno)}");
        }

        throw new XdpUnavailableException($"{Link.Name} does not take the XDP program ({string.Join("; ", failures)}). Native mode needs driver support; generic mode works on any interface with Linux 4.12 or later.");
    }

    private int AttachWithLink(uint flags)
    {
        var fd = BpfSyscall.CreateXdpLink(_program.Value, Link.Index, flags, out var errno);
        if (fd < 0)
        {
            return errno;
        }

        _link = new FileDescriptor(fd);
        return 0;
    }

    private int AttachWithNetlink(uint flags, out string? message)
    {
        var code = RouteNetlink.AttachXdp(_netlink, Link.Index, _program.Value, flags, out message);
        if (code != 0)
        {
            return -code;
        }

        _netlinkModeFlags = flags;

        // No link holds this program: detach it at process exit too (a killed process cannot; docs/xdp.md).
        _detachAtExit = (_, _) => DetachNetlink();
        AppDomain.CurrentDomain.ProcessExit += _detachAtExit;
        return 0;
    }

    private void DetachNetlink()
    {
        if (_netlinkModeFlags != 0)
        {
            RouteNetlink.DetachXdp(_netlink, Link.Index, _program.Value, _netlinkModeFlags);
            _netlinkModeFlags = 0;
        }
    }

    /// <summary>
    /// Waits (up to 5 s) for a program this process detached to leave the interface. Closing a BPF link detaches at
    /// once, unless a child process being started at that moment still holds a copy of the descriptor (between fork
    /// and exec, which closes it): then the kernel detaches when the child execs.
    /// </summary>
    private static LinkInfo AwaitDetach(NetlinkSocket netlink, LinkInfo link)
    {
        var deadline = Environment.TickCount64 + 5000;
        while (link.Attached.IsAttached && s_detached.Contains(link.Attached.ProgramId) && Environment.TickCount64 < deadline)
        {
            Thread.Sleep(5);
            link = RouteNetlink.GetLink(netlink, link.Index) ?? link;
        }

        return link;
    }

    private void Detach()
    {
        if (s_detached.Count >= 256)
        {
            s_detached.Clear(); // bounded: only the latest detaches can still be in flight
        }

        s_detached.Add(ProgramId);
        // Closing the link detaches the program; then nothing references the program and maps but our descriptors.
        _link?.Dispose();
        DetachNetlink();
        if (_detachAtExit is not null)
        {
            AppDomain.CurrentDomain.ProcessExit -= _detachAtExit;
        }

        _program.Dispose();
        _counters.Dispose();
        _xskMap.Dispose();
        _portReservation.Dispose();
        _netlink.Dispose();
    }
}
