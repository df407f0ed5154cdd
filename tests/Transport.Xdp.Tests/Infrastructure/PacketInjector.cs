using System;
using System.Runtime.InteropServices;
using TailGuard.Transport.Xdp.Netlink;

namespace TailGuard.Transport.Xdp.Tests.Infrastructure;

/// <summary>
/// Sends hand-built Ethernet frames out of one interface through an AF_PACKET socket, as a hostile or broken host on
/// the link would: nothing in the kernel checks or fixes them on the way (no checksum offload, no fragmentation).
/// Create it in the interface's namespace (<see cref="NamespaceThread"/>); the socket stays there.
/// </summary>
internal sealed partial class PacketInjector : IDisposable
{
    private const int AfPacket = 17;
    private const int SockRaw = 3;
    private const ushort EthPAllNetworkOrder = 0x0300; // htons(ETH_P_ALL)
    private readonly int _fd;
    private readonly int _ifindex;

    private PacketInjector(int fd, int ifindex)
    {
        _fd = fd;
        _ifindex = ifindex;
    }

    /// <summary>The interface's MAC address.</summary>
    public byte[] Mac { get; private init; } = [];

    /// <summary>Opens the socket on <paramref name="interfaceName"/> of the calling thread's namespace.</summary>
    public static PacketInjector Open(string interfaceName)
    {
        using var netlink = NetlinkSocket.Open();
        var link = RouteNetlink.GetLink(netlink, interfaceName) ?? throw new InvalidOperationException($"no interface {interfaceName}");
        var fd = socket(AfPacket, SockRaw, EthPAllNetworkOrder);
        if (fd < 0)
        {
            throw new InvalidOperationException($"AF_PACKET socket: errno {Marshal.GetLastPInvokeError()}");
        }

        return new PacketInjector(fd, link.Index) { Mac = link.Mac };
    }

    /// <summary>The MAC address of <paramref name="interfaceName"/> in the calling thread's namespace.</summary>
    public static byte[] MacOf(string interfaceName)
    {
        using var netlink = NetlinkSocket.Open();
        return (RouteNetlink.GetLink(netlink, interfaceName) ?? throw new InvalidOperationException($"no interface {interfaceName}")).Mac;
    }

    public unsafe void Send(ReadOnlySpan<byte> frame)
    {
        // struct sockaddr_ll: family, protocol, ifindex, hatype, pkttype, halen, addr[8].
        var address = stackalloc byte[20];
        new Span<byte>(address, 20).Clear();
        *(ushort*)address = AfPacket;
        *(ushort*)(address + 2) = EthPAllNetworkOrder;
        *(int*)(address + 4) = _ifindex;
        address[11] = 6;
        frame[..6].CopyTo(new Span<byte>(address + 12, 6));
        fixed (byte* bytes = frame)
        {
            if (sendto(_fd, bytes, (nuint)frame.Length, 0, address, 20) != frame.Length)
            {
                throw new InvalidOperationException($"AF_PACKET sendto: errno {Marshal.GetLastPInvokeError()}");
            }
        }
    }

    public void Dispose() => _ = close(_fd);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int socket(int domain, int type, int protocol);

    [LibraryImport("libc", SetLastError = true)]
    private static unsafe partial nint sendto(int fd, byte* buffer, nuint length, int flags, byte* address, int addressLength);

    [LibraryImport("libc")]
    private static partial int close(int fd);
}
