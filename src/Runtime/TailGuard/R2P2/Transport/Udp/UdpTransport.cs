using System;
using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Threading;

namespace TailGuard.R2P2;

/// <summary>
/// A UDP socket (IPv4 or IPv6) as a <see cref="PacketTransport"/>. Its memory is pinned arrays in pools it owns (the
/// default <see cref="PacketTransport.Rent"/>); datagrams go straight between the kernel and those buffers. On Linux a
/// batch is one recvmmsg/sendmmsg system call
/// (P/Invoke, blittable structs, scratch on the stack or in native memory); elsewhere the portable path uses
/// SocketAddress-based <see cref="Socket"/> calls. Neither path allocates per datagram. Busy polling spins on a
/// non-blocking receive; blocking mode waits in poll(). A socket bound to <see cref="IPAddress.IPv6Any"/> is dual-stack:
/// it also serves IPv4 peers, whose addresses appear as IPv4 <see cref="PacketAddress"/>es.
/// </summary>
public sealed unsafe class UdpTransport : PacketTransport
{
    private const int MaxUdpPayload = 65507;
    private const int SendChunk = 64;

    [ThreadStatic]
    private static SocketAddress? t_sendAddress;

    [ThreadStatic]
    private static SocketAddress? t_sendAddress6;

    private readonly Socket _socket;
    private readonly bool _batched;
    private readonly bool _ipv6;
    private readonly int _fd;
    private readonly SocketAddress _receiveAddress;
    private LinuxSocketInterop.MMsgHdr* _receiveHeaders;
    private LinuxSocketInterop.IoVec* _receiveVectors;
    private LinuxSocketInterop.SockAddrIn6* _receiveNames;
    private int _receiveCapacity;
    private PacketBuffer?[] _receiveBound = [];
    private byte[]? _portableScratch;
    private readonly bool _watchesReceiveQueue;
    private long _truncated;
    private long _sendErrors;
    private bool _lastReceiveEmptied;
    private int _disposed;

    private UdpTransport(Socket socket, UdpTransportOptions options)
    {
        _socket = socket;
        _ipv6 = socket.AddressFamily == AddressFamily.InterNetworkV6;
        _receiveAddress = new SocketAddress(socket.AddressFamily);
        LocalAddress = PacketAddress.FromEndPoint((IPEndPoint)socket.LocalEndPoint!);
        ConnectedTo = socket.Connected && socket.RemoteEndPoint is IPEndPoint remote ? PacketAddress.FromEndPoint(remote) : null;
        IsDualStack = _ipv6 && socket.DualMode && ((IPEndPoint)socket.LocalEndPoint!).Address.Equals(IPAddress.IPv6Any);
        _batched = options.UseBatchedSystemCalls && OperatingSystem.IsLinux() && Environment.Is64BitProcess;
        _fd = (int)socket.SafeHandle.DangerousGetHandle();
        _watchesReceiveQueue = OperatingSystem.IsLinux() && Environment.Is64BitProcess && LinuxSocketInterop.ReadDrops(_fd) >= 0;
    }

    /// <inheritdoc/>
    public override PacketAddress LocalAddress { get; }

    /// <inheritdoc/>
    public override int MaxDatagramSize => MaxUdpPayload;

    /// <summary>Whether the socket is bound to [::] in dual-stack mode: IPv4 peers reach it too (seen as IPv4 addresses).</summary>
    internal bool IsDualStack { get; }

    /// <summary>The one peer a connected socket exchanges datagrams with (<see cref="Connect"/>); null for a socket that takes any.</summary>
    public PacketAddress? ConnectedTo { get; }

    /// <summary>The MTU of the route to <see cref="ConnectedTo"/>, read from this socket (its own namespace); null when not connected or unknown.</summary>
    internal int? ConnectedRouteMtu => ConnectedTo is { } peer ? RouteMtu.Of(_socket, peer.IsIPv6) : null;

    /// <summary>Whether this transport uses recvmmsg/sendmmsg (Linux) rather than the portable path.</summary>
    public bool UsesBatchedSystemCalls => _batched;

    /// <summary>On Linux the kernel counts what the socket dropped (SO_MEMINFO's SK_MEMINFO_DROPS), and both receive paths see when they emptied the queue.</summary>
    internal override bool WatchesReceiveQueue => _watchesReceiveQueue;

    /// <summary>
    /// The kernel's count of datagrams this socket dropped (sk_drops: a full receive buffer, a bad checksum), read now
    /// with one getsockopt. The kernel also hands it to each datagram as SO_RXQ_OVFL, but only to datagrams queued after
    /// a drop: the drops behind the last datagram of a burst would stay unseen until another one came.
    /// </summary>
    internal override long ReceiveQueueDrops => _watchesReceiveQueue && Volatile.Read(ref _disposed) == 0 ? Math.Max(0, LinuxSocketInterop.ReadDrops(_fd)) : 0;

    /// <inheritdoc/>
    internal override bool LastReceiveEmptiedQueue => _lastReceiveEmptied;

    /// <summary>Datagrams dropped because they did not fit the receive buffer.</summary>
    public long DatagramsTruncated => Interlocked.Read(ref _truncated);

    /// <summary>Datagrams the kernel refused to send, or addressed to a family this socket cannot reach (lost, as UDP loses them).</summary>
    public long SendErrors => Interlocked.Read(ref _sendErrors);

    /// <summary>Binds a UDP socket.</summary>
    /// <param name="localEndPoint">The IPv4 or IPv6 address and port (0 picks an ephemeral port); <see cref="IPAddress.IPv6Any"/> is dual-stack.</param>
    /// <param name="options">Settings; defaults when null.</param>
    /// <returns>The transport.</returns>
    public static UdpTransport Bind(IPEndPoint localEndPoint, UdpTransportOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(localEndPoint);
        options ??= new UdpTransportOptions();
        return new UdpTransport(BindSocket(localEndPoint, options), options);
    }

    private static Socket BindSocket(IPEndPoint localEndPoint, UdpTransportOptions options)
    {
        var family = localEndPoint.AddressFamily;
        if (family is not (AddressFamily.InterNetwork or AddressFamily.InterNetworkV6))
        {
            throw new ArgumentException($"A UDP transport binds an IPv4 or IPv6 address, not '{localEndPoint}'.", nameof(localEndPoint));
        }

        ArgumentOutOfRangeException.ThrowIfLessThan(options.MulticastTimeToLive, 0, nameof(options.MulticastTimeToLive));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(options.MulticastTimeToLive, 255, nameof(options.MulticastTimeToLive));
        var socket = new Socket(family, SocketType.Dgram, ProtocolType.Udp);
        try
        {
            if (family == AddressFamily.InterNetworkV6 && localEndPoint.Address.Equals(IPAddress.IPv6Any))
            {
                socket.DualMode = true;
            }

            if (family == AddressFamily.InterNetwork)
            {
                // Set even when the socket never sends to a group: two system calls at bind, and what it does is then
                // the options' word, not a platform default. The outgoing interface of group datagrams is the bound
                // address's (Linux picks the device of a bound source address for a multicast destination), else the
                // route's.
                socket.SetSocketOption(SocketOptionLevel.IP, SocketOptionName.MulticastTimeToLive, options.MulticastTimeToLive);
                socket.SetSocketOption(SocketOptionLevel.IP, SocketOptionName.MulticastLoopback, options.MulticastLoopback);
            }

            if (options.ReceiveBufferBytes > 0)
            {
                socket.ReceiveBufferSize = options.ReceiveBufferBytes;
            }

            if (options.SendBufferBytes > 0)
            {
                socket.SendBufferSize = options.SendBufferBytes;
            }

            if (options.ReusePort)
            {
                if (!OperatingSystem.IsLinux())
                {
                    throw new PlatformNotSupportedException("SO_REUSEPORT receive loops need Linux.");
                }

                Span<byte> one = stackalloc byte[4];
                BinaryPrimitives.WriteInt32LittleEndian(one, 1);
                socket.SetRawSocketOption(LinuxSocketInterop.SolSocket, LinuxSocketInterop.SoReusePort, one);
            }

            socket.Bind(localEndPoint);
            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Opens a UDP socket connected to one peer: bound to an ephemeral port of the local address that routes to it, and
    /// receiving only its datagrams (the kernel drops the others before they are read: source binding at the cheapest
    /// depth, docs/security.md). Sending to other addresses still works. Connecting sends nothing.
    /// </summary>
    /// <param name="remote">The peer (a server), IPv4 or IPv6.</param>
    /// <param name="options">Settings; defaults when null (ReusePort is not allowed).</param>
    /// <returns>The transport.</returns>
    public static UdpTransport Connect(IPEndPoint remote, UdpTransportOptions? options = null) => Open(remote, options, connect: true);

    /// <summary>
    /// Binds a UDP socket to an ephemeral port of the local address that routes to <paramref name="destination"/> (the
    /// interface the kernel would send from), rather than to every interface; it receives from any source.
    /// </summary>
    /// <param name="destination">Where the socket will send (a server or a router), IPv4 or IPv6.</param>
    /// <param name="options">Settings; defaults when null (ReusePort is not allowed).</param>
    /// <returns>The transport.</returns>
    public static UdpTransport BindToward(IPEndPoint destination, UdpTransportOptions? options = null) => Open(destination, options, connect: false);

    /// <summary>Binds a UDP socket given as a <see cref="PacketAddress"/>.</summary>
    /// <param name="localAddress">The address and port (0 picks one).</param>
    /// <param name="options">Settings; defaults when null.</param>
    /// <returns>The transport.</returns>
    public static UdpTransport Bind(PacketAddress localAddress, UdpTransportOptions? options = null) => Bind(localAddress.ToEndPoint(), options);

    /// <summary>
    /// Binds <paramref name="count"/> sockets to one address with SO_REUSEPORT (Linux), one per server receive loop; the
    /// kernel spreads clients over them by their address, so every packet of one request reaches the same loop.
    /// </summary>
    /// <param name="localEndPoint">The address and port (0 picks one, shared by all).</param>
    /// <param name="count">How many sockets.</param>
    /// <param name="options">Settings; ReusePort is forced on.</param>
    /// <returns>The transports.</returns>
    public static UdpTransport[] BindReusePortGroup(IPEndPoint localEndPoint, int count, UdpTransportOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(localEndPoint);
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        options ??= new UdpTransportOptions();
        var reuse = new UdpTransportOptions
        {
            ReceiveBufferBytes = options.ReceiveBufferBytes,
            SendBufferBytes = options.SendBufferBytes,
            UseBatchedSystemCalls = options.UseBatchedSystemCalls,
            MulticastTimeToLive = options.MulticastTimeToLive,
            MulticastLoopback = options.MulticastLoopback,
            ReusePort = true,
        };
        var group = new UdpTransport[count];
        try
        {
            group[0] = Bind(localEndPoint, reuse);
            var shared = group[0].LocalAddress.ToEndPoint();
            for (var i = 1; i < count; i++)
            {
                group[i] = Bind(shared, reuse);
            }

            return group;
        }
        catch
        {
            foreach (var transport in group)
            {
                transport?.Dispose();
            }

            throw;
        }
    }

    /// <summary>
    /// A socket that receives the datagrams sent to an IPv4 multicast group (for <see cref="UdpMulticastMemberTransport"/>):
    /// bound to the group's address and port with SO_REUSEADDR, so every member on this host binds it too and each gets
    /// its copy (SO_REUSEPORT would hand each datagram to one of them), and joined (IP_ADD_MEMBERSHIP) on the interface
    /// that has <paramref name="interfaceAddress"/> (<see cref="IPAddress.Any"/>: the one the kernel routes the group to).
    /// Bound to the group address, not to any, it takes no unicast datagram sent to the same port.
    /// </summary>
    internal static UdpTransport JoinGroup(IPEndPoint group, IPAddress interfaceAddress, UdpTransportOptions options)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        try
        {
            if (options.ReceiveBufferBytes > 0)
            {
                socket.ReceiveBufferSize = options.ReceiveBufferBytes;
            }

            socket.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
            socket.Bind(OperatingSystem.IsWindows() ? new IPEndPoint(IPAddress.Any, group.Port) : group); // Windows cannot bind a group address
            socket.SetSocketOption(SocketOptionLevel.IP, SocketOptionName.AddMembership, new MulticastOption(group.Address, interfaceAddress));
            return new UdpTransport(socket, options);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>The socket's descriptor, for a transport that waits on several sockets at once (poll).</summary>
    internal int Descriptor => _fd;

    /// <summary>The socket, for a transport that waits on several sockets at once off Linux (Socket.Select).</summary>
    internal Socket Socket => _socket;

    private static UdpTransport Open(IPEndPoint remote, UdpTransportOptions? options, bool connect)
    {
        ArgumentNullException.ThrowIfNull(remote);
        options ??= new UdpTransportOptions();
        if (options.ReusePort)
        {
            throw new ArgumentException("A socket bound toward one destination does not share its port (ReusePort).", nameof(options));
        }

        if (remote.AddressFamily is not (AddressFamily.InterNetwork or AddressFamily.InterNetworkV6) || remote.Port == 0)
        {
            throw new ArgumentException($"A UDP destination is an IPv4 or IPv6 address with a port, not '{remote}'.", nameof(remote));
        }

        // The kernel picks the local address by a route lookup when a datagram socket connects (nothing is sent).
        var socket = BindSocket(new IPEndPoint(RouteSource(remote), 0), options);
        try
        {
            if (connect)
            {
                socket.Connect(remote);
            }

            return new UdpTransport(socket, options);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    private static IPAddress RouteSource(IPEndPoint remote)
    {
        using var probe = new Socket(remote.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        probe.Connect(remote);
        return ((IPEndPoint)probe.LocalEndPoint!).Address;
    }

    /// <inheritdoc/>
    public override void Send(ReadOnlySpan<PacketBuffer> packets)
    {
        if (Volatile.Read(ref _disposed) != 0)
        {
            ReturnAll(packets);
            throw new ObjectDisposedException(nameof(UdpTransport));
        }

        try
        {
            if (_batched)
            {
                var remaining = packets;
                while (!remaining.IsEmpty)
                {
                    var chunk = Math.Min(remaining.Length, SendChunk);
                    SendBatch(remaining[..chunk]);
                    remaining = remaining[chunk..];
                }
            }
            else
            {
                SendPortable(packets);
            }
        }
        finally
        {
            // The kernel copied each datagram: every buffer goes back to its owner now.
            ReturnAll(packets);
        }
    }

    /// <inheritdoc/>
    public override int Receive(Span<PacketBuffer> buffers, int timeoutMilliseconds)
    {
        _lastReceiveEmptied = false;
        if (Volatile.Read(ref _disposed) != 0 || buffers.IsEmpty)
        {
            return 0;
        }

        return _batched ? ReceiveBatch(buffers, timeoutMilliseconds) : ReceivePortable(buffers, timeoutMilliseconds);
    }

    /// <inheritdoc/>
    protected override void Dispose(bool disposing)
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            _socket.Dispose();
            NativeMemory.Free(_receiveHeaders);
            NativeMemory.Free(_receiveVectors);
            NativeMemory.Free(_receiveNames);
            _receiveHeaders = null;
            _receiveVectors = null;
            _receiveNames = null;
        }

        base.Dispose(disposing);
    }

    private static byte* Pointer(PacketBuffer buffer) => (byte*)buffer.BaseAddress; // pinned or native: never moves

    private void SendPortable(ReadOnlySpan<PacketBuffer> packets)
    {
        var address = _ipv6
            ? t_sendAddress6 ??= new SocketAddress(AddressFamily.InterNetworkV6)
            : t_sendAddress ??= new SocketAddress(AddressFamily.InterNetwork);
        foreach (var packet in packets)
        {
            if (!TryWriteSocketAddress(address, packet.Address))
            {
                Interlocked.Increment(ref _sendErrors);
                continue;
            }

            try
            {
                _socket.SendTo(packet.Span, SocketFlags.None, address);
            }
            catch (SocketException)
            {
                Interlocked.Increment(ref _sendErrors);
            }
        }
    }

    /// <summary>sockaddr bytes after the family: port, then the IPv4 address, or flow info, IPv6 address and scope.</summary>
    private bool TryWriteSocketAddress(SocketAddress address, PacketAddress value)
    {
        var bytes = address.Buffer.Span;
        BinaryPrimitives.WriteUInt16BigEndian(bytes[2..], value.Port);
        if (!_ipv6)
        {
            if (!value.IsIPv4)
            {
                return false; // an IPv4 socket cannot reach an IPv6 address
            }

            BinaryPrimitives.WriteUInt32BigEndian(bytes[4..], value.IPv4);
            return true;
        }

        BinaryPrimitives.WriteUInt32BigEndian(bytes[4..], 0);
        value.WriteIPv6Bytes(bytes[8..]);
        BinaryPrimitives.WriteUInt32LittleEndian(bytes[24..], value.ScopeId);
        return true;
    }

    private PacketAddress ReadSocketAddress(SocketAddress address)
    {
        var bytes = address.Buffer.Span;
        var port = BinaryPrimitives.ReadUInt16BigEndian(bytes[2..]);
        return _ipv6
            ? new PacketAddress(bytes.Slice(8, 16), port, BinaryPrimitives.ReadUInt32LittleEndian(bytes[24..]))
            : new PacketAddress(BinaryPrimitives.ReadUInt32BigEndian(bytes[4..]), port);
    }

    private static PacketAddress ReadName(in LinuxSocketInterop.SockAddrIn6 name)
    {
        var port = BinaryPrimitives.ReverseEndianness(name.PortBigEndian);
        if (name.Family == LinuxSocketInterop.AfInet)
        {
            // sockaddr_in: the IPv4 address sits where sockaddr_in6 keeps its flow info.
            return new PacketAddress(BinaryPrimitives.ReverseEndianness(name.FlowInfo), port);
        }

        fixed (byte* bytes = name.Address)
        {
            return new PacketAddress(new ReadOnlySpan<byte>(bytes, 16), port, name.ScopeId);
        }
    }

    private void SendBatch(ReadOnlySpan<PacketBuffer> packets)
    {
        var count = packets.Length;
        var headers = stackalloc LinuxSocketInterop.MMsgHdr[count];
        var vectors = stackalloc LinuxSocketInterop.IoVec[count];
        var names = stackalloc LinuxSocketInterop.SockAddrIn6[count];
        var nameLength = (uint)(_ipv6 ? sizeof(LinuxSocketInterop.SockAddrIn6) : sizeof(LinuxSocketInterop.SockAddrIn));
        var batch = 0;
        var peer = ConnectedTo;
        foreach (var packet in packets)
        {
            var address = packet.Address;
            vectors[batch] = new LinuxSocketInterop.IoVec { Base = Pointer(packet), Length = (nuint)packet.Length };
            headers[batch] = default;
            headers[batch].Header.Iov = &vectors[batch];
            headers[batch].Header.IovLength = 1;
            if (peer is { } connected && address == connected)
            {
                // To the connected peer, no address: the kernel then sends on the socket's cached route instead of
                // looking the route up again for every datagram (udp_sendmsg's connected path).
                batch++;
                continue;
            }

            ref var name = ref names[batch];
            name = default;
            if (_ipv6)
            {
                name.Family = LinuxSocketInterop.AfInet6;
                address.WriteIPv6Bytes(new Span<byte>(Unsafe.AsPointer(ref name.Address[0]), 16));
                name.ScopeId = address.ScopeId;
            }
            else if (address.IsIPv4)
            {
                ref var v4 = ref Unsafe.As<LinuxSocketInterop.SockAddrIn6, LinuxSocketInterop.SockAddrIn>(ref name);
                v4.Family = LinuxSocketInterop.AfInet;
                v4.AddressBigEndian = BinaryPrimitives.ReverseEndianness(address.IPv4);
            }
            else
            {
                Interlocked.Increment(ref _sendErrors); // an IPv4 socket cannot reach an IPv6 address
                continue;
            }

            name.PortBigEndian = BinaryPrimitives.ReverseEndianness(address.Port);
            headers[batch].Header.Name = &names[batch];
            headers[batch].Header.NameLength = nameLength;
            batch++;
        }

        var refused = LinuxSocketInterop.SendAll(_fd, headers, batch);
        if (refused > 0)
        {
            Interlocked.Add(ref _sendErrors, refused);
        }
    }

    private int ReceiveBatch(Span<PacketBuffer> buffers, int timeoutMilliseconds)
    {
        EnsureReceiveScratch(buffers.Length);
        if (timeoutMilliseconds > 0)
        {
            var poll = new LinuxSocketInterop.PollFd { Fd = _fd, Events = LinuxSocketInterop.PollIn };
            var ready = LinuxSocketInterop.poll(&poll, 1, timeoutMilliseconds);
            if (ready <= 0)
            {
                _lastReceiveEmptied = ready == 0; // nothing arrived while it waited
                return 0;
            }
        }

        // The message headers stay valid between calls; only slots whose buffer changed (kept by a caller, or swapped
        // by the compaction below) are rebuilt, so an empty busy-poll round costs little more than the system call.
        var count = buffers.Length;
        for (var i = 0; i < count; i++)
        {
            var buffer = buffers[i];
            if (!ReferenceEquals(_receiveBound[i], buffer))
            {
                _receiveBound[i] = buffer;
                _receiveVectors[i] = new LinuxSocketInterop.IoVec { Base = Pointer(buffer), Length = (nuint)buffer.Capacity };
                _receiveHeaders[i] = default;
                _receiveHeaders[i].Header.Name = &_receiveNames[i];
                _receiveHeaders[i].Header.Iov = &_receiveVectors[i];
                _receiveHeaders[i].Header.IovLength = 1;
            }

            _receiveHeaders[i].Header.NameLength = (uint)sizeof(LinuxSocketInterop.SockAddrIn6);
        }

        int received;
        do
        {
            received = LinuxSocketInterop.recvmmsg(_fd, _receiveHeaders, (uint)count, LinuxSocketInterop.MsgDontWait, null);
        }
        while (received < 0 && Marshal.GetLastPInvokeError() == LinuxSocketInterop.EIntr);

        // Fewer datagrams than slots (none: EAGAIN) means the call took every one queued when it ran; counted before the
        // truncated ones are compacted away, which were queued too.
        _lastReceiveEmptied = received < count && (received >= 0 || Marshal.GetLastPInvokeError() == LinuxSocketInterop.EAgain);
        if (received <= 0)
        {
            return 0;
        }

        // Compact away truncated datagrams (larger than their buffer): they are dropped and counted.
        var kept = 0;
        for (var i = 0; i < received; i++)
        {
            ref var header = ref _receiveHeaders[i];
            if ((header.Header.Flags & LinuxSocketInterop.MsgTrunc) != 0)
            {
                Interlocked.Increment(ref _truncated);
                continue;
            }

            var buffer = buffers[i];
            buffer.Length = (int)header.Length;
            buffer.Address = ReadName(in _receiveNames[i]);
            if (kept != i)
            {
                (buffers[kept], buffers[i]) = (buffers[i], buffers[kept]);
            }

            kept++;
        }

        return kept;
    }

    private void EnsureReceiveScratch(int count)
    {
        if (_receiveCapacity >= count)
        {
            return;
        }

        NativeMemory.Free(_receiveHeaders);
        NativeMemory.Free(_receiveVectors);
        NativeMemory.Free(_receiveNames);
        _receiveHeaders = (LinuxSocketInterop.MMsgHdr*)NativeMemory.AllocZeroed((nuint)count, (nuint)sizeof(LinuxSocketInterop.MMsgHdr));
        _receiveVectors = (LinuxSocketInterop.IoVec*)NativeMemory.AllocZeroed((nuint)count, (nuint)sizeof(LinuxSocketInterop.IoVec));
        _receiveNames = (LinuxSocketInterop.SockAddrIn6*)NativeMemory.AllocZeroed((nuint)count, (nuint)sizeof(LinuxSocketInterop.SockAddrIn6));
        _receiveBound = new PacketBuffer?[count];
        _receiveCapacity = count;
    }

    private int ReceivePortable(Span<PacketBuffer> buffers, int timeoutMilliseconds)
    {
        if (_socket.Available == 0 && (timeoutMilliseconds <= 0 || !_socket.Poll(timeoutMilliseconds * 1000, SelectMode.SelectRead)))
        {
            _lastReceiveEmptied = true;
            return 0;
        }

        // Socket.ReceiveFrom truncates a datagram larger than the span silently on Linux, so the portable path receives
        // into a scratch array of the largest datagram and copies what fits: one copy, and truncation is always seen.
        var scratch = _portableScratch ??= GC.AllocateUninitializedArray<byte>(MaxUdpPayload + 1);
        var filled = 0;
        do
        {
            int length;
            try
            {
                length = _socket.ReceiveFrom(scratch, SocketFlags.None, _receiveAddress);
            }
            catch (SocketException error) when (error.SocketErrorCode == SocketError.MessageSize)
            {
                Interlocked.Increment(ref _truncated); // a datagram larger than the scratch: dropped and counted
                continue;
            }
            catch (SocketException error) when (error.SocketErrorCode is SocketError.ConnectionReset or SocketError.ConnectionRefused)
            {
                continue; // an ICMP error surfaced on the socket (Windows, or a connected socket whose peer is gone): no datagram
            }

            var buffer = buffers[filled];
            if (length > buffer.Capacity)
            {
                Interlocked.Increment(ref _truncated);
                continue;
            }

            scratch.AsSpan(0, length).CopyTo(buffer.Storage);
            buffer.Length = length;
            buffer.Address = ReadSocketAddress(_receiveAddress);
            filled++;
        }
        while (filled < buffers.Length && _socket.Available > 0);

        _lastReceiveEmptied = filled < buffers.Length; // the loop ended on an empty queue, not on full slots
        return filled;
    }
}
