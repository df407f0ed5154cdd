using System;
using System.Buffers.Binary;
using System.Net.Sockets;
using System.Threading;

namespace TailGuard.R2P2.Routing;

/// <summary>
/// Forwards IPv4 UDP datagrams with their original source through a raw socket (Linux, <c>IPPROTO_RAW</c>): it writes
/// the IPv4 and UDP headers itself (source = the client, destination = the server, UDP checksum computed), so the server
/// sees the client and answers it directly. A batch is one <c>sendmmsg</c> with two I/O vectors per datagram (the headers
/// from the stack, the payload straight from the packet buffer): no copy, no allocation. Opening one needs
/// <c>CAP_NET_RAW</c> (root, or <c>setcap cap_net_raw+ep</c> on the program). The datagram plus 28 bytes of headers must
/// fit the outgoing link's MTU.
/// </summary>
public sealed unsafe class RawSocketForwarder : PacketForwarder
{
    private const int HeadersLength = 28; // IPv4 without options (20) and UDP (8)
    private const int MaxDatagram = 65535 - HeadersLength;
    private const int Chunk = 64;
    private const byte ProtocolUdp = 17;
    private readonly Socket _socket;
    private readonly int _fd;
    private long _sendErrors;
    private int _disposed;

    private RawSocketForwarder(Socket socket)
    {
        _socket = socket;
        _fd = (int)socket.SafeHandle.DangerousGetHandle();
    }

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

        try
        {
            if (sendBufferBytes > 0)
            {
                socket.SendBufferSize = sendBufferBytes;
            }

            return new RawSocketForwarder(socket);
        }
        catch
        {
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
                SendBatch(packets.Slice(start, count), destinations.Slice(start, count));
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

    private void SendBatch(ReadOnlySpan<PacketBuffer> packets, ReadOnlySpan<PacketAddress> destinations)
    {
        var count = packets.Length;
        var headers = stackalloc byte[count * HeadersLength];
        var messages = stackalloc LinuxSocketInterop.MMsgHdr[count];
        var vectors = stackalloc LinuxSocketInterop.IoVec[count * 2];
        var names = stackalloc LinuxSocketInterop.SockAddrIn[count];
        var batch = 0;
        for (var i = 0; i < count; i++)
        {
            var packet = packets[i];
            var source = packet.Address;
            var destination = destinations[i];
            if (!source.IsIPv4 || !destination.IsIPv4 || packet.Length > MaxDatagram)
            {
                Interlocked.Increment(ref _sendErrors);
                continue;
            }

            var header = headers + (batch * HeadersLength);
            WriteHeaders(new Span<byte>(header, HeadersLength), source, destination, packet.Span);
            vectors[batch * 2] = new LinuxSocketInterop.IoVec { Base = header, Length = HeadersLength };
            vectors[(batch * 2) + 1] = new LinuxSocketInterop.IoVec { Base = (void*)packet.BaseAddress, Length = (nuint)packet.Length };
            names[batch] = new LinuxSocketInterop.SockAddrIn
            {
                Family = LinuxSocketInterop.AfInet,
                AddressBigEndian = BinaryPrimitives.ReverseEndianness(destination.IPv4),
            };
            messages[batch] = default;
            messages[batch].Header.Name = &names[batch];
            messages[batch].Header.NameLength = (uint)sizeof(LinuxSocketInterop.SockAddrIn);
            messages[batch].Header.Iov = &vectors[batch * 2];
            messages[batch].Header.IovLength = 2;
            batch++;
        }

        var refused = LinuxSocketInterop.SendAll(_fd, messages, batch);
        if (refused > 0)
        {
            Interlocked.Add(ref _sendErrors, refused);
        }
    }
}
