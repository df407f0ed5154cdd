using System;
using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Threading;

namespace TailGuard.R2P2;

/// <summary>
/// A UDP socket as a <see cref="PacketTransport"/>. Datagrams go straight between the kernel and the callers' pinned
/// pooled buffers. On Linux a batch is one recvmmsg/sendmmsg system call (P/Invoke, blittable structs, scratch on the
/// stack or in native memory); elsewhere the portable path uses SocketAddress-based <see cref="Socket"/> calls. Neither
/// path allocates per datagram. Busy polling spins on a non-blocking receive; blocking mode waits in poll().
/// </summary>
public sealed unsafe class UdpTransport : PacketTransport
{
    private const int MaxUdpPayload = 65507;
    private const int SendChunk = 64;

    [ThreadStatic]
    private static SocketAddress? t_sendAddress;

    private readonly Socket _socket;
    private readonly bool _batched;
    private readonly int _fd;
    private readonly SocketAddress _receiveAddress = new(AddressFamily.InterNetwork);
    private LinuxSocketInterop.MMsgHdr* _receiveHeaders;
    private LinuxSocketInterop.IoVec* _receiveVectors;
    private LinuxSocketInterop.SockAddrIn* _receiveNames;
    private int _receiveCapacity;
    private PacketBuffer?[] _receiveBound = [];
    private long _truncated;
    private long _sendErrors;
    private int _disposed;

    private UdpTransport(Socket socket, UdpTransportOptions options)
    {
        _socket = socket;
        LocalAddress = PacketAddress.FromEndPoint((IPEndPoint)socket.LocalEndPoint!);
        _batched = options.UseBatchedSystemCalls && OperatingSystem.IsLinux() && Environment.Is64BitProcess;
        _fd = (int)socket.SafeHandle.DangerousGetHandle();
    }

    /// <inheritdoc/>
    public override PacketAddress LocalAddress { get; }

    /// <inheritdoc/>
    public override int MaxDatagramSize => MaxUdpPayload;

    /// <summary>Whether this transport uses recvmmsg/sendmmsg (Linux) rather than the portable path.</summary>
    public bool UsesBatchedSystemCalls => _batched;

    /// <summary>Datagrams dropped because they did not fit the receive buffer.</summary>
    public long DatagramsTruncated => Interlocked.Read(ref _truncated);

    /// <summary>Datagrams the kernel refused to send (lost, as UDP loses them).</summary>
    public long SendErrors => Interlocked.Read(ref _sendErrors);

    /// <summary>Binds a UDP socket.</summary>
    /// <param name="localEndPoint">The IPv4 address and port (0 picks an ephemeral port).</param>
    /// <param name="options">Settings; defaults when null.</param>
    /// <returns>The transport.</returns>
    public static UdpTransport Bind(IPEndPoint localEndPoint, UdpTransportOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(localEndPoint);
        options ??= new UdpTransportOptions();
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        try
        {
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
            return new UdpTransport(socket, options);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

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

    /// <inheritdoc/>
    public override void Send(ReadOnlySpan<PacketBuffer> packets)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        if (_batched)
        {
            while (!packets.IsEmpty)
            {
                var chunk = Math.Min(packets.Length, SendChunk);
                SendBatch(packets[..chunk]);
                packets = packets[chunk..];
            }

            return;
        }

        var address = t_sendAddress ??= new SocketAddress(AddressFamily.InterNetwork);
        foreach (var packet in packets)
        {
            WriteSocketAddress(address, packet.Address);
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

    /// <inheritdoc/>
    public override int Receive(Span<PacketBuffer> buffers, int timeoutMilliseconds)
    {
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

    private static byte* Pointer(PacketBuffer buffer)
        => (byte*)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(buffer.Array)); // pinned (POH) arrays never move

    private static void WriteSocketAddress(SocketAddress address, PacketAddress value)
    {
        var bytes = address.Buffer.Span;
        BinaryPrimitives.WriteUInt16BigEndian(bytes[2..], value.Port);
        BinaryPrimitives.WriteUInt32BigEndian(bytes[4..], value.IPv4);
    }

    private static PacketAddress ReadSocketAddress(SocketAddress address)
    {
        var bytes = address.Buffer.Span;
        return new PacketAddress(BinaryPrimitives.ReadUInt32BigEndian(bytes[4..]), BinaryPrimitives.ReadUInt16BigEndian(bytes[2..]));
    }

    private void SendBatch(ReadOnlySpan<PacketBuffer> packets)
    {
        var count = packets.Length;
        var headers = stackalloc LinuxSocketInterop.MMsgHdr[count];
        var vectors = stackalloc LinuxSocketInterop.IoVec[count];
        var names = stackalloc LinuxSocketInterop.SockAddrIn[count];
        for (var i = 0; i < count; i++)
        {
            var packet = packets[i];
            names[i] = new LinuxSocketInterop.SockAddrIn
            {
                Family = LinuxSocketInterop.AfInet,
                PortBigEndian = BinaryPrimitives.ReverseEndianness(packet.Address.Port),
                AddressBigEndian = BinaryPrimitives.ReverseEndianness(packet.Address.IPv4),
            };
            vectors[i] = new LinuxSocketInterop.IoVec { Base = Pointer(packet), Length = (nuint)packet.Length };
            headers[i] = default;
            headers[i].Header.Name = &names[i];
            headers[i].Header.NameLength = (uint)sizeof(LinuxSocketInterop.SockAddrIn);
            headers[i].Header.Iov = &vectors[i];
            headers[i].Header.IovLength = 1;
        }

        var sent = 0;
        while (sent < count)
        {
            var result = LinuxSocketInterop.sendmmsg(_fd, headers + sent, (uint)(count - sent), 0);
            if (result > 0)
            {
                sent += result;
                continue;
            }

            if (Marshal.GetLastPInvokeError() == LinuxSocketInterop.EIntr)
            {
                continue;
            }

            // The kernel refused this datagram (buffer full, unreachable): it is lost, as UDP loses datagrams.
            Interlocked.Increment(ref _sendErrors);
            sent++;
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

            _receiveHeaders[i].Header.NameLength = (uint)sizeof(LinuxSocketInterop.SockAddrIn);
        }

        int received;
        do
        {
            received = LinuxSocketInterop.recvmmsg(_fd, _receiveHeaders, (uint)count, LinuxSocketInterop.MsgDontWait, null);
        }
        while (received < 0 && Marshal.GetLastPInvokeError() == LinuxSocketInterop.EIntr);

        if (received <= 0)
        {
            return 0;
        }

        // Compact away truncated datagrams (larger than the buffers): they are dropped and counted.
        var kept = 0;
        for (var i = 0; i < received; i++)
        {
            ref var header = ref _receiveHeaders[i];
            if ((header.Header.Flags & LinuxSocketInterop.MsgTrunc) != 0)
            {
                Interlocked.Increment(ref _truncated);
                continue;
            }

            var name = _receiveNames[i];
            var buffer = buffers[i];
            buffer.Length = (int)header.Length;
            buffer.Address = new PacketAddress(BinaryPrimitives.ReverseEndianness(name.AddressBigEndian), BinaryPrimitives.ReverseEndianness(name.PortBigEndian));
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
        _receiveNames = (LinuxSocketInterop.SockAddrIn*)NativeMemory.AllocZeroed((nuint)count, (nuint)sizeof(LinuxSocketInterop.SockAddrIn));
        _receiveBound = new PacketBuffer?[count];
        _receiveCapacity = count;
    }

    private int ReceivePortable(Span<PacketBuffer> buffers, int timeoutMilliseconds)
    {
        if (_socket.Available == 0 && (timeoutMilliseconds <= 0 || !_socket.Poll(timeoutMilliseconds * 1000, SelectMode.SelectRead)))
        {
            return 0;
        }

        var filled = 0;
        do
        {
            var buffer = buffers[filled];
            try
            {
                buffer.Length = _socket.ReceiveFrom(buffer.Storage, SocketFlags.None, _receiveAddress);
            }
            catch (SocketException error) when (error.SocketErrorCode is SocketError.MessageSize or SocketError.ConnectionReset)
            {
                // A datagram larger than the buffer (dropped and counted), or an ICMP error surfaced on Windows.
                Interlocked.Increment(ref _truncated);
                continue;
            }

            buffer.Address = ReadSocketAddress(_receiveAddress);
            filled++;
        }
        while (filled < buffers.Length && _socket.Available > 0);

        return filled;
    }
}
