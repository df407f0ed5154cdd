using System;
using System.Buffers.Binary;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using System.Threading;

namespace TailGuard.R2P2.Routing;

/// <summary>
/// Forwards UDP datagrams with their original source through raw sockets (Linux, <c>IPPROTO_RAW</c>, one per address
/// family): it writes the IP and UDP headers itself (source = the client, destination = the server, UDP checksum
/// computed), so the server sees the client and answers it directly. A batch is one <c>sendmmsg</c> per family with two
/// I/O vectors per datagram (the headers from the stack, the payload straight from the packet buffer): no copy, no
/// allocation. Opening one needs <c>CAP_NET_RAW</c> (root, or <c>setcap cap_net_raw+ep</c> on the program). The
/// datagram plus 28 bytes of headers (48 over IPv6) must fit the outgoing link's MTU. Where the host has no IPv6, the
/// IPv6 socket is missing and IPv6 datagrams count in <see cref="SendErrors"/>.
/// </summary>
public sealed unsafe class RawSocketForwarder : PacketForwarder
{
    private const int HeadersLength = 28; // IPv4 without options (20) and UDP (8)
    private const int HeadersLength6 = 48; // IPv6 without extension headers (40) and UDP (8)
    private const int MaxDatagram = 65535 - HeadersLength;
    private const int MaxDatagram6 = 65535 - 8; // the IPv6 payload length counts the UDP header, not the IPv6 one
    private const int Chunk = 64;
    private const byte ProtocolUdp = 17;
    private readonly Socket _socket;
    private readonly Socket? _socket6;
    private readonly int _fd;
    private readonly int _fd6;
    private long _sendErrors;
    private int _disposed;

    private RawSocketForwarder(Socket socket, Socket? socket6)
    {
        _socket = socket;
        _fd = (int)socket.SafeHandle.DangerousGetHandle();
        _socket6 = socket6;
        _fd6 = socket6 is null ? -1 : (int)socket6.SafeHandle.DangerousGetHandle();
    }

    /// <summary>Whether IPv6 datagrams can be forwarded (the host has IPv6, so the IPv6 raw socket opened).</summary>
    public bool ForwardsIPv6 => _socket6 is not null;
    /// <inheritdoc/>
    public override long SendErrors => Interlocked.Read(ref _sendErrors);

    /// <summary>Opens the raw socket.</summary>
    /// <param name="sendBufferBytes">The socket's send buffer (0 keeps the kernel's default).</param>
    /// <returns>The forwarder.</returns>
    /// <exception cref="PlatformNotSupportedException">Not 64-bit Linux.</exception>
    /// <exception cref="UnauthorizedAccessException">The process lacks CAP_NET_RAW; the message says how to grant it.</exception>
    public static RawSocketForwarder Open(int sendBufferBytes = 4 << 20)
    {
        if (!OperatingSystem.IsLinux() || !Environment.Is64BitProcess)
        {
            throw new PlatformNotSupportedException("Forwarding with the client's source address uses a Linux raw socket (64-bit Linux only).");
        }

        Socket socket;
        try
        {
            socket = new Socket(AddressFamily.InterNetwork, SocketType.Raw, ProtocolType.Raw);
        }
        catch (SocketException error) when (error.SocketErrorCode is SocketError.AccessDenied or SocketError.ProtocolNotSupported or SocketError.SocketNotSupported)
        {
            throw new UnauthorizedAccessException(
                "An R2P2 router forwards each request with the client's source address, which needs a raw socket: run it as root or grant CAP_NET_RAW (setcap cap_net_raw+ep on the program, or AmbientCapabilities=CAP_NET_RAW in a systemd unit).",
                error);
        }

        Socket? socket6 = null;
        try
        {
            if (Socket.OSSupportsIPv6)
            {
                try
                {
                    socket6 = new Socket(AddressFamily.InterNetworkV6, SocketType.Raw, ProtocolType.Raw); // IPPROTO_RAW: the header is ours
                }
                catch (SocketException error) when (error.SocketErrorCode is SocketError.AddressFamilyNotSupported or SocketError.ProtocolNotSupported or SocketError.SocketNotSupported)
                {
                    socket6 = null; // IPv6 turned off here: IPv4 still forwards
                }
            }

            if (sendBufferBytes > 0)
            {
                socket.SendBufferSize = sendBufferBytes;
                if (socket6 is not null)
                {
                    socket6.SendBufferSize = sendBufferBytes;
                }
            }

            return new RawSocketForwarder(socket, socket6);
        }
        catch
        {
            socket6?.Dispose();
            socket.Dispose();
            throw;
        }
    }

    /// <summary>Whether a raw socket can be opened here; when not, why (for tests that skip and tools that explain).</summary>
    /// <param name="reason">Why not, when it cannot.</param>
    /// <returns>Whether <see cref="Open"/> would succeed.</returns>
    public static bool IsAvailable(out string? reason)
    {
        try
        {
            using var probe = Open(0);
            reason = null;
            return true;
        }
        catch (Exception error) when (error is PlatformNotSupportedException or UnauthorizedAccessException or SocketException)
        {
            reason = error.Message;
            return false;
        }
    }

    /// <inheritdoc/>
    public override void Forward(ReadOnlySpan<PacketBuffer> packets, ReadOnlySpan<PacketAddress> destinations)
    {
        CheckForward(packets, destinations, Volatile.Read(ref _disposed) != 0);
        try
        {
            for (var start = 0; start < packets.Length; start += Chunk)
            {
                var count = Math.Min(Chunk, packets.Length - start);
                SendBatch(packets.Slice(start, count), destinations.Slice(start, count), ipv6: false);
                SendBatch(packets.Slice(start, count), destinations.Slice(start, count), ipv6: true);
            }
        }
        finally
        {
            ReturnAll(packets); // the kernel copied each datagram
        }
    }

    /// <inheritdoc/>
    protected override void Dispose(bool disposing)
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            _socket.Dispose();
            _socket6?.Dispose();
        }

        base.Dispose(disposing);
    }

    /// <summary>Writes the IPv4 and UDP headers of one forwarded datagram (the kernel fills the IP id and checksum).</summary>
    private static void WriteHeaders(Span<byte> headers, PacketAddress source, PacketAddress destination, ReadOnlySpan<byte> payload)
    {
        headers[0] = 0x45; // version 4, 5 words of header
        headers[1] = 0;
        BinaryPrimitives.WriteUInt16BigEndian(headers[2..], (ushort)(HeadersLength + payload.Length));
        BinaryPrimitives.WriteUInt16BigEndian(headers[4..], 0);
        BinaryPrimitives.WriteUInt16BigEndian(headers[6..], 0x4000); // don't fragment
        headers[8] = 64;
        headers[9] = ProtocolUdp;
        BinaryPrimitives.WriteUInt16BigEndian(headers[10..], 0);
        BinaryPrimitives.WriteUInt32BigEndian(headers[12..], source.IPv4);
        BinaryPrimitives.WriteUInt32BigEndian(headers[16..], destination.IPv4);

        var udp = headers.Slice(20, 8);
        BinaryPrimitives.WriteUInt16BigEndian(udp, source.Port);
        BinaryPrimitives.WriteUInt16BigEndian(udp[2..], destination.Port);
        BinaryPrimitives.WriteUInt16BigEndian(udp[4..], (ushort)(8 + payload.Length));
        BinaryPrimitives.WriteUInt16BigEndian(udp[6..], 0);
        BinaryPrimitives.WriteUInt16BigEndian(udp[6..], InternetChecksum.Udp(source.IPv4, destination.IPv4, udp, payload));
    }

    /// <summary>Writes the IPv6 and UDP headers of one forwarded datagram (the UDP checksum is mandatory over IPv6).</summary>
    private static void WriteHeaders6(Span<byte> headers, PacketAddress source, PacketAddress destination, ReadOnlySpan<byte> payload)
    {
        var udpLength = (ushort)(8 + payload.Length);
        BinaryPrimitives.WriteUInt32BigEndian(headers, 0x6000_0000); // version 6, no traffic class or flow label
        BinaryPrimitives.WriteUInt16BigEndian(headers[4..], udpLength);
        headers[6] = ProtocolUdp;
        headers[7] = 64;
        source.WriteIPv6Bytes(headers.Slice(8, 16));
        destination.WriteIPv6Bytes(headers.Slice(24, 16));

        var udp = headers.Slice(40, 8);
        BinaryPrimitives.WriteUInt16BigEndian(udp, source.Port);
        BinaryPrimitives.WriteUInt16BigEndian(udp[2..], destination.Port);
        BinaryPrimitives.WriteUInt16BigEndian(udp[4..], udpLength);
        BinaryPrimitives.WriteUInt16BigEndian(udp[6..], 0);
        BinaryPrimitives.WriteUInt16BigEndian(udp[6..], InternetChecksum.Udp6(headers.Slice(8, 32), udp, payload));
    }

    /// <summary>Sends the packets of one family (the others are left for the other call); a packet whose source and destination families differ counts as an error, once.</summary>
    private void SendBatch(ReadOnlySpan<PacketBuffer> packets, ReadOnlySpan<PacketAddress> destinations, bool ipv6)
    {
        var count = packets.Length;
        var headerLength = ipv6 ? HeadersLength6 : HeadersLength;
        var headers = stackalloc byte[count * headerLength];
        var messages = stackalloc LinuxSocketInterop.MMsgHdr[count];
        var vectors = stackalloc LinuxSocketInterop.IoVec[count * 2];
        var names = stackalloc LinuxSocketInterop.SockAddrIn6[count];
        var batch = 0;
        for (var i = 0; i < count; i++)
        {
            var packet = packets[i];
            var source = packet.Address;
            var destination = destinations[i];
            if (destination.IsIPv6 != ipv6)
            {
                continue; // the other call's
            }

            if (source.IsIPv6 != ipv6 || packet.Length > (ipv6 ? MaxDatagram6 : MaxDatagram) || (ipv6 && _socket6 is null))
            {
                Interlocked.Increment(ref _sendErrors);
                continue;
            }

            var header = headers + (batch * headerLength);
            ref var name = ref names[batch];
            name = default;
            if (ipv6)
            {
                WriteHeaders6(new Span<byte>(header, headerLength), source, destination, packet.Span);
                name.Family = LinuxSocketInterop.AfInet6; // port 0: the protocol is the socket's (IPPROTO_RAW, header included)
                destination.WriteIPv6Bytes(new Span<byte>(Unsafe.AsPointer(ref name.Address[0]), 16));
                name.ScopeId = destination.ScopeId;
            }
            else
            {
                WriteHeaders(new Span<byte>(header, headerLength), source, destination, packet.Span);
                ref var v4 = ref Unsafe.As<LinuxSocketInterop.SockAddrIn6, LinuxSocketInterop.SockAddrIn>(ref name);
                v4.Family = LinuxSocketInterop.AfInet;
                v4.AddressBigEndian = BinaryPrimitives.ReverseEndianness(destination.IPv4);
            }

            vectors[batch * 2] = new LinuxSocketInterop.IoVec { Base = header, Length = (nuint)headerLength };
            vectors[(batch * 2) + 1] = new LinuxSocketInterop.IoVec { Base = (void*)packet.BaseAddress, Length = (nuint)packet.Length };
            messages[batch] = default;
            messages[batch].Header.Name = &names[batch];
            messages[batch].Header.NameLength = ipv6 ? (uint)sizeof(LinuxSocketInterop.SockAddrIn6) : (uint)sizeof(LinuxSocketInterop.SockAddrIn);
            messages[batch].Header.Iov = &vectors[batch * 2];
            messages[batch].Header.IovLength = 2;
            batch++;
        }

        if (batch == 0)
        {
            return;
        }

        var refused = LinuxSocketInterop.SendAll(ipv6 ? _fd6 : _fd, messages, batch);
        if (refused > 0)
        {
            Interlocked.Add(ref _sendErrors, refused);
        }
    }
}
